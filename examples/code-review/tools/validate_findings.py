"""Check command for LLM-written findings: the file is a JSON list of {file, line, severity, rule, message}.

Usage: python3 tools/validate_findings.py FINDINGS.json   (exit 0 valid, 1 invalid, with the reason on stderr)
"""

from __future__ import annotations

import json
import sys

KEYS = {"file": str, "line": int, "severity": str, "rule": str, "message": str}
SEVERITIES = {"high", "medium", "low", "info"}


def problems(data: object) -> list[str]:
    if not isinstance(data, list):
        return ["top level must be a JSON list"]
    found = []
    for i, item in enumerate(data):
        if not isinstance(item, dict):
            found.append(f"item {i} is not an object")
            continue
        for key, kind in KEYS.items():
            if not isinstance(item.get(key), kind):
                found.append(f"item {i}: `{key}` missing or not {kind.__name__}")
        if item.get("severity") not in SEVERITIES:
            found.append(f"item {i}: severity must be one of {sorted(SEVERITIES)}")
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        with open(argv[0], encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        print(f"{argv[0]}: {exc}", file=sys.stderr)
        return 1
    errors = problems(data)
    for error in errors:
        print(f"{argv[0]}: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
