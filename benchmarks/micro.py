"""Micro-benchmarks that need no peer: parsing a 5,000-agent Agentfile and hashing throughput.

When the dedicated scripts (`bench_parse.py`, `bench_hash.py`, `bench_graph.py`) exist, their output is used
as is; otherwise these fallbacks measure the same thing through agentmake's public functions.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

PARSE_SNIPPET = """
import sys, time
from pathlib import Path
from agentmake.syntax.load import load_agentfile
best = min(
    (lambda t0: (load_agentfile(Path(sys.argv[1])), time.perf_counter() - t0)[1])(time.perf_counter())
    for _ in range(3)
)
print(f"load_agentfile, {sys.argv[2]} agents: {best * 1000:.1f} ms (best of 3)")
"""

HASH_SNIPPET = """
import sys, time
from agentmake.plan.hashing import hash_path
path, mb = sys.argv[1], int(sys.argv[2])
def read_all():
    with open(path, "rb") as fh:
        while fh.read(1 << 20):
            pass
def best(fn):
    times = []
    for _ in range(3):
        t0 = time.perf_counter(); fn(); times.append(time.perf_counter() - t0)
    return min(times)
r = best(read_all); h = best(lambda: hash_path(path))
print(f"plain read: {mb / r:,.0f} MB/s; hash_path (xxh3-128): {mb / h:,.0f} MB/s; "
      f"hash/read time ratio {h / r:.2f}")
"""


def run_script(argv: list[str], timeout: float = 600) -> str:
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=HERE.parent)
    except subprocess.TimeoutExpired:
        return f"timeout after {timeout:.0f}s"
    out = proc.stdout.strip()
    if proc.returncode != 0:
        err = proc.stderr.strip().splitlines()
        out += f"\n(exit {proc.returncode}: {err[-1] if err else ''})"
    return out


def agentfile_with(n: int) -> str:
    return "".join(
        f'agent a{i}:\n    description = "agent number {i}"\n    inputs = src/{{name}}.txt\n'
        f'    outputs = out/a{i}/{{name}}.txt\n    run = "cp {{input}} {{output}}"\n\n'
        for i in range(n)
    )


def parse(work: Path, quick: bool) -> str:
    script = HERE / "bench_parse.py"
    if script.exists():
        return run_script([sys.executable, str(script)], timeout=120 if quick else 600)
    work.mkdir(parents=True, exist_ok=True)
    path = work / "Agentfile.5000"
    path.write_text(agentfile_with(5000))
    return run_script([sys.executable, "-c", PARSE_SNIPPET, str(path), "5000"])


def hashing(work: Path, quick: bool) -> str:
    script = HERE / "bench_hash.py"
    if script.exists():
        return run_script([sys.executable, str(script), *(["--size", "256M"] if quick else [])])
    mb = 64 if quick else 256
    work.mkdir(parents=True, exist_ok=True)
    path = work / f"blob-{mb}mb.bin"
    if not path.exists() or path.stat().st_size != mb << 20:
        with open(path, "wb") as fh:
            block = bytes(range(256)) * 4096
            for _ in range(mb):
                fh.write(block)
    return run_script([sys.executable, "-c", HASH_SNIPPET, str(path), str(mb)])


def graph(quick: bool) -> str | None:
    script = HERE / "bench_graph.py"
    return run_script([sys.executable, str(script)]) if script.exists() else None
