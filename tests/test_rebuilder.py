"""The rebuilder over real files and a real store: what is stale, why, and what is restored."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from rebuild_helpers import (
    RUNNERS,
    Builder,
    agentfile,
    fanout_graph,
    link,
    translate_spec,
    with_report,
    write,
)

from agentmake.graph import Graph, Task
from agentmake.model import AgentSpec, Prompt, RunnerSpec
from agentmake.plan import Decision
from agentmake.plan.changes import describe_changes
from agentmake.plan.hashing import hash_bytes

OLD = 1_600_000_000


def age_all(root: Path) -> None:
    """Pretend time passed: every project file's mtime goes far into the past (records become trustworthy)."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".agentmake"]
        for name in filenames:
            os.utime(os.path.join(dirpath, name), (OLD, OLD))


def project(tmp_path: Path, names: tuple[str, ...] = ("a", "b", "c"), **kw: object) -> Builder:
    for n in names:
        write(tmp_path, f"docs/{n}.md", f"# {n}\n")
    state: dict[str, object] = {"variables": {"lang": "Chinese"}, "spec": translate_spec(), **kw}

    def make() -> Graph:
        af = agentfile(tmp_path, state["variables"], state.get("runners"))  # type: ignore[arg-type]
        return with_report(fanout_graph(af, list(names), state["spec"]))  # type: ignore[arg-type]

    b = Builder(tmp_path, make)
    b.state = state  # type: ignore[attr-defined]
    return b


def settle(b: Builder) -> None:
    """Build, let time pass, build again: afterwards every stat record is trusted."""
    b.build()
    age_all(b.root)
    b.build()


def content_agent(root: Path) -> Callable[[Task, Decision], dict[str, str]]:
    """An agent whose output depends on its inputs' content."""

    def agent(task: Task, decision: Decision) -> dict[str, str]:
        text = "".join((root / p).read_text() for p in task.inputs)
        return {o: f"{task.id}: {text.upper()}" for o in task.outputs}

    return agent


def test_first_build_runs_everything_then_nothing(tmp_path: Path) -> None:
    b = project(tmp_path)
    first = b.build()
    assert b.ran == ["translate:a", "translate:b", "translate:c", "summary"]
    assert all(d.reasons[0].kind == "never-built" for d in first.values())
    assert first["translate:a"].prompt == "Translate docs/a.md into Chinese."
    age_all(tmp_path)
    b.build()
    assert b.ran == []
    third = b.build()
    assert b.ran == [] and all(d.action == "skip" and not d.reasons for d in third.values())
    assert b.hasher is not None and b.hasher.files_read == 0  # nothing read: stat cache only
    assert b.rebuilder is not None and b.rebuilder.renders == 0  # no prompt rendered either
    assert all(d.prompt is None for d in third.values())


def test_touch_without_change_is_up_to_date(tmp_path: Path) -> None:
    b = project(tmp_path)
    settle(b)
    os.utime(tmp_path / "docs/b.md", (OLD + 100, OLD + 100))
    decisions = b.build()
    assert b.ran == [] and decisions["translate:b"].action == "skip"
    assert b.hasher is not None and b.hasher.files_read == 1  # the touched file, once
    b.build()
    assert b.hasher.files_read == 0


def test_edited_input_reruns_only_its_task_with_reason(tmp_path: Path) -> None:
    b = project(tmp_path)
    b.build(agent=content_agent(tmp_path))
    age_all(tmp_path)
    old = hash_bytes(b"# b\n")
    write(tmp_path, "docs/b.md", "# b, revised\n", age=1000)
    decisions = b.build(agent=content_agent(tmp_path))
    assert b.ran == ["translate:b", "summary"]
    (reason,) = decisions["translate:b"].reasons
    new = hash_bytes(b"# b, revised\n")
    assert reason.kind == "input-changed"
    assert reason.message == f"input docs/b.md changed (content {old[:8]} → {new[:8]})"
    assert decisions["summary"].reasons[0].message.startswith("input build/b.md changed (content ")
    assert decisions["translate:a"].action == "skip"


def test_early_cutoff_when_rerun_output_is_identical(tmp_path: Path) -> None:
    b = project(tmp_path)  # the default agent's output does not depend on the input's content
    settle(b)
    write(tmp_path, "docs/a.md", "# a changed\n", age=1000)
    decisions = b.build()
    assert b.ran == ["translate:a"]
    assert decisions["summary"].action == "skip"


