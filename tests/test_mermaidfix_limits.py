"""Mermaid charts of big graphs render: Mermaid refuses a flowchart of more than 500 edges and a chart of more
than 50,000 characters, so `graph --format mermaid` and the report's "Task graph" group a big graph's tasks by
agent (one node `translate` with its count), and say so in a sentence when even that is too big; a small
chart is unchanged."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from agentmake.cli import main
from agentmake.graph import build_graph
from agentmake.project import load
from agentmake.report import render_summary
from agentmake.report.mermaid import MAX_EDGES, MAX_TEXT, flowchart
from agentmake.store import AttemptRecord, Store

N = 300
AGENTFILE = """agent translate:
    inputs  = in/{n}.txt
    outputs = fr/{n}.txt
    run     = "cp {input} {output}"

agent review:
    inputs  = fr/{n}.txt
    outputs = rev/{n}.txt
    run     = "cp {input} {output}"

report summary:
    inputs = rev/*.txt
    output = SUMMARY.md
"""


def _project(root: Path) -> None:
    (root / "in").mkdir()
    for i in range(N):
        (root / "in" / f"f{i}.txt").write_text(str(i))
    (root / "Agentfile").write_text(AGENTFILE)


def _decode(label: str) -> str:
    return re.sub(r"#(\d+);", lambda m: chr(int(m.group(1))), label)


def _flow(chart: str) -> tuple[dict[str, str], set[tuple[str, str]]]:
    """(node id -> decoded label, edges as (source label, target label)) of a flowchart."""
    nodes = {
        m.group(1): _decode(m.group(2) or m.group(3))
        for m in re.finditer(r'^\s+(\w+)(?:\["([^"]*)"\]|\[/"([^"]*)"/\])$', chart, re.M)
    }
    links = {
        (nodes[m.group(1)], nodes[m.group(2)])
        for m in re.finditer(r'^\s+(\w+) -->(?:\|"[^"]*"\|)? (\w+)$', chart, re.M)
    }
    return nodes, links


def _edge_count(chart: str) -> int:
    return sum(1 for line in chart.splitlines() if "-->" in line)


def test_graph_mermaid_of_a_big_fan_out_is_grouped_by_agent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _project(tmp_path)
    assert main(["-C", str(tmp_path), "graph", "--format", "mermaid"]) == 0
    chart = capsys.readouterr().out
    assert _edge_count(chart) <= MAX_EDGES and len(chart) <= MAX_TEXT, (_edge_count(chart), len(chart))
    nodes, links = _flow(chart)
    assert sorted(nodes.values()) == sorted([f"translate ×{N}", f"review ×{N}", "summary"])
    assert links == {(f"translate ×{N}", f"review ×{N}"), (f"review ×{N}", "summary")}
    assert "%%" in chart and "grouped by agent" in chart  # the chart says it is grouped
    assert '|"300 links"|' in chart  # each group edge says how many task links it stands for
    assert re.search(r'\[/"summary"/\]', chart)  # a report keeps its shape


def test_report_task_graph_of_a_big_fan_out_is_grouped_with_states(tmp_path: Path) -> None:
    _project(tmp_path)
    graph = build_graph(load(tmp_path, None, {}))
    t0 = time.time() - 1000
    with Store.open(tmp_path) as store:
        run = store.begin_run()
        with store.batch():
            for i, task in enumerate(graph.tasks):
                state = "failed" if task == "review:f7" else "done"
                store.record_attempt(AttemptRecord(run, task, state, t0 + i, t0 + i + 0.5))
        text = render_summary(graph, store, run)
    chart = text.split("# Task graph")[1].split("```mermaid\n")[1].split("```")[0]
    assert _edge_count(chart) <= MAX_EDGES and len(chart) <= MAX_TEXT, (_edge_count(chart), len(chart))
    nodes, links = _flow(chart)
    assert sorted(nodes.values()) == sorted(
        [f"translate ×{N}: {N} done", f"review ×{N}: 1 failed, {N - 1} done", "summary"]
    )
    assert links == {
        (f"translate ×{N}: {N} done", f"review ×{N}: 1 failed, {N - 1} done"),
        (f"review ×{N}: 1 failed, {N - 1} done", "summary"),
    }
    assert "grouped by agent" in chart
    review = next(k for k, v in nodes.items() if v.startswith("review"))
    assert re.search(rf"^\s+class {review} failed$", chart, re.M)  # a group shows its worst state


def test_small_charts_stay_one_node_per_task() -> None:
    chart = flowchart(["a:x", "a:y", "b"], {"b": ["a:x", "a:y"]}, {"a:x": "done", "a:y": "failed"})
    assert chart == "\n".join(
        [
            "graph TD",
            '    n0["a:x"]',
            '    n1["a:y"]',
            '    n2["b"]',
            "    n0 --> n2",
            "    n1 --> n2",
            "    classDef done fill:#d4f7d4,stroke:#2a2",
            "    class n0 done",
            "    classDef failed fill:#f7d4d4,stroke:#a22",
            "    class n1 failed",
        ]
    )


def test_grouped_labels_stay_safe() -> None:
    """A name Mermaid would read as markup keeps its entity codes in a group's label."""
    evil = 'x<b>"#35;'
    order = [f"{evil}:{i}" for i in range(600)] + ["r"]
    chart = flowchart(order, {"r": order[:-1]}, {})
    assert chart is not None and _edge_count(chart) == 1
    nodes, _ = _flow(chart)
    assert sorted(nodes.values()) == sorted([f"{evil} ×600", "r"])
    assert "<b>" not in chart and '"#35;' not in chart


def test_a_graph_too_big_even_grouped_gives_a_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    order = ["src"] + [f"a{i}" for i in range(MAX_EDGES + 1)]
    assert flowchart(order, {t: ["src"] for t in order[1:]}, {}) is None
    # from the CLI too: 501 agents each reading the one input give 501 edges between agents
    (tmp_path / "in.txt").write_text("x")
    (tmp_path / "Agentfile").write_text(
        'agent src:\n    inputs = in.txt\n    outputs = s.txt\n    run = "cp {input} {output}"\n'
        + "".join(
            f'agent a{i}:\n    inputs = s.txt\n    outputs = o/{i}.txt\n    run = "cp {{input}} {{output}}"\n'
            for i in range(MAX_EDGES + 1)
        )
    )
    assert main(["-C", str(tmp_path), "graph", "--format", "mermaid"]) == 0
    chart = capsys.readouterr().out
    assert _edge_count(chart) == 0 and "too big for a Mermaid chart" in chart, chart[:300]
