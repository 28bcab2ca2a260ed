"""`agentmake graph --format dot|mermaid` on a big fan-in: the files labelling each edge are found in one pass
over the consumer's inputs, not one pass per dependency (quadratic: a report over 5,000 outputs took
seconds)."""

from __future__ import annotations

from pathlib import Path

from test_graph_helpers import agent, project, report

from agentmake.graph import build_graph
from agentmake.graph.export import edges, render_graph


class _CountingDict(dict[str, str]):
    """A producer map that counts its lookups."""

    lookups = 0

    def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
        _CountingDict.lookups += 1
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        _CountingDict.lookups += 1
        return super().__getitem__(key)


def test_edges_look_up_each_input_once(tmp_path: Path) -> None:
    n = 300
    af = project(
        tmp_path,
        [f"src/f{i:03d}.txt" for i in range(n)],
        agent("copy", "src/{name}.txt", "out/{name}.txt"),
        agent("pair", "out/{name}.txt", "twice/{name}.txt"),
        report("all", "out/*.txt twice/*.txt", "ALL.md"),
    )
    graph = build_graph(af)
    graph.producer = _CountingDict(graph.producer)
    _CountingDict.lookups = 0
    got = edges(graph)
    inputs = sum(len(t.inputs) for t in graph.tasks.values())
    assert _CountingDict.lookups <= inputs  # (was one per input per dependency: n * 2n for the report)
    into_report = [(src, files) for src, dst, files in got if dst == "all"]
    assert len(into_report) == 2 * n
    assert ("copy:f007", ["out/f007.txt"]) in into_report
    assert ("pair:f007", ["twice/f007.txt"]) in into_report
    assert ("copy:f007", "pair:f007", ["out/f007.txt"]) in got


def test_an_edge_lists_every_file_it_carries_in_input_order(tmp_path: Path) -> None:
    af = project(
        tmp_path,
        ["seed.txt"],
        agent("make", "seed.txt", ("b.txt", "a.txt", "c.txt")),
        agent("use", "c.txt a.txt b.txt seed.txt", "out.txt"),
    )
    graph = build_graph(af)
    assert edges(graph) == [("make", "use", ["c.txt", "a.txt", "b.txt"])]
    assert '"make" -> "use" [label="c.txt\\na.txt\\nb.txt"];' in render_graph(graph, "dot")