def test_irrelevant_fields_do_not_change_the_key(tmp_path: Path) -> None:
    b = project(tmp_path)
    settle(b)
    before = b.build()
    b.state["spec"] = dataclasses.replace(  # type: ignore[attr-defined]
        translate_spec(), description="now documented", priority=9, retries=5, timeout=60.0, estimate=3.0
    )
    b.state["variables"] = {"lang": "Chinese", "unused": "x"}  # type: ignore[attr-defined]
    after = b.build()
    assert b.ran == []
    assert {t: d.key for t, d in before.items()} == {t: d.key for t, d in after.items()}


def test_prompt_variable_and_model_changes(tmp_path: Path) -> None:
    b = project(tmp_path, names=("a",))
    settle(b)
    b.state["variables"] = {"lang": "French"}  # type: ignore[attr-defined]
    d = b.build()["translate:a"]
    assert [r.kind for r in d.reasons] == ["prompt-changed"]
    assert "inline prompt changed" in d.reasons[0].message and "variable" in d.reasons[0].message
    assert d.prompt == "Translate docs/a.md into French."

    b.state["spec"] = translate_spec(text="Summarise {{ input }}.")  # type: ignore[attr-defined]
    d = b.build()["translate:a"]
    assert [(r.kind, r.message) for r in d.reasons] == [("prompt-changed", "inline prompt changed")]

    file_spec = dataclasses.replace(translate_spec(), prompt=Prompt("Summarise {{ input }}.", "prompts/t.md"))
    b.state["spec"] = file_spec  # type: ignore[attr-defined]
    d = b.build()["translate:a"]
    assert (d.action, d.reasons) == ("skip", [])  # the same text from a file: the agent is sent the same
    b.state["spec"] = dataclasses.replace(file_spec, prompt=Prompt("Shorten {{ input }}.", "prompts/t.md"))  # type: ignore[attr-defined]
    d = b.build()["translate:a"]
    assert [(r.kind, r.message, r.path) for r in d.reasons] == [
        ("prompt-changed", "prompt changed inline → prompts/t.md", "prompts/t.md")
    ]
    b.state["spec"] = dataclasses.replace(file_spec, prompt=Prompt("Shorter {{ input }}.", "prompts/t.md"))  # type: ignore[attr-defined]
    d = b.build()["translate:a"]
    assert [(r.kind, r.message, r.path) for r in d.reasons] == [
        ("prompt-changed", "prompt prompts/t.md changed", "prompts/t.md")
    ]

    b.state["runners"] = {**RUNNERS, "claude": dataclasses.replace(RUNNERS["claude"], model="opus")}  # type: ignore[attr-defined]
    d = b.build()["translate:a"]
    assert [r.message for r in d.reasons] == ["model changed sonnet → opus"]
    assert b.ran[0] == "translate:a"


def test_agent_model_overrides_runner_model(tmp_path: Path) -> None:
    b = project(tmp_path, names=("a",))
    settle(b)
    b.state["spec"] = dataclasses.replace(translate_spec(), model="haiku")  # type: ignore[attr-defined]
    d = b.build()["translate:a"]
    assert d.parts["runner"]["model"] == "haiku"
    assert [r.message for r in d.reasons] == ["model changed sonnet → haiku"]


def test_missing_output_is_restored_from_cache_then_run_without_it(tmp_path: Path) -> None:
    b = project(tmp_path, names=("a",))
    settle(b)
    original = (tmp_path / "build/a.md").read_bytes()
    (tmp_path / "build/a.md").unlink()
    d = b.build()["translate:a"]
    assert d.action == "restore" and [r.kind for r in d.reasons] == ["output-missing", "cached"]
    assert b.ran == [] and (tmp_path / "build/a.md").read_bytes() == original
    (tmp_path / "build/a.md").unlink()
    from agentmake.store import Store

    with Store.open(tmp_path) as store:
        store.cache_clear()
    d = b.build()["translate:a"]
    assert d.action == "run" and d.reasons[0].message == "output build/a.md is missing"


