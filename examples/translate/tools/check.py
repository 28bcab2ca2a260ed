"""`check` agent: verify that a translation kept the structure of its source document.

Compares headings (count and levels), link targets, fenced code blocks and inline code, which must all survive
translation unchanged, and the word counts (a translation far shorter or longer than its source is suspect).
Writes a JSON verdict; a document that fails is reported, not treated as a build error.

Usage: python3 tools/check.py SOURCE.md TRANSLATION.md OUTPUT.json
"""

from __future__ import annotations

import json
import os
import re
import sys

FENCE = re.compile(r"^```.*?^```", re.S | re.M)
HEADING = re.compile(r"^(#{1,6})\s", re.M)
LINK = re.compile(r"\]\(([^)]*)\)")
INLINE = re.compile(r"`[^`\n]+`")
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


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


def structure(text: str) -> dict[str, list[str]]:
    prose = FENCE.sub("", text)
    return {
        "headings": [m.group(1) for m in HEADING.finditer(prose)],
        "links": LINK.findall(prose),
        "code_blocks": FENCE.findall(text),
        "inline_code": INLINE.findall(prose),
        "words": WORD.findall(prose),
    }


def compare(source: str, translation: str) -> dict[str, object]:
    src, dst = structure(source), structure(translation)
    verdict: dict[str, object] = {}
    problems = []
    for key in ("headings", "links", "code_blocks", "inline_code"):
        same = src[key] == dst[key]
        verdict[key] = {"source": len(src[key]), "translation": len(dst[key]), "preserved": same}
        if not same:
            problems.append(
                f"{key.replace('_', ' ')} differ ({len(src[key])} in the source, {len(dst[key])} here)"
            )
    # a page with no words (empty, or only code) has nothing to translate: none back is the right length
    ratio = len(dst["words"]) / len(src["words"]) if src["words"] else 1.0 + len(dst["words"])
    source_words = {w.lower() for w in src["words"]}
    kept = sum(1 for w in dst["words"] if w.lower() in source_words)
    verdict["words"] = {
        "source": len(src["words"]),
        "translation": len(dst["words"]),
        "ratio": round(ratio, 2),
    }
    # share of the translation's words that are source words left as they were (names, untranslated terms)
    verdict["kept_words"] = round(kept / max(len(dst["words"]), 1), 2)
    if not 0.5 <= ratio <= 2.0:
        problems.append(f"length ratio {ratio:.2f} is outside 0.5–2.0")
    if src["words"] and translation.strip() == source.strip():  # (code alone is rightly left as it is)
        problems.append("the translation is identical to the source")
    verdict["problems"] = problems
    verdict["pass"] = not problems
    return verdict


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    source, translation, output = argv
    src, dst = read_text(source), read_text(translation)
    verdict = {"document": os.path.basename(source), "source": source, "translation": translation}
    verdict.update(compare(src, dst))
    os.makedirs(os.path.dirname(output) or ".", exist_ok=True)
    with open(output, "w", encoding="utf-8") as fh:
        json.dump(verdict, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
