"""The state store: records round-trip, start-over on bad files, the lock, threads."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from agentmake.errors import UsageError
from agentmake.store import AttemptRecord, FileRecord, LockedError, Store, TaskRecord, schema
from agentmake.store.lock import held_elsewhere
from agentmake.store.schema import SCHEMA_VERSION, StateError, connect


def test_task_record_round_trip_and_history(tmp_path: Path) -> None:
    out = tmp_path / "out.md"
    out.write_text("hello")
    with Store.open(tmp_path) as store:
        run = store.begin_run()
        rec = TaskRecord(
            "t",
            "k1",
            {"v": 1, "inputs": {"a": "h"}},
            {"out.md": "d1" * 16},
            duration=2.5,
            cost_usd=0.01,
            tokens_in=10,
            tokens_out=5,
            run_id=run,
            finished_at=100.0,
        )
        store.record_success(rec, {"out.md": out})
        store.record_attempt(AttemptRecord(run, "u", "failed", 1.0, 2.0, error_type="exit", message="boom"))
        store.log_event(run, "u", "exit", "boom", "gave up")
        store.end_run(run, {"done": 1, "failed": 1})
    with Store.open(tmp_path) as store:
        got = store.task_records()["t"]
        assert (got.key, got.parts, got.outputs, got.cost_usd, got.tokens_in) == (
            "k1",
            {"v": 1, "inputs": {"a": "h"}},
            {"out.md": "d1" * 16},
            0.01,
            10,
        )
        states = [(a.task_id, a.state) for a in store.attempts(run)]
        assert states == [("t", "done"), ("u", "failed")]
        assert store.attempts(run)[1].message == "boom"
        assert store.mean_durations() == {"t": pytest.approx(2.5)}
        assert store.events(run)[0]["action"] == "gave up"
        assert store.cache_lookup("k1") == {"out.md": "d1" * 16}
        assert store.last_run_id() == run


def test_record_failure_keeps_last_success(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        store.record_success(TaskRecord("t", "k1", {"v": 1}, {"o": "h"}), {})
        store.record_failure("t", 2, "exit 1")
        store.record_failure("new", 2, "exit 3")
    with Store.open(tmp_path) as store:
        t, new = store.task_record("t"), store.task_record("new")
        assert t is not None and (t.key, t.outputs, t.status, t.error) == (
            "k1",
            {"o": "h"},
            "failed",
            "exit 1",
        )
        assert new is not None and (new.key, new.status) == ("", "failed")


def test_file_records_saved_and_deleted(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        store.save_file_records([FileRecord("a", 1, 2, 3, "h", 4), FileRecord("b", 5, 6, 7, "i", 8)])
        store.delete_file_records(["b"])
    with Store.open(tmp_path) as store:
        assert store.file_records() == {"a": FileRecord("a", 1, 2, 3, "h", 4)}


def test_running_processes(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        store.mark_running("t", 1, 1234, 1234)
        assert store.running() == [("t", 1234, 1234, os.getpid())]
        store.clear_running("t")
        assert store.running() == []


def _set_version(db: Path, version: int) -> None:
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {version}")
    conn.commit()
    conn.close()


def test_an_older_format_is_moved_aside_and_said_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store.open(tmp_path) as store:
        store.record_success(TaskRecord("t", "k", {}, {}), {})
    db = tmp_path / ".agentmake" / "state.db"
    _set_version(db, SCHEMA_VERSION - 1)
    with Store.open(tmp_path) as store:
        assert store.task_records() == {}
        store.record_success(TaskRecord("t2", "k", {}, {}), {})
    aside = list((tmp_path / ".agentmake").glob(f"state.db.v{SCHEMA_VERSION - 1}-*"))
    assert aside, "the old database is kept beside the new one"
    assert f"moved to {aside[0].name}; starting afresh" in capsys.readouterr().err


def test_a_newer_format_is_refused_and_left_alone(tmp_path: Path) -> None:
    # a newer agentmake wrote it (a downgrade, another machine): starting afresh would pay for all again
    with Store.open(tmp_path) as store:
        store.record_success(TaskRecord("t", "k", {}, {}), {})
    db = tmp_path / ".agentmake" / "state.db"
    _set_version(db, SCHEMA_VERSION + 7)
    with pytest.raises(StateError, match="written by a newer agentmake"):
        Store.open(tmp_path)
    assert not list((tmp_path / ".agentmake").glob("state.db.*-*"))
    _set_version(db, SCHEMA_VERSION)
    with Store.open(tmp_path) as store:
        assert store.task_record("t") is not None  # nothing was lost


def test_a_database_that_cannot_be_opened_is_not_taken_for_a_damaged_one(tmp_path: Path) -> None:
    # a full disk, an I/O error, a read-only directory say nothing of the content: it must not be set aside
    with Store.open(tmp_path) as store:
        store.record_success(TaskRecord("t", "k", {}, {}), {})
    with pytest.raises(StateError, match="cannot open"):
        connect(tmp_path / "no-such-dir" / "state.db")


def test_a_damaged_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    # starting afresh by itself would pay again for every result cached only in it: the user decides
    (tmp_path / ".agentmake").mkdir()
    db = tmp_path / ".agentmake" / "state.db"
    db.write_bytes(b"this is not sqlite at all" * 200)
    for lock in (True, False):
        with pytest.raises(StateError, match=r"the file is damaged.*put back a copy from a backup"):
            Store.open(tmp_path, lock=lock)
    assert db.read_bytes() == b"this is not sqlite at all" * 200
    assert not list((tmp_path / ".agentmake").glob("state.db.*"))


def test_no_connection_is_left_open_on_a_database_that_failed_to_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a damaged file and a newer format are refused: neither may keep a handle on it (Python 3.13
    # warns of every connection left for the garbage collector, and the tests turn warnings into errors)
    opened: list[sqlite3.Connection] = []
    real = sqlite3.connect

    def tracked(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = real(*args, **kwargs)
        opened.append(conn)
        return conn

    monkeypatch.setattr(schema.sqlite3, "connect", tracked)
    (tmp_path / ".agentmake").mkdir()
    (tmp_path / ".agentmake" / "state.db").write_bytes(b"this is not sqlite at all" * 200)
    with pytest.raises(StateError, match="damaged"):
        Store.open(tmp_path)
    (tmp_path / ".agentmake" / "state.db").unlink()
    with Store.open(tmp_path) as store:
        store.record_success(TaskRecord("t", "k", {}, {}), {})
    _set_version(tmp_path / ".agentmake" / "state.db", SCHEMA_VERSION + 1)
    with pytest.raises(StateError, match="newer"):
        Store.open(tmp_path)
    assert len(opened) == 4  # the damaged file, the new one, `_set_version`'s, the newer format
    for conn in opened:  # (a closed connection refuses any use)
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            conn.execute("SELECT 1")


_HOLDER = """
import sys, time
from pathlib import Path
from agentmake.store import Store
s = Store.open(Path(sys.argv[1]))
print("locked", flush=True)
sys.stdin.readline()
s.close()
"""


def test_lock_held_by_another_process(tmp_path: Path) -> None:
    args = [sys.executable, "-c", _HOLDER, str(tmp_path)]
    with subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        with pytest.raises(LockedError) as info:
            Store.open(tmp_path, wait=0.2)
        assert f"pid {proc.pid}" in str(info.value)
        assert str(tmp_path.resolve()) in str(info.value)
        assert "wait for it to end, or stop it" in str(info.value)  # what to do about it
        assert isinstance(info.value, UsageError) and info.value.exit_code == 2
        with Store.open(tmp_path, lock=False) as reader:  # status/explain still work
            assert reader.task_records() == {}
        proc.communicate("\n", timeout=30)
    with Store.open(tmp_path, wait=5.0):
        pass  # released when the holder closed


def test_lock_released_when_holder_dies(tmp_path: Path) -> None:
    lock = tmp_path / ".agentmake" / "lock"
    assert not held_elsewhere(lock)  # no lock file yet
    args = [sys.executable, "-c", _HOLDER, str(tmp_path)]
    with subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        assert held_elsewhere(lock) and held_elsewhere(lock)  # the probe keeps nothing, waits for nothing
        proc.kill()
        proc.wait(timeout=30)
    assert not held_elsewhere(lock)  # what `agentmake status` asks after a kill -9
    with Store.open(tmp_path, wait=5.0) as store:
        assert store.dir == tmp_path.resolve() / ".agentmake"


def test_lock_waits_for_release(tmp_path: Path) -> None:
    first = Store.open(tmp_path)
    timer = threading.Timer(0.3, first.close)
    timer.start()
    t0 = time.monotonic()
    with Store.open(tmp_path, wait=30.0):
        assert time.monotonic() - t0 >= 0.2
    timer.join()


def test_record_from_many_threads(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        run = store.begin_run()

        def work(i: int) -> None:
            f = tmp_path / f"o{i}"
            f.write_text(f"content {i}")
            store.record_success(
                TaskRecord(f"t{i}", f"k{i}", {"i": i}, {f"o{i}": f"h{i:030d}"}, run_id=run), {f"o{i}": f}
            )
            store.log_event(run, f"t{i}", "none", "ok", "none")

        threads = [threading.Thread(target=work, args=(i,)) for i in range(40)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(store.task_records()) == 40
    with Store.open(tmp_path) as store:
        assert len(store.task_records()) == 40
        assert len(store.attempts(run)) == 40
        assert all(store.cache_lookup(f"k{i}") for i in range(40))


def test_parts_are_decoded_lazily_and_memo_has_its_own_column(tmp_path: Path) -> None:
    parts = {"v": 1, "inputs": {"a": "h"}, "_memo": "sig:prompt"}
    with Store.open(tmp_path) as store:
        rec = TaskRecord("t", "k", parts, {})
        store.record_success(rec, {})
        assert rec.memo == "sig:prompt"
    with Store.open(tmp_path) as store:
        got = store.task_record("t")
        assert got is not None and got.memo == "sig:prompt"
        assert isinstance(got.__dict__["_parts"], str)  # not decoded yet
        assert got.parts == parts
        assert got == TaskRecord("t", "k", parts, {}, finished_at=got.finished_at, memo="sig:prompt")