def test_revert_restores_the_paid_result(tmp_path: Path) -> None:
    b = project(tmp_path, names=("a",))
    b.build(agent=content_agent(tmp_path))
    first = (tmp_path / "build/a.md").read_bytes()
    write(tmp_path, "docs/a.md", "# a v2\n", age=500)
    b.build(agent=content_agent(tmp_path))
    assert (tmp_path / "build/a.md").read_bytes() != first
    write(tmp_path, "docs/a.md", "# a\n", age=400)
    decisions = b.build(agent=content_agent(tmp_path))
    assert b.ran == ["summary"]  # no agent is called again (the report, which holds the run summary, is
    # rendered anew: a cached copy would describe an older run)
    assert decisions["translate:a"].action == "restore"
    assert decisions["translate:a"].reasons[-1].kind == "cached"
    assert (tmp_path / "build/a.md").read_bytes() == first
    assert decisions["summary"].action == "run"


def test_hand_edited_output_is_kept_then_saved_before_rerun(tmp_path: Path) -> None:
    b = project(tmp_path, names=("a",))
    settle(b)
    write(tmp_path, "build/a.md", "my careful edit\n", age=200)
    decisions = b.build()
    d = decisions["translate:a"]
    assert d.action == "skip" and [(r.kind, r.message) for r in d.reasons] == [
        ("output-edited", "build/a.md was edited by hand; keeping it")
    ]
    assert decisions["summary"].reasons[0].kind == "input-changed"  # the edit flows downstream
    assert (tmp_path / "build/a.md").read_text() == "my careful edit\n"
    write(tmp_path, "docs/a.md", "# a new\n", age=100)
    d = b.build()["translate:a"]
    assert d.action == "run" and d.edited == ["build/a.md"]
    (saved,) = b.saved
    assert saved.read_text() == "my careful edit\n"
    assert saved.relative_to(tmp_path / ".agentmake/edited").as_posix().endswith("/build/a.md")


def test_forced_runs_everything_without_cache(tmp_path: Path) -> None:
    b = project(tmp_path, names=("a",))
    settle(b)
    decisions = b.build(force=True)
    assert b.ran == ["translate:a", "summary"]
    assert all(d.action == "run" and d.reasons[-1].kind == "forced" for d in decisions.values())


def test_shell_agent_command_is_the_prompt(tmp_path: Path) -> None:
    write(tmp_path, "src/in file.txt", "x")
    spec = AgentSpec("copy", ("src/in file.txt",), ("out.txt",), run="cp {input} {output}", runner="shell")

    from agentmake.graph import Task

    state = {"spec": spec}

    def make() -> Graph:
        s = state["spec"]
        return link(agentfile(tmp_path), {"copy": Task("copy", "copy", "agent", s.inputs, s.outputs, s)})

    b = Builder(tmp_path, make)
    d = b.build()["copy"]
    assert d.prompt == "cp 'src/in file.txt' out.txt" and d.parts["kind"] == "shell"
    state["spec"] = dataclasses.replace(spec, run="cp -p {input} {output}")
    d = b.build()["copy"]
    assert [(r.kind, r.message) for r in d.reasons] == [("command-changed", "command changed")]


def test_previous_failure_is_reported(tmp_path: Path) -> None:
    from agentmake.store import Store

    b = project(tmp_path, names=("a",))
    settle(b)
    with Store.open(tmp_path) as store:
        store.record_failure("translate:a", 9, "exit 1: boom")
    write(tmp_path, "docs/a.md", "# again\n", age=100)
    d = b.build()["translate:a"]
    assert [r.kind for r in d.reasons] == ["input-changed", "previous-failed"]
    assert d.reasons[1].message == "the previous run failed: exit 1: boom"


def test_a_failure_under_other_settings_is_done_again_once_the_outputs_are_found_as_last_built(
    tmp_path: Path,
) -> None:
    """A failed record keeps the last good key: found up to date under it, the task is done again (and
    decided by the fast path from then on); under a failure with its outputs not as last built, it stays
    failed."""
    from agentmake.store import Store

    b = project(tmp_path, names=("a", "b"))
    settle(b)
    with Store.open(tmp_path) as store:
        for task_id in ("translate:a", "translate:b"):
            store.record_failure(task_id, 9, "exit 1: boom")
    write(tmp_path, "build/b.md", "not as built\n", age=100)
    decisions = b.build()
    assert decisions["translate:a"].action == "skip" and decisions["translate:b"].action == "restore"
    with Store.open(tmp_path) as store:
        rec = store.task_record("translate:a")
        assert rec is not None and (rec.status, rec.error) == ("done", None)
    b.build()
    assert b.rebuilder is not None and b.rebuilder.fast == 2, "no longer decided the slow way"

    with Store.open(tmp_path) as store:
        store.record_failure("translate:a", 10, "exit 1: boom")
    write(tmp_path, "build/a.md", "edited\n", age=100)
    assert b.build()["translate:a"].action == "restore"  # saved, then restored: never marked done as is
    with Store.open(tmp_path) as store:
        assert store.task_record("translate:a").status == "done"  # (by the restore's record)


