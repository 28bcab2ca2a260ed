"""`summary` agent: the pass/fail table of every endpoint result, failures spelled out below it.

Usage: python3 tools/summary.py OUTPUT.md RESULT.json...
"""

from __future__ import annotations

import json
import os
import sys


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    output, paths = argv[0], sorted(p for p in argv[1:] if p.endswith(".json"))
    results = []
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            results.append(json.load(fh))
    passed = sum(1 for r in results if r["pass"])
    latencies = sorted(r["latency_ms"] for r in results if r.get("latency_ms") is not None)
    lines = ["## Endpoint tests", "", f"**{passed} of {len(results)} passed.**"]
    if latencies:
        lines[-1] += f" Latency: median {latencies[len(latencies) // 2]:.1f} ms, max {latencies[-1]:.1f} ms."
    lines += ["", "| endpoint | request | status | latency | result |", "| --- | --- | --- | --- | --- |"]
    for r in results:
        latency = "-" if r.get("latency_ms") is None else f"{r['latency_ms']:.1f} ms"
        request = f"`{r.get('method', '?')} {r.get('path', '?')}`"
        answer = "no answer" if r.get("status") is None else str(r["status"])
        expected = r.get("expected_status", "?")
        # the expected status only where it is what failed: "200 (expected 200)" reads as a wrong status
        status = f"{answer} (expected {expected})" if r.get("status") != expected else answer
        lines.append(
            f"| {r['endpoint']} | {request} | {status} | {latency} | {'pass' if r['pass'] else 'FAIL'} |"
        )
    failed = [r for r in results if not r["pass"]]
    if failed:
        lines += ["", "### Failures", ""]
        for r in failed:
            lines.append(f"- **{r['endpoint']}** ({r.get('description', '')}):")
            lines += [f"  - {f}" for f in r["failures"]]
    os.makedirs(os.path.dirname(output) or ".", exist_ok=True)
    with open(output, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
