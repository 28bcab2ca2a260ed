"""Time build_graph on a 10,000-file fan-out (and a chained fan-out plus a report over it), and on a chain
of 5,000 agents each reading the previous one's output (the Agentfile of bench_parse.py).

Usage: python benchmarks/bench_graph.py [N] [CHAIN]    (defaults N = 10000, CHAIN = 5000)
Targets: one 10,000-task fan-out builds in well under 100 ms; the 5,000-agent chain in under 100 ms.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from agentmake.graph import build_graph
from agentmake.model import Agentfile, AgentSpec, Prompt, ReportSpec, Settings


def make_project(root: Path, n: int, chained: bool) -> Agentfile:
    docs = root / "docs"
    docs.mkdir(exist_ok=True)
    for i in range(n):
        p = docs / f"doc{i:05d}.md"
        if not p.exists():
            p.write_text("x")
    prompt = Prompt("translate")
    agents = {
        "translate": AgentSpec("translate", ("docs/{name}.md",), ("build/zh/{name}.md",), prompt=prompt)
    }
    reports = {}
    if chained:
        agents["review"] = AgentSpec(
            "review", ("build/zh/{name}.md",), ("build/review/{name}.md",), prompt=prompt
        )
        reports["summary"] = ReportSpec("summary", ("build/review/*.md",), "build/summary.md")
    return Agentfile(root / "Agentfile", root, Settings(), {}, {}, agents, reports)


def make_chain(root: Path, n: int) -> Agentfile:
    """Agents step0..step{n-1}, each reading the previous output (literal paths), and a report over all."""
    (root / "src.txt").write_text("seed\n")
    prompt = Prompt("Step {{ input }}")
    agents = {}
    prev = "src.txt"
    for i in range(n):
        agents[f"step{i}"] = AgentSpec(f"step{i}", (prev,), (f"build/step{i}.md",), prompt=prompt)
        prev = f"build/step{i}.md"
    reports = {"all": ReportSpec("all", ("build/*.md",), "REPORT.md")}
    return Agentfile(root / "Agentfile", root, Settings(), {}, {}, agents, reports)


def best_of(af: Agentfile, runs: int = 5) -> tuple[float, int]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        graph = build_graph(af)
        times.append(time.perf_counter() - start)
    return min(times), len(graph.tasks)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    chain = int(sys.argv[2]) if len(sys.argv) > 2 else 5_000
    with tempfile.TemporaryDirectory() as tmp:
        seconds, tasks = best_of(make_chain(Path(tmp), chain))
        label = f"chain of {chain} agents + report"
        print(f"{label:32s} {tasks:6d} tasks  {seconds * 1000:7.1f} ms (best of 5)")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for chained, label in ((False, "one fan-out"), (True, "fan-out -> fan-out -> report")):
            af = make_project(root, n, chained)
            seconds, tasks = best_of(af)
            print(f"{label:32s} {tasks:6d} tasks  {seconds * 1000:7.1f} ms (best of 5)")


if __name__ == "__main__":
    main()
