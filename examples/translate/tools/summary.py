"""`summary` agent: one Markdown table of every check verdict.

Usage: python3 tools/summary.py OUTPUT.md CHECK.json...
"""

from __future__ import annotations

import json
import os
import sys


def mark(part: dict) -> str:
    return f"{part['translation']}/{part['source']}" + ("" if part["preserved"] else " ✗")


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    output, checks = argv[0], sorted(p for p in argv[1:] if p.endswith(".json"))
    verdicts = []
    for path in checks:
        with open(path, encoding="utf-8") as fh:
            verdicts.append(json.load(fh))
    passed = sum(1 for v in verdicts if v["pass"])
    lines = [
        "## Translation checks",
        "",
        f"{passed} of {len(verdicts)} documents passed.",
        "",
        "| document | words (source → translation) | words kept as in source | headings | links "
        "| code blocks "
        "| result |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for v in verdicts:
        words = v["words"]
        lines.append(
            f"| `{v['translation']}` | {words['source']} → {words['translation']} | {v['kept_words']:.0%} | "
            f"{mark(v['headings'])} | {mark(v['links'])} | {mark(v['code_blocks'])} | "
            + ("pass" if v["pass"] else "FAIL: " + "; ".join(v["problems"]))
            + " |"
        )
    os.makedirs(os.path.dirname(output) or ".", exist_ok=True)
    with open(output, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
