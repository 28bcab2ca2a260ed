"""`agentmake graph --format dot|mermaid` list an agent's tasks in natural order (notes/2.md's task before
notes/10.md's), as `graph`'s text, `list`, `status`, `-n` and `explain` do (README: "as `status`, `-n`,
`explain` and `graph` list them"): they listed them in plain string order, `sum:1, sum:10, sum:2, ...`."""

from __future__ import annotations

import re
from pathlib import Path

from test_graph_helpers import agent, project, report

from agentmake.graph import build_graph
from agentmake.graph.dag import Graph
from agentmake.graph.export import render_graph

NAMES = ["10", "2", "1", "20", "3"]
WANT = ["sum:1", "sum:2", "sum:3", "sum:10", "sum:20"]


def _graph(tmp_path: Path) -> Graph:
    af = project(
        tmp_path,
        [f"notes/{n}.md" for n in NAMES],
        agent("sum", "notes/{name}.md", "build/{name}.md"),
        report("all", "build/*.md", "ALL.md"),
    )
    return build_graph(af)


def test_dot_lists_nodes_and_edges_in_natural_order(tmp_path: Path) -> None:
    dot = render_graph(_graph(tmp_path), "dot")
    assert re.findall(r'^  "(sum:\d+)" \[label', dot, re.M) == WANT, dot
    assert re.findall(r'^  "(sum:\d+)" -> "all"', dot, re.M) == WANT, dot


def test_mermaid_lists_nodes_and_edges_in_natural_order(tmp_path: Path) -> None:
    chart = render_graph(_graph(tmp_path), "mermaid")
    nodes = dict(re.findall(r'^  (t\d+)\["(sum:\d+)"\]', chart, re.M))
    assert list(nodes.values()) == WANT, chart
    sources = [nodes[t] for t in re.findall(r"^  (t\d+) -->", chart, re.M)]
    assert sources == WANT, chart


def test_text_dot_and_mermaid_agree_on_the_order(tmp_path: Path) -> None:
    graph = _graph(tmp_path)
    text = re.findall(r"^(sum:\d+)$", render_graph(graph, "text"), re.M)
    dot = re.findall(r'^  "(sum:\d+)" \[label', render_graph(graph, "dot"), re.M)
    assert text == dot == WANT
