"""Shared plumbing for the offline review agents: arguments, parsing the files in scope, writing findings.

Each analyser is called as `python3 tools/NAME.py -o FINDINGS.json FINDINGS.md -i INPUT...`; the inputs are
the Python sources plus `build/scan.md`, whose file table decides which sources are in scope.
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import os
import re
import sys
import tokenize
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass

SEVERITIES = ("high", "medium", "low", "info")


@dataclass
class Finding:
    file: str
    line: int
    severity: str
    rule: str
    message: str


@dataclass
class Source:
    path: str
    text: str
    tree: ast.Module


def in_scope(scan_md: str) -> set[str]:
    """The files listed in the scan inventory's table (`| path | lines | ...`)."""
    return set(re.findall(r"^\| `([^`]+\.py)` \|", scan_md, flags=re.M))


@dataclass
class Unparsed:
    """A file in scope that Python cannot parse (a syntax error, or bytes that are not its declared encoding):
    it is reported, not analysed, instead of failing the whole review."""

    path: str
    line: int
    reason: str


def parse(path: str) -> tuple[str, ast.Module | Unparsed]:
    """The file's text and its tree, or why it does not parse. The bytes go to `ast.parse` as they are, so
    a `# -*- coding: ... -*-` line is honoured as Python honours it; the text is for counting lines."""
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        encoding = tokenize.detect_encoding(io.BytesIO(data).readline)[0]
    except SyntaxError:  # an unknown encoding declared: ast.parse says so below
        encoding = "utf-8"
    text = data.decode(encoding, errors="replace")
    try:
        return text, ast.parse(data, filename=path)
    except (SyntaxError, ValueError) as exc:  # (ValueError: null bytes, on older Pythons)
        line = getattr(exc, "lineno", None) or 1
        reason = getattr(exc, "msg", None) or str(exc)
        return text, Unparsed(path, line, reason)


def not_analysed(bad: Unparsed) -> Finding:
    return Finding(bad.path, bad.line, "info", "not-analysed", f"does not parse ({bad.reason}): not reviewed")


def load_sources(inputs: Iterable[str]) -> tuple[list[Source], list[Unparsed]]:
    paths = list(inputs)
    scans = [p for p in paths if p.endswith(".md")]
    scope: set[str] | None = None
    if scans:
        with open(scans[0], encoding="utf-8") as fh:
            scope = in_scope(fh.read())
    sources, unparsed = [], []
    for path in sorted(p for p in paths if p.endswith(".py")):
        if scope is not None and path not in scope:
            continue
        text, tree = parse(path)
        if isinstance(tree, Unparsed):
            unparsed.append(tree)
        else:
            sources.append(Source(path, text, tree))
    return sources, unparsed


def write_outputs(title: str, findings: list[Finding], json_path: str, md_path: str) -> None:
    findings.sort(key=lambda f: (SEVERITIES.index(f.severity), f.file, f.line, f.rule))
    for path in (json_path, md_path):
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(json_path, "w", encoding="utf-8") as fh:
        json.dump([asdict(f) for f in findings], fh, indent=2)
        fh.write("\n")
    counts = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES}
    lines = [f"## {title}", ""]
    if findings:
        lines.append(
            f"{len(findings)} findings: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n) + "."
        )
        lines += ["", "| severity | location | rule | message |", "| --- | --- | --- | --- |"]
        lines += [f"| {f.severity} | `{f.file}:{f.line}` | {f.rule} | {f.message} |" for f in findings]
    else:
        lines.append("No findings.")
    with open(md_path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


def main(
    title: str,
    analyse: Callable[[list[Source]], list[Finding]],
    unparsed: Callable[[Unparsed], Finding] = not_analysed,
) -> int:
    parser = argparse.ArgumentParser(description=title)
    parser.add_argument("-o", nargs=2, metavar=("JSON", "MD"), required=True)
    parser.add_argument("-i", nargs="+", metavar="INPUT", required=True)
    args = parser.parse_args()
    try:
        sources, broken = load_sources(args.i)
    except OSError as exc:
        print(f"{title}: {exc}", file=sys.stderr)
        return 1
    write_outputs(title, analyse(sources) + [unparsed(bad) for bad in broken], *args.o)
    return 0
