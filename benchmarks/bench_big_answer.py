"""Benchmark: agentmake's peak memory (max RSS) for a single-output agent whose plain-text answer is huge.

An agent that printed 1 GB on stdout took agentmake to about 2 GB of memory: its answer was read from its log
whole, decoded, and encoded again to be written to the output. A plain-text answer is now copied from the
log to the staged output a chunk at a time. The runner here is a `sh` command printing `--mb` MB (lines of
`a`, a 3-byte character, and now and then an invalid byte), run by `agentmake` under `/usr/bin/time -f %M`.
Target: max RSS under 150 MB whatever the size (about 60 MB is agentmake's own; before: 200 MB -> ~800 MB).

    python benchmarks/bench_big_answer.py [--mb 200]
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

TARGET_MB = 150


def max_rss_mb(mb: int) -> tuple[float, int]:
    """(agentmake's max RSS in MB, the output's size in bytes) for an answer of `mb` MB."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        lines = mb * 2**20 // 64  # (64 bytes a line)
        script = root / "big-agent"
        script.write_text(
            f"#!/bin/sh\ncat >/dev/null\nexec {shlex.quote(sys.executable)} -c "
            f"{shlex.quote(_PRINT.format(lines=lines))}\n"
        )
        script.chmod(0o755)
        (root / "Agentfile").write_text(
            f'runner big:\n    command = "{script}"\n\n'
            'agent a:\n    runner = big\n    prompt = "answer at length"\n    outputs = out.txt\n'
        )
        env = {**os.environ, "CI": "1"}
        run = subprocess.run(
            ["/usr/bin/time", "-f", "%M", sys.executable, "-m", "agentmake"],
            cwd=root, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if run.returncode != 0:
            raise SystemExit(f"agentmake failed ({run.returncode}):\n{run.stdout}\n{run.stderr}")
        kb = int(run.stderr.strip().splitlines()[-1])
        return kb / 1024, (root / "out.txt").stat().st_size


_PRINT = """\
import sys
chunk = (b"a" * 60 + "\\u20ac".encode() + b"\\xff\\n") * 1024
for _ in range({lines} // 1024):
    sys.stdout.buffer.write(chunk)
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mb", type=int, default=200, help="size of the answer in MB (default 200)")
    args = parser.parse_args()
    rss, size = max_rss_mb(args.mb)
    verdict = "ok" if rss < TARGET_MB else "OVER TARGET"
    print(f"answer {args.mb} MB -> output {size / 2**20:.0f} MB, agentmake max RSS {rss:.0f} MB ({verdict})")
    if rss >= TARGET_MB:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
