"""A success that ends while the slots freed by others are given on (`Results._handle_all`: the tasks started
there take a few hundred microseconds each) is taken without waiting and recorded in the same transaction as
they are: one commit for both; each is still recorded before it is renamed into place and told done."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Any

import pytest

from agentmake import workflow
from agentmake.scheduler import loop as loop_mod
from agentmake.scheduler import outcomes as outcomes_mod
from agentmake.scheduler import results as results_mod
from agentmake.store import Store, TaskRecord

WAITING = (
    "agent t{i}:\n    outputs = out/t{i}.txt\n"
    '    run = "while [ ! -e go{i} ]; do sleep 0.01; done; echo {i} > {{output}}"\n\n'
)


def _ended(build: loop_mod.Build, task_id: str) -> None:
    """Wait (up to 30 s) until the inline attempt of `task_id` has exited, not reaping it."""
    assert build.inline is not None
    pids = [w.child.proc.pid for w in build.inline.supervisor.by_pidfd.values() if w.key == task_id]
    assert pids, f"{task_id} is not running"
    deadline = time.monotonic() + 30
    while os.waitid(os.P_PID, pids[0], os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
        assert time.monotonic() < deadline, f"{task_id} never ended"
        time.sleep(0.01)


def _build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, more: int | None = None) -> list[tuple[str, Any]]:
    """-j 2: t0 and t1 run; t0 ends once t2 is decided (waiting for a slot); t1 ends while t2 is started in
    the slot t0 freed. What is recorded together and renamed, in order."""
    (tmp_path / "Agentfile").write_text("".join(WAITING.format(i=i) for i in range(3)))
    (tmp_path / "go2").touch()
    events: list[tuple[str, Any]] = []
    real_decide, real_launch = loop_mod.Build._decide, loop_mod.Build._launch
    real_record_together = loop_mod.Build._record_together
    real_commit_outputs = outcomes_mod.commit_outputs

    def decide(self: loop_mod.Build, t: Any) -> None:
        real_decide(self, t)
        if t.id == "t2":  # (t0 and t1 are running: t2 waits for a slot)
            (tmp_path / "go0").touch()

    def launch(self: loop_mod.Build, t: Any) -> None:
        real_launch(self, t)
        if t.id == "t2":  # (in the slot t0 freed, before t0 is recorded)
            (tmp_path / "go1").touch()
            _ended(self, "t1")

    def together(self: loop_mod.Build, successes: list[tuple[Any, ...]], clears: list[str]) -> bool:
        events.append(("recorded", sorted(m[1] for m in successes)))
        return real_record_together(self, successes, clears)

    def renaming(root: Path, staged: Any, discard: Any = None, absent: Any = ()) -> Any:
        events.append(("renamed", sorted(staged)))
        return real_commit_outputs(root, staged, discard, absent)

    monkeypatch.setattr(loop_mod.Build, "_decide", decide)
    monkeypatch.setattr(loop_mod.Build, "_launch", launch)
    monkeypatch.setattr(loop_mod.Build, "_record_together", together)
    monkeypatch.setattr(outcomes_mod, "commit_outputs", renaming)
    if more is not None:
        monkeypatch.setattr(results_mod, "MORE", more)
    req = workflow.Request(directory=tmp_path, silent=True, jobs=2)  # type: ignore[call-arg]
    project = workflow.load_project(req)
    with Store.open(tmp_path) as store:
        assert workflow.run_graph(project, project.graph, store, req).ok
    for i in range(3):
        assert (tmp_path / f"out/t{i}.txt").read_text() == f"{i}\n"
    with Store.open(tmp_path, lock=False) as store:
        assert store.pending_commits() == [] and all(store.task_record(f"t{i}") is not None for i in range(3))
    return events


def test_a_success_ending_while_a_freed_slot_is_given_on_is_recorded_with_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = _build(tmp_path, monkeypatch)
    # one transaction for t0 and t1 (before: t0 alone, then t1 with what else ended), before any rename (t2,
    # started in t0's slot, may have ended in time to join them)
    kind, recorded = events[0]
    assert kind == "recorded" and recorded[:2] == ["t0", "t1"]
    assert [kind for kind, _ in events[1 : 1 + len(recorded)]] == ["renamed"] * len(recorded)


def test_without_more_looks_each_is_recorded_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`MORE = 0`: what ended meanwhile waits for the loop's next look (the behaviour before)."""
    events = _build(tmp_path, monkeypatch, more=0)
    assert events[:2] == [("recorded", ["t0"]), ("renamed", ["out/t0.txt"])]


