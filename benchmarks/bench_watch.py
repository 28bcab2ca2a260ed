"""Watch-mode latency: from a saved edit to the affected task starting (target: p50 under 300 ms).

Runs `agentmake watch` as a real subprocess over a generated 50-document fan-out, saves one document at a
time, and reads the wall-clock time at which its task started (the shell agent writes `date +%s.%N` first).

    python benchmarks/bench_watch.py [--edits 20]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AGENTFILE = """\
log = "{log}"

agent copy:
    inputs  = docs/{{name}}.md
    outputs = build/{{name}}.txt
    run     = "echo {{name}} $(date +%s.%N) >> ${{log}} && cp {{input}} {{output}}"
"""


def starts(log: Path) -> list[tuple[str, float]]:
    if not log.exists():
        return []
    out = []
    for line in log.read_text().splitlines():
        name, stamp = line.split()
        out.append((name, float(stamp)))
    return out


def wait_for(cond, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise SystemExit("timed out")
        time.sleep(0.005)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--edits", type=int, default=20)
    ap.add_argument("--docs", type=int, default=50)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "proj"
        (project / "docs").mkdir(parents=True)
        log = Path(tmp) / "starts.log"
        (project / "Agentfile").write_text(AGENTFILE.format(log=log))
        for i in range(args.docs):
            (project / "docs" / f"d{i}.md").write_text(f"doc {i}\n")
        proc = subprocess.Popen(
            [sys.executable, "-m", "agentmake", "watch", "-s"],
            cwd=project,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**os.environ, "NO_COLOR": "1", "CI": "1"},
        )
        try:
            wait_for(lambda: len(starts(log)) >= args.docs)
            time.sleep(1.0)
            latencies = []
            for k in range(args.edits):
                name = f"d{k % args.docs}"
                before = len(starts(log))
                saved = time.time()
                (project / "docs" / f"{name}.md").write_text(f"doc {name} edit {k}\n")
                wait_for(lambda before=before: len(starts(log)) > before)
                started = next(s for n, s in starts(log)[before:] if n == name)
                latencies.append((started - saved) * 1000)
                time.sleep(0.5)
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(15)
    latencies.sort()
    p50 = statistics.median(latencies)
    p90 = latencies[int(len(latencies) * 0.9) - 1]
    verdict = "ok" if p50 < 300 else "over target"
    print(
        f"watch latency over {len(latencies)} edits: p50 {p50:.0f} ms, p90 {p90:.0f} ms, "
        f"min {latencies[0]:.0f} ms, max {latencies[-1]:.0f} ms (target p50 < 300 ms: {verdict})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
