"""Dry runs (-n/-q) and `explain`: decisions without acting, reason chains across tasks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from rebuild_helpers import Builder, agentfile, fanout_graph, translate_spec, with_report, write

from agentmake.errors import UsageError
from agentmake.graph import Graph
from agentmake.plan import Hasher, Rebuilder
from agentmake.plan.dryrun import plan_build
from agentmake.plan.explain import explain_lines
from agentmake.plan.hashing import hash_bytes
from agentmake.store import Store


def _project(tmp_path: Path, prompt: str = "Translate {{ input }} into {{ lang }}.") -> Builder:
    for n in ("a", "b"):
        write(tmp_path, f"docs/{n}.md", f"# {n}\n", age=1000)

    def make() -> Graph:
        af = agentfile(tmp_path, {"lang": "Chinese"})
        return with_report(fanout_graph(af, ["a", "b"], translate_spec(prompt)))

    return Builder(tmp_path, make)


def _content_agent(root: Path):  # type: ignore[no-untyped-def]
    def agent(task, decision):  # type: ignore[no-untyped-def]
        return {o: "".join((root / i).read_text() for i in task.inputs).upper() for o in task.outputs}

    return agent


def _plan(b: Builder) -> tuple[dict[str, str], list[str], Rebuilder]:
    graph = b.make_graph()
    with Store.open(b.root, lock=False) as store:
        rb = Rebuilder(graph, store, Hasher(b.root, store))
        decisions = plan_build(graph, rb)
        lines = explain_lines(graph, rb, "summary")
    return {d.task_id: d.action for d in decisions}, lines, rb


def test_dry_run_propagates_pending_outputs(tmp_path: Path) -> None:
    b = _project(tmp_path)
    b.build(agent=_content_agent(tmp_path))
    write(tmp_path, "docs/a.md", "# a edited\n", age=10)
    before = {p: (tmp_path / p).read_bytes() for p in ("build/a.md", "build/report.md")}
    actions, _, _ = _plan(b)
    assert actions == {"translate:a": "run", "translate:b": "skip", "summary": "run"}
    graph = b.make_graph()
    with Store.open(tmp_path, lock=False) as store:
        decisions = {
            d.task_id: d for d in plan_build(graph, Rebuilder(graph, store, Hasher(tmp_path, store)))
        }
    summary = decisions["summary"]
    assert summary.key is None
    assert [r.message for r in summary.reasons] == ["input build/a.md will be rebuilt by translate:a"]
    # nothing was touched
    assert {p: (tmp_path / p).read_bytes() for p in before} == before
    with Store.open(tmp_path) as store:
        assert store.task_record("translate:a") is not None and len(store.attempts()) == 3


def test_dry_run_predicts_restores_exactly(tmp_path: Path) -> None:
    b = _project(tmp_path)
    agent = _content_agent(tmp_path)
    b.build(agent=agent)
    write(tmp_path, "docs/a.md", "# a v2\n", age=500)
    b.build(agent=agent)
    write(tmp_path, "docs/a.md", "# a\n", age=400)
    actions, lines, _ = _plan(b)
    # translate:a comes back from the cache, so the report's inputs are known exactly (its content changed);
    # the report holds the run summary: rendered anew, not restored (a cached copy describes an old run)
    assert actions == {"translate:a": "restore", "translate:b": "skip", "summary": "run"}
    assert lines[0].startswith(
        "build/a.md [translate:a] will be restored from cache: input docs/a.md changed"
    )
    assert lines[1].startswith("build/report.md [summary] is stale: input build/a.md changed")


def test_explain_chain_and_up_to_date(tmp_path: Path) -> None:
    b = _project(tmp_path)
    b.build(agent=_content_agent(tmp_path))
    _, lines, _ = _plan(b)
    assert lines == ["build/report.md [summary] is up to date"]
    old, new = hash_bytes(b"# b\n"), hash_bytes(b"# b!\n")
    write(tmp_path, "docs/b.md", "# b!\n", age=10)
    _, lines, _ = _plan(b)
    assert lines == [
        f"build/b.md [translate:b] is stale: input docs/b.md changed (content {old[:8]} → {new[:8]})",
        "build/report.md [summary] may be stale: input build/b.md will be rebuilt by translate:b"
        " (if that changes it)",
    ]


def test_explain_resolves_names_paths_and_rejects_unknown(tmp_path: Path) -> None:
    b = _project(tmp_path)
    b.build()
    graph = b.make_graph()
    with Store.open(tmp_path, lock=False) as store:
        rb = Rebuilder(graph, store, Hasher(tmp_path, store))
        assert explain_lines(graph, rb, "build/a.md") == ["build/a.md [translate:a] is up to date"]
        assert len(explain_lines(graph, rb, "translate")) == 2
        with pytest.raises(UsageError, match="did you mean 'summary'"):
            explain_lines(graph, rb, "sumary")


def test_prompt_reading_inputs_is_rerendered_when_content_changes(tmp_path: Path) -> None:
    b = _project(
        tmp_path, prompt="{% for f in files %}{{ f.path }}: {{ f.content }}{% endfor %}{{ read(input) }}"
    )
    first = b.build()
    assert first["translate:a"].prompt == "docs/a.md: # a\n# a\n"
    for _ in range(2):
        for dirpath, _dirs, files in os.walk(tmp_path / "build"):
            for f in files:
                os.utime(os.path.join(dirpath, f), (1_600_000_000, 1_600_000_000))
        b.build()
    assert b.rebuilder is not None and b.rebuilder.renders == 0
    write(tmp_path, "docs/a.md", "# A\n", age=10)
    d = b.build()["translate:a"]
    assert d.prompt == "docs/a.md: # A\n# A\n"
    assert [r.kind for r in d.reasons] == ["input-changed"]  # the prompt change is explained by the input


CHAIN = """\
agent one:
    inputs  = src/a.txt
    outputs = build/one.txt
    run     = "cp {input} {output}"

