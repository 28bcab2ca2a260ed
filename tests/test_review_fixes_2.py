"""Regression tests of the second review: a failed cache restore falls back to a run that has its prompt,
a symlinked output directory restores from the cache, outputs recorded but not placed are restored by the
next run (never kept as a "hand edit"), and a watch cancel re-decides a task parked waiting for a slot."""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path

import pytest
from conftest import FakeAgents
from test_scheduler_fakes import EventLog, FakeRebuilder, FakeStore, SleepExecutor, Spec, Step, make_graph

from agentmake import workflow
from agentmake.errors import UsageError
from agentmake.runners.salvage import forget_answers
from agentmake.scheduler import BuildControl, BuildOptions, outcomes, run_build
from agentmake.scheduler.discard import Discard
from agentmake.scheduler.events import TaskEvent
from agentmake.store import Store
from agentmake.store.cache import _inside

SHELL = """\
agent copy:
    inputs = src/{n}.txt
    outputs = build/{n}.txt
    run = "cp {input} {output}; echo {n} >> runs.log"
"""

LLM = '''\
agent write:
    inputs = notes.md
    outputs = out.md
    prompt = """
        FAKE: label=write
        Summarise: {{ read(input) }}
        """
'''


def _build(root: Path) -> workflow.BuildResult:
    req = workflow.Request(directory=root, silent=True, jobs=1)  # type: ignore[arg-type]
    project = workflow.load_project(req)
    with Store.open(root) as store:
        return workflow.run_graph(project, project.graph, store, req)


def _shell_project(root: Path) -> None:
    (root / "src").mkdir(parents=True)
    (root / "Agentfile").write_text(SHELL)
    for name in ("a", "b"):
        (root / "src" / f"{name}.txt").write_text(f"{name} v1\n")


def _runs(root: Path) -> list[str]:
    log = root / "runs.log"
    return log.read_text().split() if log.exists() else []


# -- A: a failed restore runs the task, with its prompt ----------------------------------------------------


@pytest.mark.parametrize("error", [OSError("disk on fire"), UsageError("cached output is outside")])
def test_failed_restore_runs_the_task_with_a_rendered_prompt(
    tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    (tmp_path / "notes.md").write_text("some notes\n")
    (tmp_path / "Agentfile").write_text(LLM)
    assert _build(tmp_path).ok
    (tmp_path / "out.md").unlink()  # like `agentmake clean`: the next decision (memo fast path) is "restore"
    # the first answer is in the logs: forget it, or it is salvaged and the agent (and its prompt) never asked
    assert forget_answers(tmp_path / ".agentmake" / "logs") == 1

    def broken(self: Store, key: str, root: Path, moved: object = None) -> dict[str, str]:
        raise error

    monkeypatch.setattr(Store, "cache_restore", broken)
    result = _build(tmp_path)
    assert result.ok, {t: (o.state, o.message) for t, o in result.outcomes.items()}
    assert result.outcomes["write"].state == "done"  # ran instead of restoring
    assert [lb for ev, _, _, _, lb in fake_agents.log_lines() if ev == "start"] == ["write", "write"]
    assert (tmp_path / "out.md").is_file()


# -- B: a symlinked output directory -------------------------------------------------------------------------


def test_symlinked_output_directory_is_refused_not_written_through(tmp_path: Path) -> None:
    # (it was allowed once, and restored through the link; outputs may not escape the project: refused)
    root, scratch = tmp_path / "proj", tmp_path / "scratch"
    _shell_project(root)
    scratch.mkdir()
    os.symlink(scratch, root / "build")
    result = _build(root)
    failed = [o for o in result.outcomes.values() if o.state == "failed"]
    assert not result.ok and failed and all("outside the project" in (o.message or "") for o in failed)
    assert list(scratch.iterdir()) == [] and _runs(root) == []


@pytest.mark.parametrize("path", ["../x", "/etc/x", "a/../../x", "..", ".", ""])
def test_cached_output_outside_the_project_is_refused(tmp_path: Path, path: str) -> None:
    with pytest.raises(UsageError):
        _inside(tmp_path, path)


def test_cached_output_path_is_judged_lexically(tmp_path: Path) -> None:
    assert _inside(tmp_path, "build/./a.txt") == tmp_path / "build/a.txt"
    assert _inside(tmp_path, "x/../a.txt") == tmp_path / "a.txt"


# -- C: outputs recorded, then placing them failed -----------------------------------------------------------


def test_failed_placement_is_restored_by_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _shell_project(tmp_path)
    assert _build(tmp_path).ok
    (tmp_path / "src/a.txt").write_text("a v2\n")
    real = outcomes.commit_outputs
    calls = {"n": 0}

    def fail_once(
        root: Path, staged: dict[str, Path], discard: Discard | None = None, absent: Collection[str] = ()
    ) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("no space left on device")
        real(root, staged, discard, absent)

    with monkeypatch.context() as m:
        m.setattr(outcomes, "commit_outputs", fail_once)
        second = _build(tmp_path)
    assert second.outcomes["copy:a"].state == "failed"
    assert (tmp_path / "build/a.txt").read_text() == "a v1\n"  # never placed
    with Store.open(tmp_path, lock=False) as store:
        rec = store.task_record("copy:a")
        assert rec is not None and rec.status == "done"  # the committed record is not overwritten
        assert store.pending_commits() == ["copy:a"]

    third = _build(tmp_path)
    assert third.ok
    assert (tmp_path / "build/a.txt").read_text() == "a v2\n"  # the paid-for result, from the cache
    assert third.outcomes["copy:a"].state == "up-to-date"
    assert _runs(tmp_path) == ["a", "b", "a"]  # not run again


def test_output_differing_from_a_failed_record_is_not_kept(tmp_path: Path) -> None:
    _shell_project(tmp_path)
    assert _build(tmp_path).ok
    with Store.open(tmp_path) as store:
        store.record_failure("copy:a", 1, "placing outputs failed")  # same key, status failed
    (tmp_path / "build/a.txt").write_text("stale content\n")
    result = _build(tmp_path)
    assert result.ok
    assert result.outcomes["copy:a"].state == "cached"  # restored, not "edited by hand; keeping it"
    assert (tmp_path / "build/a.txt").read_text() == "a v1\n"
    saved = [p.read_text() for p in (tmp_path / ".agentmake/edited").rglob("*") if p.is_file()]
    assert saved == ["stale content\n"]  # overwritten only after a copy was saved


# -- D: a watch cancel of a parked task ---------------------------------------------------------------------


def test_cancel_of_a_parked_task_decides_it_again(tmp_path: Path) -> None:
    control = BuildControl()

    def cancel_b(events: list[TaskEvent]) -> bool:
        last = events[-1]
        if (last.task_id, last.state) == ("a", "running"):
            control.cancel("b", "input src/b.txt changed")  # b is decided and parked: jobs=1
        return False

    graph = make_graph(tmp_path, [Spec("a", priority=5), Spec("b")])
    rebuilder = FakeRebuilder()
    executor = SleepExecutor(tmp_path, {"a": [Step(0.8)]}, Step(0.05))
    opts = BuildOptions(jobs=1, backoff_base=0.05, backoff_cap=0.2)  # type: ignore[arg-type]
    store = FakeStore(tmp_path)
    result = run_build(graph, rebuilder, executor, store, opts, EventLog(cancel_b), control=control)  # type: ignore[arg-type]
    assert result.ok
    assert [e.task_id for e in executor.log] == ["a", "b"]  # each paid for once
    assert rebuilder.decided.count("b") == 2  # its first decision dropped, taken again from current content
    assert result.outcomes["b"].state == "done" and control.cancelled == []
