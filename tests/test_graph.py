"""build_graph: fan-out expansion, chaining through declared outputs, linking, order, and its errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_graph_helpers import agent, project, report

from agentmake.errors import AgentfileError
from agentmake.graph import build_graph


def test_one_task_per_match_with_concrete_outputs(tmp_path: Path) -> None:
    af = project(
        tmp_path, ["docs/b.md", "docs/a.md", "docs/notes.txt"], agent("tr", "docs/{name}.md", "zh/{name}.md")
    )
    g = build_graph(af)
    assert list(g.tasks) == ["tr:a", "tr:b"]
    t = g.tasks["tr:a"]
    assert (t.name, t.kind, t.inputs, t.outputs, t.wildcard_values) == (
        "tr",
        "agent",
        ("docs/a.md",),
        ("zh/a.md",),
        {"name": "a"},
    )
    assert g.producer == {"zh/a.md": "tr:a", "zh/b.md": "tr:b"}


def test_chained_fanouts_and_report_on_clean_checkout(tmp_path: Path) -> None:
    # review and summary are declared before their producers and nothing under build/ exists yet
    af = project(
        tmp_path,
        ["docs/x.md", "docs/y.md"],
        report("summary", "build/review/*.md", "build/summary.md"),
        agent("review", "build/zh/{doc}.md", "build/review/{doc}.md"),
        agent("translate", "docs/{name}.md", "build/zh/{name}.md"),
    )
    g = build_graph(af)
    assert list(g.tasks) == ["translate:x", "review:x", "translate:y", "review:y", "summary"]
    assert g.deps["review:y"] == ("translate:y",)
    assert g.tasks["summary"].inputs == ("build/review/x.md", "build/review/y.md")
    assert g.deps["summary"] == ("review:x", "review:y")
    assert g.dependents["translate:x"] == ("review:x",)
    assert g.tasks["summary"].kind == "report" and g.tasks["summary"].outputs == ("build/summary.md",)


def test_disk_and_declared_outputs_merge_without_duplicates(tmp_path: Path) -> None:
    af = project(
        tmp_path,
        ["docs/a.md", "zh/a.md", "zh/handwritten.md"],
        agent("tr", "docs/{n}.md", "zh/{n}.md"),
        report("all", "zh/*.md", "all.md"),
    )
    g = build_graph(af)
    assert g.tasks["all"].inputs == ("zh/a.md", "zh/handwritten.md")
    assert g.deps["all"] == ("tr:a",)
    assert g.source_files() == ["docs/a.md", "zh/handwritten.md"]


def test_multiple_wildcards_join_on_shared_names(tmp_path: Path) -> None:
    files = ["src/a.py", "src/b.py", "tests/test_a.py", "langs/fr.txt", "langs/zh.txt", "style.md"]
    spec = agent("doc", "src/{mod}.py tests/test_{mod}.py langs/{lang}.txt style.md", "out/{lang}/{mod}.md")
    g = build_graph(project(tmp_path, files, spec))
    assert list(g.tasks) == ["doc:a,fr", "doc:a,zh"]  # b has no test file: no binding
    assert g.tasks["doc:a,zh"].inputs == ("src/a.py", "tests/test_a.py", "langs/zh.txt", "style.md")
    assert g.tasks["doc:a,zh"].wildcards == (("mod", "a"), ("lang", "zh"))
    assert g.tasks["doc:a,zh"].outputs == ("out/zh/a.md",)


def test_globstar_inputs_sorted_deduplicated_in_pattern_order(tmp_path: Path) -> None:
    files = ["src/z.ts", "src/lib/b.ts", "src/lib/deep/a.ts", "src/.cache/x.ts", "README.md"]
    g = build_graph(project(tmp_path, files, agent("lint", "README.md src/**/*.ts src/z.ts", "lint.txt")))
    assert g.tasks["lint"].inputs == ("README.md", "src/lib/b.ts", "src/lib/deep/a.ts", "src/z.ts")


def test_wildcard_over_a_glob_groups_files_per_binding(tmp_path: Path) -> None:
    files = ["chapters/one/a.md", "chapters/one/b.md", "chapters/two/c.md"]
    g = build_graph(project(tmp_path, files, agent("sum", "chapters/{ch}/*.md", "sums/{ch}.md")))
    assert g.tasks["sum:one"].inputs == ("chapters/one/a.md", "chapters/one/b.md")
    assert g.tasks["sum:two"].inputs == ("chapters/two/c.md",)


def test_own_outputs_are_never_inputs(tmp_path: Path) -> None:
    files = ["docs/a.md", "docs/a.summary.md", "index.md", "README.md"]
    af = project(
        tmp_path,
        files,
        agent("summarize", "docs/{n}.md", "docs/{n}.summary.md"),
        agent("index", "*.md docs/*.md", "index.md"),
    )
    g = build_graph(af)
    assert list(g.tasks)[:1] == ["summarize:a"]  # not summarize:a.summary
    assert "index.md" not in g.tasks["index"].inputs
    assert g.deps["index"] == ("summarize:a",)


def test_fanout_matching_nothing_gives_no_tasks(tmp_path: Path) -> None:
    g = build_graph(project(tmp_path, ["README.md"], agent("tr", "docs/{n}.md", "zh/{n}.md")))
    assert g.tasks == {}


def test_report_glob_matching_nothing_is_an_empty_section(tmp_path: Path) -> None:
    g = build_graph(project(tmp_path, [], report("r", "build/*.md", "r.md")))
    assert g.tasks["r"].inputs == ()


def _error(af: object) -> AgentfileError:
    with pytest.raises(AgentfileError) as info:
        build_graph(af)  # type: ignore[arg-type]
    return info.value


def test_missing_literal_input_names_agent_and_file(tmp_path: Path) -> None:
    err = _error(project(tmp_path, ["a.md"], agent("writer", "a.md style/guide.md", "out.md")))
    assert "writer" in err.message and "style/guide.md" in err.message
    assert err.loc is not None and err.loc.line == 3  # the inputs key


def test_directory_input_suggests_globstar(tmp_path: Path) -> None:
    err = _error(project(tmp_path, ["docs/a.md"], agent("w", "docs", "out.md")))
    assert "directory" in err.message and err.hint is not None and "docs/**" in err.hint


def test_agent_glob_matching_nothing_is_an_error(tmp_path: Path) -> None:
    err = _error(project(tmp_path, ["a.md"], agent("w", "a.md notes/*.txt", "out.md")))
    assert "'notes/*.txt' matches no file" in err.message and "'w'" in err.message


def test_cycle_error_shows_the_cycle_with_files(tmp_path: Path) -> None:
    af = project(
        tmp_path,
        ["seed.md"],
        agent("a", "seed.md build/y.md", "build/x.md"),
        agent("b", "build/x.md", "build/y.md"),
    )
    err = _error(af)
    assert "a -> b (via build/x.md) -> a (via build/y.md)" in err.message
    # (and how to break it: the link that closes it)
    assert "take 'build/y.md' out of a's inputs, or have b write another file" in (err.hint or ""), err.hint


def test_an_input_that_names_an_agent_says_to_name_its_file(tmp_path: Path) -> None:
    """`inputs = scan`, the agent's name where its output was meant: "does not exist" alone left a newcomer
    looking for a file; the hint names the agent's outputs."""
    af = project(
        tmp_path,
        ["seed.md"],
        agent("scan", "seed.md", "build/scan.md"),
        agent("use", "scan", "out.md"),
    )
    err = _error(af)
    assert "input 'scan' does not exist and no agent produces it" in err.message
    said = "'scan' is the name of agent 'scan': an input is a file; name what it makes (build/scan.md)"
    assert err.hint == said
    af = project(tmp_path / "other", ["seed.md"], agent("use", "scanner", "out.md"))
    assert _error(af).hint is None  # (a name no block has: no such hint)


