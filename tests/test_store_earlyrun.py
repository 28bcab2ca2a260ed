"""A build's run begun on a thread while the build starts (`agentmake.store.earlyrun`): the row is committed
there, `begin_run` takes its id, a run no build took is deleted at the close, and another program holding
the write lock makes it give up (the build then waits for the lock as before)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from agentmake.store import Store


def runs(root: Path) -> list[int]:
    conn = sqlite3.connect(root / ".agentmake" / "state.db")
    try:
        return [r[0] for r in conn.execute("SELECT run_id FROM runs ORDER BY run_id")]
    finally:
        conn.close()


def fresh(root: Path) -> None:
    """A state database that exists and was closed (its log removed), as before a build."""
    Store.open(root).close()


def test_the_run_is_committed_on_a_thread_and_taken_by_begin_run(tmp_path: Path) -> None:
    fresh(tmp_path)
    store = Store.open(tmp_path)
    where: list[tuple[int, str]] = []
    store._conn.set_trace_callback(lambda sql: where.append((threading.get_ident(), sql)))
    try:
        store.begin_run_early()
        run_id = store.begin_run()
        store.end_run(run_id, {})
    finally:
        store.close()
    inserts = [ident for ident, sql in where if sql.startswith("INSERT INTO runs")]
    assert len(inserts) == 1 and inserts[0] != threading.get_ident()
    assert runs(tmp_path) == [run_id]


def test_a_run_begun_early_that_no_build_took_is_deleted_at_the_close(tmp_path: Path) -> None:
    """(a build refused before it ran anything, e.g. by `check_shared`: no run of it is left unended, which
    `status` would take for the last build)"""
    store = Store.open(tmp_path)
    first = store.begin_run()
    store.end_run(first, {})
    store.begin_run_early()
    store.close()
    assert runs(tmp_path) == [first]


def test_another_programs_write_lock_makes_it_give_up_and_begin_run_waits(tmp_path: Path) -> None:
    fresh(tmp_path)
    other = sqlite3.connect(
        tmp_path / ".agentmake" / "state.db", isolation_level=None, check_same_thread=False
    )
    other.execute("BEGIN IMMEDIATE")  # (a sqlite3 shell's open transaction)
    store = Store.open(tmp_path)
    lines: list[str] = []
    store.busy.notice = lines.append
    waiting = store.busy.waiting

    def release(exc: sqlite3.OperationalError) -> None:  # (once begin_run waits: not a timer, which a
        if other.in_transaction:  # loaded machine may fire before begin_run even asks for the lock)
            other.execute("COMMIT")
        waiting(exc)

    store.busy.waiting = release  # type: ignore[method-assign]
    try:
        store.begin_run_early()
        early = store._early
        assert early is not None and early.take() is None  # (gave up after SQLite's 0.25 s)
        run_id = store.begin_run()  # (waits for the COMMIT, as the store waits for any write)
    finally:
        if other.in_transaction:
            other.execute("COMMIT")
        other.close()
        store.close()
    assert runs(tmp_path) == [run_id]
    assert store.busy.waited > 0


@pytest.mark.timeout(20)
def test_a_close_while_the_thread_waits_for_the_lock_neither_hangs_nor_leaves_a_run(tmp_path: Path) -> None:
    fresh(tmp_path)
    other = sqlite3.connect(
        tmp_path / ".agentmake" / "state.db", isolation_level=None, check_same_thread=False
    )
    other.execute("BEGIN IMMEDIATE")
    store = Store.open(tmp_path)
    release = threading.Timer(0.1, other.execute, ("COMMIT",))  # (while the thread is in SQLite's wait)
    try:
        store.begin_run_early()
        release.start()
        store.close()
    finally:
        release.join()
        other.close()
    assert runs(tmp_path) == []


def test_a_close_after_the_thread_gave_up_does_not_wait_for_another_programs_lock(tmp_path: Path) -> None:
    """The thread gave up (another program holds the write lock) and no build took the run (Ctrl-C while the
    build imported, a usage error such as a malformed AGENTMAKE_CHECK_TIMEOUT): there is no row to delete,
    so the close opens no transaction and returns at once (before: it waited for that program's lock, as
    long as it held it, saying so after 2 s). The waiting is seen by `BusyWait.waiting`, which ends it."""
    fresh(tmp_path)
    other = sqlite3.connect(
        tmp_path / ".agentmake" / "state.db", isolation_level=None, check_same_thread=False
    )
    other.execute("BEGIN IMMEDIATE")
    store = Store.open(tmp_path)
    waited: list[str] = []
    waiting = store.busy.waiting

    def release(exc: sqlite3.OperationalError) -> None:  # (so that a close that waits ends, and fails below)
        waited.append(str(exc))
        if other.in_transaction:
            other.execute("COMMIT")
        waiting(exc)

    store.busy.waiting = release  # type: ignore[method-assign]
    try:
        store.begin_run_early()
        early = store._early
        assert early is not None and early.take() is None  # (gave up after SQLite's 0.25 s)
        store.close()
    finally:
        if other.in_transaction:
            other.execute("COMMIT")
        other.close()
    assert waited == []
    assert runs(tmp_path) == []
