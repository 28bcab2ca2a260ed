"""Benchmark: how `agentmake check` time grows with a long run of blanks on one Agentfile line.

Two patterns once backtracked quadratically over such a run (the hint for an unquoted `include` path, and
the duration of `timeout = "1 ... x"`): 20,000 blanks took 6 s to refuse, 40,000 took 24 s. Each case is
timed in-process (best of `--repeat`) at N and 4N blanks; linear matching makes the ratio about 4, quadratic
about 16. Target: ratio < 8 for every case, and 4N blanks refused in under 1 s.

    python benchmarks/bench_blanks.py [--n 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import tempfile
import time
from pathlib import Path

from agentmake.cli import main

CASES = {
    "unquoted include": lambda n: "include x" + " " * n + "y\n",
    "timeout duration": lambda n: 'timeout = "1' + " " * n + 'x"\n',
    "agent timeout, blanks and tabs": lambda n: (
        'agent a:\n    outputs = o\n    run = "x"\n    timeout = "5' + " \t" * (n // 2) + '!"\n'
    ),
}


def timed(text: str, repeat: int) -> float:
    """Best wall time of `agentmake check` refusing `text` (exit 2 expected)."""
    best = float("inf")
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "Agentfile").write_text(text)
        for _ in range(repeat):
            start = time.perf_counter()
            with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
                code = main(["-C", tmp, "check"])
            best = min(best, time.perf_counter() - start)
            if code != 2:
                raise SystemExit(f"expected exit 2, got {code}")
    return best


def run() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    ok = True
    for name, make in CASES.items():
        small, large = timed(make(args.n), args.repeat), timed(make(4 * args.n), args.repeat)
        ratio = large / small if small > 0 else float("inf")
        good = ratio < 8 and large < 1.0
        ok &= good
        print(
            f"bench_blanks: {name}: {args.n} blanks {small * 1000:.1f} ms, {4 * args.n} blanks "
            f"{large * 1000:.1f} ms, ratio {ratio:.1f} (target < 8, and < 1 s) {'ok' if good else 'MISSED'}"
        )
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    run()
