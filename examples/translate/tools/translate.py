"""Offline `translate` agent: a deterministic glossary translation of one Markdown document.

This is a stand-in for a translator, not a translator: it replaces the words and phrases of a glossary
(`glossary/LANG.tsv`, longest phrase first, keeping the case of the first letter) and leaves every other word
as it is. What it does exactly like a careful translator is keep the structure: fenced code blocks, inline
code, link targets and bare URLs are copied unchanged, so the `check` agent has something real to verify.

Usage: python3 tools/translate.py GLOSSARY.tsv SOURCE.md OUTPUT.md
"""

from __future__ import annotations

import os
import re
import sys

# Spans that must never be translated: inline code, the target of a link, bare URLs.
PROTECTED = re.compile(r"(`[^`]*`|\]\([^)]*\)|https?://\S+)")


def read_text(path: str) -> str:
    """The text of `path`, which must be UTF-8, with universal newlines (as `open` in text mode reads it);
    else exit 1 with one line naming the file and the first bad byte (the build shows a tool's last stderr
    line: a decoder traceback there names no file)."""
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as exc:
        bad = f"byte 0x{data[exc.start]:02x} at offset {exc.start}"
        raise SystemExit(f"{path}: not UTF-8 text ({bad}): save it as UTF-8") from None


def load_glossary(path: str) -> dict[str, str]:
    terms = {}
    for line in read_text(path).split("\n"):
        if line.startswith("#") or "\t" not in line:
            continue
        source, target = line.split("\t", 1)
        terms[source.lower()] = target
    return terms


def translator(terms: dict[str, str]):
    phrases = sorted((t for t in terms if t.strip()), key=len, reverse=True)
    if not phrases:  # a glossary just started (or a blank source column): nothing to replace
        return lambda text: text
    pattern = re.compile(r"\b(" + "|".join(re.escape(p) for p in phrases) + r")\b", re.I)

    def replace(match: re.Match[str]) -> str:
        found, target = match.group(0), terms[match.group(0).lower()]
        return target[:1].upper() + target[1:] if found[:1].isupper() else target

    def translate_text(text: str) -> str:
        parts = PROTECTED.split(text)
        return "".join(part if i % 2 else pattern.sub(replace, part) for i, part in enumerate(parts))

    return translate_text


def translate(markdown: str, terms: dict[str, str]) -> str:
    translate_text = translator(terms)
    out, in_fence = [], False
    for line in markdown.splitlines(keepends=True):
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
            out.append(line)
        elif in_fence:
            out.append(line)
        else:
            out.append(translate_text(line))
    return "".join(out)


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    glossary, source, output = argv
    text = read_text(source)
    result = translate(text, load_glossary(glossary))
    os.makedirs(os.path.dirname(output) or ".", exist_ok=True)
    with open(output, "w", encoding="utf-8") as fh:
        fh.write(result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
