"""Shared plumbing for the offline review agents: arguments, parsing the files in scope, writing findings.

Each analyser is called as `python3 tools/NAME.py -o FINDINGS.json FINDINGS.md -i INPUT...`; the inputs are
the Python sources plus `build/scan.md`, whose file table decides which sources are in scope.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import sys
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


def load_sources(inputs: Iterable[str]) -> list[Source]:
    paths = list(inputs)
    scans = [p for p in paths if p.endswith(".md")]
    scope: set[str] | None = None
    if scans:
        with open(scans[0], encoding="utf-8") as fh:
            scope = in_scope(fh.read())
    sources = []
    for path in sorted(p for p in paths if p.endswith(".py")):
        if scope is not None and path not in scope:
            continue
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        sources.append(Source(path, text, ast.parse(text, filename=path)))
    return sources


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


def main(title: str, analyse: Callable[[list[Source]], list[Finding]]) -> int:
    parser = argparse.ArgumentParser(description=title)
    parser.add_argument("-o", nargs=2, metavar=("JSON", "MD"), required=True)
    parser.add_argument("-i", nargs="+", metavar="INPUT", required=True)
    args = parser.parse_args()
    try:
        sources = load_sources(args.i)
    except (OSError, SyntaxError) as exc:
        print(f"{title}: {exc}", file=sys.stderr)
        return 1
    write_outputs(title, analyse(sources), *args.o)
    return 0
