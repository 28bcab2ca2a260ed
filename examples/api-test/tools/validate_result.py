"""Check command for LLM-written endpoint results: the JSON object has the fields `tools/summary.py` reads.

Usage: python3 tools/validate_result.py RESULT.json   (exit 0 valid, 1 invalid, with the reason on stderr)
"""

from __future__ import annotations

import json
import sys

FIELDS = {"endpoint": str, "method": str, "path": str, "pass": bool, "failures": list}


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
    if not isinstance(data, dict):
        print(f"{argv[0]}: expected a JSON object", file=sys.stderr)
        return 1
    errors = [
        f"`{k}` missing or not {t.__name__}" for k, t in FIELDS.items() if not isinstance(data.get(k), t)
    ]
    for key in ("status", "latency_ms"):
        if data.get(key) is not None and not isinstance(data[key], (int, float)):
            errors.append(f"`{key}` must be a number or null")
    for error in errors:
        print(f"{argv[0]}: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