agent two:
    inputs  = src/a.txt build/one.txt
    outputs = build/two.txt
    run     = "cat {inputs} > {output}"

agent three:
    inputs  = build/one.txt
    outputs = build/three.txt
    run     = "cat {inputs} > {output}"
"""


def _built_then_edited(tmp_path: Path) -> None:
    """CHAIN in `tmp_path`, built once; then src/a.txt (what `one` reads) edited."""
    from agentmake.cli import main

    write(tmp_path, "Agentfile", CHAIN)
    write(tmp_path, "src/a.txt", "1\n")
    assert main(["-C", str(tmp_path), "-s"]) == 0
    write(tmp_path, "src/a.txt", "2\n")


def test_a_task_whose_own_input_changed_is_stale_not_may_be(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from agentmake.cli import main

    _built_then_edited(tmp_path)
    capsys.readouterr()
    assert main(["-C", str(tmp_path), "explain", "two"]) == 0
    said = capsys.readouterr().out
    assert "build/two.txt [two] is stale: input src/a.txt changed (content " in said  # whatever one makes
    assert "input build/one.txt will be rebuilt by one" in said and "may be stale" not in said
    assert main(["-C", str(tmp_path), "-n"]) == 0
    said = capsys.readouterr().out
    assert "would run two: input src/a.txt changed" in said
    assert "may run three: input build/one.txt will be rebuilt by one (if that changes it)" in said
    assert said.rstrip().endswith("agentmake: 2 to run, 1 may run, 0 up to date (dry run)")


def test_a_task_never_built_is_stale_not_may_be(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A task never built runs whatever its upstream makes: no early cutoff can leave it up to date."""
    from agentmake.cli import main

    write(tmp_path, "Agentfile", CHAIN)
    write(tmp_path, "src/a.txt", "1\n")
    assert main(["-C", str(tmp_path), "-n"]) == 0
    said = capsys.readouterr().out
    assert "may run" not in said
    assert "would run three: never built; input build/one.txt will be rebuilt by one\n" in said
    assert said.rstrip().endswith("agentmake: 3 to run, 0 up to date (dry run)")
    assert main(["-C", str(tmp_path), "explain", "three"]) == 0
    said = capsys.readouterr().out
    assert "build/three.txt [three] is stale: never built; input build/one.txt will be rebuilt by one" in said
    assert "may be stale" not in said


def test_a_task_whose_output_is_missing_is_stale_not_may_be(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from agentmake.cli import main

    _built_then_edited(tmp_path)
    (tmp_path / "build/three.txt").unlink()
    capsys.readouterr()
    assert main(["-C", str(tmp_path), "-n"]) == 0
    said = capsys.readouterr().out
    assert "would run three: output build/three.txt is missing; input build/one.txt will be rebuilt" in said


def test_explain_of_two_targets_explains_a_task_they_share_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from agentmake.cli import main

    (tmp_path / "Agentfile").write_text(
        'agent x:\n    outputs = out.txt\n    run = "echo hi > {output}"\n'
        'agent y:\n    inputs = out.txt\n    outputs = y.txt\n    run = "cat {input} > {output}"\n'
        'agent z:\n    inputs = out.txt\n    outputs = z.txt\n    run = "cat {input} > {output}"\n'
    )
    assert main(["-C", str(tmp_path), "explain", "y", "z"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" [")[1].split("]")[0] for line in lines] == ["x", "y", "z"], lines