def test_cycle_through_fanout_tasks(tmp_path: Path) -> None:
    af = project(
        tmp_path,
        ["in/1.md"],
        agent("a", "in/{n}.md mid/all.md", "mid/{n}.md"),
        agent("b", "mid/1.md", "mid/all.md"),
    )
    assert "a:1 -> b (via mid/1.md) -> a:1 (via mid/all.md)" in _error(af).message


def test_endless_agent_cycle_is_reported(tmp_path: Path) -> None:
    af = project(
        tmp_path,
        ["a/1.md"],
        agent("ping", "a/{n}.md", "b/{n}.x.md"),
        agent("pong", "b/{n}.md", "a/{n}.y.md"),
    )
    err = _error(af)
    assert "endlessly" in err.message and "ping -> pong -> ping" in err.message


def test_agents_feeding_each_other_without_a_task_cycle_converge(tmp_path: Path) -> None:
    af = project(
        tmp_path,
        ["a/1.txt"],
        agent("A", "a/{n}.txt", "b/{n}.md"),
        agent("B", "b/1.md", "a/2.txt"),
    )
    g = build_graph(af)
    assert list(g.tasks) == ["A:1", "B", "A:2"]


def test_duplicate_producer_names_both(tmp_path: Path) -> None:
    af = project(tmp_path, ["a.md", "b.md"], agent("one", "a.md", "out.md"), agent("two", "b.md", "out.md"))
    err = _error(af)
    assert "'out.md'" in err.message and "'one'" in err.message and "'two'" in err.message


