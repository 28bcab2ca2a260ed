"""Graph.select (targets → sub-graph with everything needed), the traversal helpers, and render_graph."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_graph_helpers import agent, project, report

from agentmake.errors import UsageError
from agentmake.graph import Graph, build_graph, render_graph


def _pipeline(root: Path, default: tuple[str, ...] = ()) -> Graph:
    af = project(
        root,
        ["docs/a.md", "docs/b.md", "glossary.txt"],
        agent("translate", "docs/{name}.md glossary.txt", "build/zh/{name}.md"),
        agent("review", "build/zh/{name}.md", "build/review/{name}.md"),
        agent("lint", "glossary.txt", "build/lint.txt"),
        report("summary", "build/review/*.md", "build/summary.md"),
        default=default,
    )
    return build_graph(af)


def test_select_by_task_id_takes_transitive_deps(tmp_path: Path) -> None:
    sub = _pipeline(tmp_path).select(["review:b"])
    assert list(sub.tasks) == ["translate:b", "review:b"]
    assert sub.deps["review:b"] == ("translate:b",)
    assert sub.dependents["translate:b"] == ("review:b",)
    assert set(sub.producer) == {"build/zh/b.md", "build/review/b.md"}


def test_select_by_name_takes_every_task_of_it(tmp_path: Path) -> None:
    # ready tasks go in declaration order: both translations, then both reviews
    assert list(_pipeline(tmp_path).select(["review"]).tasks) == [
        "translate:a",
        "translate:b",
        "review:a",
        "review:b",
    ]


@pytest.mark.parametrize("target", ["build/zh/a.md", "./build/zh/a.md", "build//zh/a.md"])
def test_select_by_output_path(tmp_path: Path, target: str) -> None:
    assert list(_pipeline(tmp_path).select([target]).tasks) == ["translate:a"]


def test_select_by_absolute_path_and_directory(tmp_path: Path) -> None:
    g = _pipeline(tmp_path)
    assert list(g.select([str(tmp_path / "build/lint.txt")]).tasks) == ["lint"]
    assert list(g.select(["build/review"]).tasks) == ["translate:a", "translate:b", "review:a", "review:b"]


def test_select_keeps_graph_order_whatever_the_target_order(tmp_path: Path) -> None:
    g = _pipeline(tmp_path)
    assert list(g.select(["lint", "translate:a"]).tasks) == ["translate:a", "lint"]


def test_empty_targets_defaults(tmp_path: Path) -> None:
    g = _pipeline(tmp_path)
    assert "lint" not in g.select([]).tasks and "summary" in g.select([]).tasks  # every report
    assert list(_pipeline(tmp_path, default=("lint",)).select([]).tasks) == ["lint"]
    no_reports = build_graph(project(tmp_path / "p2", ["x.md"], agent("w", "x.md", "y.md")))
    assert list(no_reports.select([]).tasks) == ["w"]


@pytest.mark.parametrize(
    ("target", "suggestion"),
    [("reviw", "review"), ("translate:aa", "translate:a"), ("build/zh/bb.md", "build/zh/b.md")],
)
def test_unknown_target_did_you_mean(tmp_path: Path, target: str, suggestion: str) -> None:
    with pytest.raises(UsageError) as info:
        _pipeline(tmp_path).select([target])
    message = str(info.value)
    assert f"unknown target '{target}'" in message and f"did you mean '{suggestion}'" in message


def test_unknown_target_without_close_match_lists_targets(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="targets: translate, review, lint, summary"):
        _pipeline(tmp_path).select(["qqqqqqqq"])


def test_traversal_helpers(tmp_path: Path) -> None:
    g = _pipeline(tmp_path)
    assert g.needs("summary") == {"translate:a", "review:a", "translate:b", "review:b"}
    assert g.needed_by("translate:a") == {"review:a", "summary"}
    assert [t.id for t in g.tasks_named("translate")] == ["translate:a", "translate:b"]
    assert g.topo_order() == list(g.tasks)
    assert g.source_files() == ["docs/a.md", "docs/b.md", "glossary.txt"]


def test_render_text(tmp_path: Path) -> None:
    text = render_graph(_pipeline(tmp_path).select(["summary"]), "text")
    assert text == (
        "translate:a\n"
        "translate:b\n"
        "review:a <- translate:a\n"
        "review:b <- translate:b\n"
        "summary (report) <- review:a, review:b\n"
    )


def test_render_dot(tmp_path: Path) -> None:
    dot = render_graph(_pipeline(tmp_path), "dot")
    assert dot.startswith("digraph agentmake {\n") and dot.endswith("}\n")
    assert '"translate:a" -> "review:a" [label="build/zh/a.md"];' in dot
    assert '"summary" [label="summary", shape=note];' in dot
    assert dot == render_graph(_pipeline(tmp_path), "dot")


def test_render_mermaid_uses_safe_ids_and_quoted_labels(tmp_path: Path) -> None:
    mm = render_graph(_pipeline(tmp_path), "mermaid").splitlines()
    assert mm[0] == "graph TD"
    assert '  t0["translate:a"]' in mm and '  t5[/"summary"/]' in mm
    assert '  t0 -->|"build/zh/a.md"| t2' in mm


def test_render_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown graph format 'svg'"):
        render_graph(_pipeline(tmp_path), "svg")


def test_a_source_file_as_target_is_said_to_be_an_input(tmp_path: Path) -> None:
    # (it was "unknown target 'glossary.txt'" though the project reads it: make says "nothing to be done")
    with pytest.raises(UsageError) as info:
        _pipeline(tmp_path).select(["glossary.txt"])
    message = str(info.value)
    assert "'glossary.txt' is an input, not an output: no agent makes it" in message, message
    assert "it is read by translate:a, translate:b, lint" in message
    assert "name an output, an agent or a report" in message
    with pytest.raises(UsageError) as one:
        _pipeline(tmp_path).select(["./docs/a.md"])
    assert "no agent makes it (it is read by translate:a)" in str(one.value)
