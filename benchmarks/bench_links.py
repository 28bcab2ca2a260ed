"""Time what watch does after every build to find where the files tasks read lead through links
(`agentmake.watch.links.resolve_links`) on a 5,000-input fan-out: plain files, every input a link to a file
in the project, every input a link out of it. For reference, the `realpath` of each path it replaced.

Usage: python benchmarks/bench_links.py [N]    (default N = 5000)
Target: well under the 30-50 ms a 5,000-input graph takes to build (the realpath of each: 80-120 ms here).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from agentmake.graph import build_graph
from agentmake.model import Agentfile, AgentSpec, Prompt, Settings
from agentmake.watch.links import resolve_links


def project(root: Path, n: int, link: str) -> Agentfile:
    """src/fNNNNN.txt read by a fan-out; with `link` 'in' or 'out' each is a link to a file in
    root/versions or in a directory beside root."""
    (root / "src").mkdir(parents=True)
    target = {"in": root / "versions", "out": root.parent / f"{root.name}-outside"}.get(link)
    if target is not None:
        target.mkdir()
    for i in range(n):
        path = root / "src" / f"f{i:05d}.txt"
        if target is None:
            path.write_text(f"{i}\n")
        else:
            (target / path.name).write_text(f"{i}\n")
            path.symlink_to(target / path.name)
    agent = AgentSpec("copy", ("src/{name}.txt",), ("out/{name}.txt",), prompt=Prompt("copy"))
    return Agentfile(root / "Agentfile", root, Settings(), {}, {}, {"copy": agent}, {})


def realpaths(base: str, read: list[str]) -> list[str]:
    return [os.path.realpath(os.path.join(base, p)) for p in read]


def best(fn: Callable[[], object], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    with tempfile.TemporaryDirectory(prefix="agentmake-bench-links-") as tmp:
        for link in ("none", "in", "out"):
            root = Path(tmp).resolve() / link
            graph = build_graph(project(root, n, link))
            read = sorted({p for t in graph.tasks.values() for p in t.inputs})
            listed = graph.index.listed if graph.index is not None else {}
            took = best(partial(resolve_links, root, read, listed))
            each = best(partial(realpaths, os.fspath(root), read))
            print(
                f"bench_links: {len(read)} inputs, links {link}: resolve_links {took * 1000:.1f} ms "
                f"(realpath of each {each * 1000:.1f} ms)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
