"""Successes that arrive together are recorded in one transaction, all before any of them is renamed into
place; a batch that fails records none of them."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from agentmake import workflow
from agentmake.plan.hashing import hash_path
from agentmake.scheduler import loop as loop_mod
from agentmake.scheduler import outcomes as outcomes_mod
from agentmake.store import Store, TaskRecord


def _staged(root: Path, name: str, data: bytes) -> Path:
    path = root / f".{name}.agentmake-tmp-1"
    path.write_bytes(data)
    return path


def test_a_batch_is_one_transaction(tmp_path: Path) -> None:
    statements: list[str] = []
    with Store.open(tmp_path) as store:
        run = store.begin_run()
        store._conn.set_trace_callback(statements.append)
        with store.batch():
            for name in ("a", "b", "c"):
                src = _staged(tmp_path, name, name.encode())
                digest, _ = store.hash_and_store_blob(src)
                store.record_success(
                    TaskRecord(name, f"k{name}", {}, {name: digest}, run_id=run), {name: src}
                )
        store._conn.set_trace_callback(None)
        assert [s for s in statements if s.startswith(("BEGIN", "COMMIT"))] == ["BEGIN IMMEDIATE", "COMMIT"]
        assert sorted(store.pending_commits()) == ["a", "b", "c"]
        assert store.cache.read(hash_path(tmp_path / ".b.agentmake-tmp-1")) == b"b"


def test_a_failed_batch_records_none_and_keeps_held_blobs(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        run = store.begin_run()
        src = _staged(tmp_path, "a", b"paid for")
        digest, _ = store.hash_and_store_blob(src)
        with pytest.raises(sqlite3.OperationalError), store.batch():
            store.record_success(TaskRecord("a", "ka", {}, {"a": digest}, run_id=run), {"a": src})
            raise sqlite3.OperationalError("disk I/O error")
        assert store.task_record("a") is None  # nor in the store's memory
        assert store.cache.read(digest) is None and store.pending_commits() == []
        store.record_success(TaskRecord("a", "ka", {}, {"a": digest}, run_id=run), {"a": src})
        assert store.cache.read(digest) == b"paid for"


def test_results_arriving_together_are_recorded_before_any_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # every task waits for `go`, made once all four are launched: their results can then be gathered
    agent = (
        "agent t{i}:\n    outputs = out/t{i}.txt\n"
        '    run = "while [ ! -e go ]; do sleep 0.01; done; echo {i} > {{output}}"\n\n'
    )
    (tmp_path / "Agentfile").write_text("".join(agent.format(i=i) for i in range(4)))
    events: list[tuple[str, Any]] = []
    real_handle_all = loop_mod.Build._handle_all
    real_launch = loop_mod.Build._launch
    real_record_together = loop_mod.Build._record_together
    real_commit_outputs = outcomes_mod.commit_outputs

    def gathering(self: loop_mod.Build, messages: list[tuple[Any, ...]]) -> None:
        if any(m[0] == "result" for m in messages) and not events:
            deadline = time.monotonic() + 30  # let the other three finish: their results queue up behind
            while sum(m[0] == "result" for m in messages) < 4 and time.monotonic() < deadline:
                messages.extend(self._receive(0.05))  # (inline attempts' results, workers' posts)
        real_handle_all(self, messages)

    def launch(self: loop_mod.Build, t: Any) -> None:
        real_launch(self, t)
        if len(self.running) == 4:
            (tmp_path / "go").touch()

    def together(self: loop_mod.Build, successes: list[tuple[Any, ...]], clears: list[str]) -> bool:
        done = real_record_together(self, successes, clears)
        events.append(("recorded", sorted(m[1] for m in successes) if done else None))
        return done

    def renaming(root: Path, staged: Any, discard: Any = None, absent: Any = ()) -> Any:
        events.append(("renamed", sorted(staged)))
        return real_commit_outputs(root, staged, discard, absent)

    monkeypatch.setattr(loop_mod.Build, "_handle_all", gathering)
    monkeypatch.setattr(loop_mod.Build, "_launch", launch)
    monkeypatch.setattr(loop_mod.Build, "_record_together", together)
    monkeypatch.setattr(outcomes_mod, "commit_outputs", renaming)
    req = workflow.Request(directory=tmp_path, silent=True, jobs=4)  # type: ignore[call-arg]
    project = workflow.load_project(req)
    with Store.open(tmp_path) as store:
        assert workflow.run_graph(project, project.graph, store, req).ok
    assert events[0] == ("recorded", ["t0", "t1", "t2", "t3"])  # one batch, before the first rename
    assert [e[0] for e in events[1:5]] == ["renamed"] * 4
    for i in range(4):
        assert (tmp_path / f"out/t{i}.txt").read_text() == f"{i}\n"
    with Store.open(tmp_path, lock=False) as store:
        assert store.pending_commits() == [] and all(store.task_record(f"t{i}") is not None for i in range(4))


def test_another_thread_never_joins_a_batch(tmp_path: Path) -> None:
    import threading

    statements: list[str] = []
    with Store.open(tmp_path) as store:
        run = store.begin_run()
        store._conn.set_trace_callback(statements.append)
        other = threading.Thread(target=store.record_failure, args=("x", run, "boom"))
        with store.batch():
            src = _staged(tmp_path, "a", b"a")
            digest, _ = store.hash_and_store_blob(src)
            store.record_success(TaskRecord("a", "ka", {}, {"a": digest}, run_id=run), {"a": src})
            other.start()
            other.join(0.3)
            assert other.is_alive()  # waits for the batch instead of writing into it
        other.join()
        store._conn.set_trace_callback(None)
        begins = [s for s in statements if s.startswith(("BEGIN", "COMMIT"))]
        assert begins == ["BEGIN IMMEDIATE", "COMMIT", "BEGIN IMMEDIATE", "COMMIT"]  # two transactions
        failed = store.task_record("x")
        assert failed is not None and failed.status == "failed"


def test_a_finished_process_row_is_deleted_in_the_transaction_recording_its_success(tmp_path: Path) -> None:
    """A task that ran past `loop.MARK_DELAY` has its process in the `running` table; once it succeeded, that
    row is deleted in the transaction recording the success (after the freed slot was given on), not in a
    transaction of its own before it."""
    (tmp_path / "Agentfile").write_text(
        'agent t:\n    outputs = out/t.txt\n    run = "sleep 0.4; echo t > {output}"\n'
    )
    statements: list[str] = []
    req = workflow.Request(directory=tmp_path, silent=True, jobs=1)  # type: ignore[call-arg]
    project = workflow.load_project(req)
    with Store.open(tmp_path) as store:
        store._conn.set_trace_callback(statements.append)
        assert workflow.run_graph(project, project.graph, store, req).ok
        store._conn.set_trace_callback(None)
    transactions: list[list[str]] = []
    for statement in statements:
        if statement.startswith("BEGIN"):
            transactions.append([])
        elif transactions:
            transactions[-1].append(statement)
    inserted = [tx for tx in transactions if any("INTO running" in s for s in tx)]
    deleted = [tx for tx in transactions if any(s.startswith("DELETE FROM running") for s in tx)]
    assert len(inserted) == 1 and len(deleted) == 1  # (it ran long enough to be written)
    assert any("INTO tasks" in s for s in deleted[0])  # the success's record, in the same transaction


def test_the_loop_ticks_after_starting_what_a_result_let_start_not_between(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The display's tick (a status.md write) and the process rows' writes wait until the loop has nothing
    left to decide or start: a tick due when `a`'s result arrives (TICK 0: one is due at every turn) comes
    after `b` and `c`, which `a` made ready, are started, not between `a`'s end and their start."""
    from agentmake.display.statusfile import StatusFile

    (tmp_path / "Agentfile").write_text(
        'agent a:\n    outputs = out/a.txt\n    run = "echo a > {output}"\n\n'
        + "".join(
            f"agent {n}:\n    inputs = out/a.txt\n    outputs = out/{n}.txt\n"
            '    run = "cat {input} > {output}"\n\n'
            for n in ("b", "c")
        )
    )
    seen: list[str] = []
    real_call, real_tick = StatusFile.__call__, StatusFile.tick

    def call(self: StatusFile, event: Any) -> None:
        seen.append(f"{event.task_id} {event.state}")
        real_call(self, event)

    def tick(self: StatusFile) -> None:
        seen.append("tick")
        real_tick(self)

    monkeypatch.setattr(StatusFile, "__call__", call)
    monkeypatch.setattr(StatusFile, "tick", tick)
    monkeypatch.setattr(loop_mod, "TICK", 0.0)
    req = workflow.Request(directory=tmp_path, silent=True, jobs=4)  # type: ignore[call-arg]
    project = workflow.load_project(req)
    with Store.open(tmp_path) as store:
        assert workflow.run_graph(project, project.graph, store, req).ok
    done = seen.index("a done")
    started = max(seen.index("b running"), seen.index("c running"))
    assert "tick" not in seen[done:started], seen