@pytest.mark.parametrize("out", ["../escape.md", "/tmp/abs.md", "build/../../x.md"])
def test_output_outside_root(tmp_path: Path, out: str) -> None:
    err = _error(project(tmp_path, ["a.md"], agent("w", "a.md", out)))
    assert "outside the project" in err.message and err.loc is not None and err.loc.line == 4


def test_unbound_output_wildcard_and_glob_output(tmp_path: Path) -> None:
    unbound = project(tmp_path, ["d/a.md"], agent("w", "d/{n}.md", "o/{lang}/{n}.md"))
    assert "{lang}" in _error(unbound).message
    assert "glob" in _error(project(tmp_path, ["d/a.md"], agent("w", "d/{n}.md", "o/*.md"))).message


def test_malformed_pattern_is_located(tmp_path: Path) -> None:
    err = _error(project(tmp_path, ["a.md"], agent("w", "d/{n", "o.md")))
    assert "bad wildcard" in err.message and err.loc is not None and err.loc.line == 3


def test_order_is_deterministic_and_declaration_ordered(tmp_path: Path) -> None:
    files = [f"docs/{i:02d}.md" for i in range(20)]
    specs = (
        agent("late", "docs/00.md", "late.md"),
        agent("tr", "docs/{n}.md", "zh/{n}.md"),
        report("r", "zh/*.md late.md", "r.md"),
    )
    orders = {tuple(build_graph(project(tmp_path, files, *specs)).tasks) for _ in range(3)}
    assert len(orders) == 1
    order = orders.pop()
    assert order[0] == "late" and order[1] == "tr:00" and order[-1] == "r"


def test_a_literal_input_that_is_no_file_says_what_it_is(tmp_path: Path) -> None:
    """A FIFO, a device or a dangling link at a literal input is named as such, not "does not exist"."""
    import os

    def message(root: Path, make: object) -> AgentfileError:
        af = project(root, [], agent("use", ("x.txt",), "out.md"))
        root.mkdir(parents=True, exist_ok=True)
        make(root / "x.txt")  # type: ignore[operator]
        return _error(af)

    err = message(tmp_path / "fifo", os.mkfifo)
    assert "input 'x.txt' is a named pipe (FIFO), not a file" in err.message
    assert "regular file" in (err.hint or "")
    err = message(tmp_path / "dangling", lambda p: p.symlink_to("nowhere"))
    assert "input 'x.txt' is a link to 'nowhere', which does not exist" in err.message
    err = message(tmp_path / "device", lambda p: p.symlink_to("/dev/null"))
    assert "input 'x.txt' is a link to '/dev/null', a device, not a file" in err.message
    err = message(tmp_path / "none", lambda p: None)
    assert "input 'x.txt' does not exist and no agent produces it" in err.message


def test_agent_without_inputs_and_absolute_literal_input(tmp_path: Path) -> None:
    outside = tmp_path / "shared.txt"
    outside.write_text("x")
    af = project(tmp_path / "proj", [], agent("gen", (), "idea.md"), agent("use", (str(outside),), "out.md"))
    g = build_graph(af)
    assert g.tasks["gen"].inputs == () and g.tasks["use"].inputs == (str(outside),)
    missing = project(tmp_path / "p2", [], agent("use", ("/nonexistent/agentmake-x.txt",), "out.md"))
    assert "does not exist" in _error(missing).message
