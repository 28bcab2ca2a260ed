"""Time build_graph on a 10,000-file fan-out (and a chained fan-out plus a report over it).

Usage: python benchmarks/bench_graph.py [N]    (default N = 10000)
Target: one 10,000-task fan-out builds in well under 100 ms.
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


def best_of(af: Agentfile, runs: int = 5) -> tuple[float, int]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        graph = build_graph(af)
        times.append(time.perf_counter() - start)
    return min(times), len(graph.tasks)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for chained, label in ((False, "one fan-out"), (True, "fan-out -> fan-out -> report")):
            af = make_project(root, n, chained)
            seconds, tasks = best_of(af)
            print(f"{label:32s} {tasks:6d} tasks  {seconds * 1000:7.1f} ms (best of 5)")


if __name__ == "__main__":
    main()
