"""The state database's write-ahead log over a build of many tasks: how large it grows (`store.checkpoint`).

Builds an N-task fan-out of `cp` tasks from clean, `-j JOBS`, with `python -m agentmake` (the agentmake that
`sys.executable` imports: set PYTHONPATH to the checkout to measure), while a thread reads the size of
`.agentmake/state.db-wal` every millisecond. The file never shrinks while the build runs (a log that starts
over is written over from its start; the close removes it), so its largest size seen is how long the log
ever was, in frames of a 4 KiB page. Prints, each round, the largest log seen and the build's wall time,
then the median of the largest.

    PYTHONPATH=. python benchmarks/bench_wal.py [--n 1500] [--jobs 8] [--rounds 3]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

AGENTFILE = """retries = 0

agent copy:
    inputs = src/{n}.txt
    outputs = out/{n}.txt
    run = "cp {input} {output}"
"""

FRAME = 4096 + 24  # a WAL frame of a 4 KiB page: its 24-byte header and the page


def build(root: Path, jobs: int) -> tuple[int, float]:
    """Build `root` from clean; (the largest the log was, in frames; seconds)."""
    shutil.rmtree(root / "out", ignore_errors=True)
    shutil.rmtree(root / ".agentmake", ignore_errors=True)
    wal = root / ".agentmake" / "state.db-wal"
    most, done = [0], threading.Event()

    def watch() -> None:
        while not done.is_set():
            with contextlib.suppress(FileNotFoundError):
                most[0] = max(most[0], wal.stat().st_size)
            time.sleep(0.001)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "agentmake", "-j", str(jobs)],
        cwd=root,
        env={**os.environ, "NO_COLOR": "1", "CI": "1"},
        capture_output=True,
        text=True,
    )
    took = time.monotonic() - start
    done.set()
    watcher.join()
    if proc.returncode != 0:
        sys.exit(f"build failed ({proc.returncode}):\n{proc.stderr}")
    return max(0, most[0] - 32) // FRAME, took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1500, help="tasks (default 1500)")
    parser.add_argument("--jobs", type=int, default=8, help="-j (default 8)")
    parser.add_argument("--rounds", type=int, default=3, help="builds from clean (default 3)")
    args = parser.parse_args()
    import agentmake

    print(f"agentmake from {Path(agentmake.__file__).parent}; load {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="bench-wal-") as tmp:
        root = Path(tmp)
        (root / "Agentfile").write_text(AGENTFILE)
        (root / "src").mkdir()
        for i in range(args.n):
            (root / "src" / f"{i:05d}.txt").write_text(f"{i}\n")
        peaks = []
        for r in range(args.rounds):
            frames, took = build(root, args.jobs)
            peaks.append(frames)
            mib = frames * FRAME / 2**20
            print(f"round {r + 1}: log at most {frames} frames ({mib:.1f} MiB), {took:.1f} s")
        print(f"median largest log: {statistics.median(peaks):.0f} frames over {args.n} tasks")


if __name__ == "__main__":
    main()