def _recorded(root: Path, batched: bool) -> dict[str, list[tuple[Any, ...]]]:
    """Three successes recorded in one batch, or each in its own transaction; then every table's rows (but
    for the cache rows' times, which are the clock's at the write)."""
    import sqlite3

    root.mkdir()
    with Store.open(root) as store:
        run = store.begin_run()
        batch = store.batch() if batched else contextlib.nullcontext()
        with batch:
            for i, name in enumerate(("a", "b", "c")):
                staged = root / f".{name}.agentmake-tmp-1"
                staged.write_bytes(name.encode() * (i + 1))
                digest, _ = store.hash_and_store_blob(staged)
                record = TaskRecord(
                    name, f"k{name}", {"in": name}, {name: digest}, finished_at=100.0 + i, duration=0.5,
                    cost_usd=0.01, tokens_in=3, tokens_out=4, run_id=run, started_at=99.0,
                )  # fmt: skip
                store.record_success(record, {name: staged})
    tables: dict[str, list[tuple[Any, ...]]] = {}
    with contextlib.closing(sqlite3.connect(root / ".agentmake/state.db")) as conn:
        for table in ("tasks", "attempts", "cache", "blobs", "commits", "uncached", "strays", "running"):
            columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
            kept = [c for c in columns if c not in ("created_at", "last_used")]
            tables[table] = conn.execute(f"SELECT {', '.join(kept)} FROM {table} ORDER BY 1").fetchall()
    return tables


def test_a_batch_stores_what_single_commits_store(tmp_path: Path) -> None:
    batched, single = _recorded(tmp_path / "batched", True), _recorded(tmp_path / "single", False)
    assert batched == single
    assert [row[0] for row in batched["tasks"]] == ["a", "b", "c"] and len(batched["attempts"]) == 3


def test_a_failure_taken_in_a_further_look_stops_the_build_and_the_success_is_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """t1 fails while t2 is started in the slot t0 freed: taken in the same handling, it stops the build (no
    -k) before t0 is recorded; t0 is recorded and put in place all the same, and t3 never starts."""
    failing = (
        'agent t1:\n    outputs = out/t1.txt\n    run = "while [ ! -e go1 ]; do sleep 0.01; done; exit 3"\n\n'
    )
    agents = WAITING.format(i=0) + failing + WAITING.format(i=2) + WAITING.format(i=3)
    (tmp_path / "Agentfile").write_text("retries = 0\n\n" + agents)
    for i in (2, 3):
        (tmp_path / f"go{i}").touch()
    started: list[str] = []
    real_decide, real_launch = loop_mod.Build._decide, loop_mod.Build._launch

    def decide(self: loop_mod.Build, t: Any) -> None:
        real_decide(self, t)
        if t.id == "t2":
            (tmp_path / "go0").touch()

    def launch(self: loop_mod.Build, t: Any) -> None:
        real_launch(self, t)
        started.append(t.id)
        if t.id == "t2":
            (tmp_path / "go1").touch()
            _ended(self, "t1")

    monkeypatch.setattr(loop_mod.Build, "_decide", decide)
    monkeypatch.setattr(loop_mod.Build, "_launch", launch)
    req = workflow.Request(directory=tmp_path, silent=True, jobs=2)  # type: ignore[call-arg]
    project = workflow.load_project(req)
    with Store.open(tmp_path) as store:
        result = workflow.run_graph(project, project.graph, store, req)
    states = {tid: o.state for tid, o in result.outcomes.items()}
    assert states["t0"] == "done" and states["t1"] == "failed" and states["t3"] != "done", states
    assert "t3" not in started, started
    assert (tmp_path / "out/t0.txt").read_text() == "0\n" and not (tmp_path / "out/t3.txt").exists()
    with Store.open(tmp_path, lock=False) as store:
        record = store.task_record("t0")
        assert record is not None and record.status == "done" and store.pending_commits() == []


@pytest.mark.parametrize("ends", ["done", "failed"])
def test_a_task_started_in_a_freed_slot_and_taken_by_a_further_look_is_told_running_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ends: str
) -> None:
    """-j 1: t1, started in the slot t0 freed, has ended (or failed) by the further look, which takes it:
    its "running", held until t0 is told done, is told before its end, never after it."""
    from agentmake.display.statusfile import StatusFile

    failing = 'agent t1:\n    outputs = out/t1.txt\n    run = "exit 3"\n'
    t1 = WAITING.format(i=1) if ends == "done" else failing
    (tmp_path / "Agentfile").write_text("retries = 0\n\n" + WAITING.format(i=0) + t1)
    for i in range(2):
        (tmp_path / f"go{i}").touch()
    seen: list[str] = []
    real_call, real_launch = StatusFile.__call__, loop_mod.Build._launch

    def call(self: StatusFile, event: Any) -> None:
        if event.state in ("running", "done", "failed"):
            seen.append(f"{event.task_id} {event.state}")
        real_call(self, event)

    def launch(self: loop_mod.Build, t: Any) -> None:
        real_launch(self, t)
        if t.id == "t1":  # (in the slot t0 freed: ended before the further look)
            _ended(self, "t1")

    monkeypatch.setattr(StatusFile, "__call__", call)
    monkeypatch.setattr(loop_mod.Build, "_launch", launch)
    req = workflow.Request(directory=tmp_path, silent=True, jobs=1)  # type: ignore[call-arg]
    project = workflow.load_project(req)
    with Store.open(tmp_path) as store:
        workflow.run_graph(project, project.graph, store, req)
    assert seen == ["t0 running", "t0 done", "t1 running", f"t1 {ends}"], seen