def test_unknown_runner_and_new_runner(tmp_path: Path) -> None:
    custom = RunnerSpec("mine", ("my-agent",), model_flag="-m", model="big")
    b = project(tmp_path, names=("a",), runners={**RUNNERS, "mine": custom})
    settle(b)
    b.state["spec"] = dataclasses.replace(translate_spec(), runner="mine")  # type: ignore[attr-defined]
    d = b.build()["translate:a"]
    # another runner in a word (it was "runner mine: command changed claude -p → my-agent" and one line for
    # each of its settings, as if runner mine had been edited)
    assert [r.message for r in d.reasons] == ["runner changed claude → mine"]
    # a record an older agentmake made, without the runner's name: each setting that changed
    parts = dict(d.parts)
    before = {**parts, "runner": {**parts["runner"], "command": ["claude", "-p"], "model": "sonnet"}}
    del before["_runner"]
    messages = [r.message for r in describe_changes(before, parts, "mine")]
    assert "runner mine: command changed claude -p → my-agent" in messages
    assert "model changed sonnet → big" in messages


@pytest.mark.parametrize("field", ["title", "summary"])
def test_report_settings_change_the_report_key(tmp_path: Path, field: str) -> None:
    from agentmake.model import ReportSpec

    b = project(tmp_path, names=("a",))
    settle(b)
    spec = ReportSpec("summary", ("build/a.md",), "build/report.md")
    changed = dataclasses.replace(spec, **{field: "Weekly" if field == "title" else False})

    def make() -> Graph:
        af = agentfile(tmp_path, {"lang": "Chinese"})
        return with_report(fanout_graph(af, ["a"]), changed)

    b.make_graph = make
    d = b.build()["summary"]
    assert [r.kind for r in d.reasons] == ["setting-changed"] and field in d.reasons[0].message


def test_how_reports_render_is_part_of_a_plain_reports_key_only(tmp_path: Path) -> None:
    """Rendering a report anew costs nothing, so a change in how agentmake renders them re-renders every
    plain report (once); a merge report's key is its prompt, so it is not asked again for that."""
    from agentmake.model import Prompt, ReportSpec
    from agentmake.plan.changes import describe_changes
    from agentmake.plan.rebuilder import REPORT_RENDERER

    b = project(tmp_path, names=("a",))
    settle(b)
    plain = ReportSpec("summary", ("build/a.md",), "build/report.md")
    merged = ReportSpec("merged", ("build/a.md",), "build/merged.md", merge=Prompt(text="merge"))
    for spec, expected in ((plain, REPORT_RENDERER), (merged, None)):

        def make(spec: ReportSpec = spec) -> Graph:
            return with_report(fanout_graph(agentfile(tmp_path, {"lang": "Chinese"}), ["a"]), spec)

        b.make_graph = make
        assert b.build()["summary"].parts.get("renderer") == expected  # (with_report names it so)
    before = {"v": 1, "kind": "report", "title": "summary"}  # a record of an agentmake before renderer 2
    reasons = describe_changes(before, {**before, "renderer": REPORT_RENDERER}, None)
    assert [r.message for r in reasons] == [
        f"agentmake renders reports differently now (version 1 → {REPORT_RENDERER})"
    ]


def test_a_shell_agent_turned_llm_agent_says_its_runner_changed_not_each_setting() -> None:
    # (the code-review example's offline profile to profile=llm said "runner claude: command changed sh -c →
    # claude -p ...", "format changed text → claude-json", "model flag changed (default) → --model"...)
    shell = {"v": 2, "kind": "shell", "runner": {"command": ["sh", "-c"], "model": None, "format": "text"}}
    llm = {"v": 2, "kind": "agent", "_runner": "claude"}
    llm["runner"] = {"command": ["claude", "-p"], "model": "sonnet", "format": "claude-json"}
    messages = [r.message for r in describe_changes(shell, llm, "claude")]
    assert "runner changed shell → claude" in messages and "task kind changed shell → agent" in messages
    assert not any("command changed" in m or "format changed" in m for m in messages), messages
