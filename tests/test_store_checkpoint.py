"""WAL checkpoints run by the store's thread, not inside the writer's commits (`agentmake.store.checkpoint`):
the log grows past SQLite's own autocheckpoint while that thread is held, stays bounded once it runs, is
gone after the close, and a kill -9 while the thread checkpoints loses no committed row."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import types
from pathlib import Path

import pytest

from agentmake.store import Store, checkpoint

FRAME = 4096 + 24  # a WAL frame of a 4 KiB page: its 24-byte header and the page
AUTO = 1000  # SQLite's default wal_autocheckpoint, in frames


def wal_frames(root: Path) -> int:
    """Frames the -wal file has room for (its size: a restarted log is written over from its start)."""
    try:
        size = (root / ".agentmake" / "state.db-wal").stat().st_size
    except FileNotFoundError:
        return 0
    return max(0, size - 32) // FRAME


def test_the_writer_leaves_the_checkpoint_to_the_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the thread is held, 1,300 commits take the log past SQLite's autocheckpoint (1,000 frames), so
    no commit of the writer stopped to checkpoint (before: the log restarted at 1,000 frames); released, the
    thread copies it, and the writer's next commits start the log over."""
    held = threading.Event()
    started = threading.Event()
    run = checkpoint.Checkpointer._checkpoint

    def held_checkpoint(self: checkpoint.Checkpointer, conn: sqlite3.Connection) -> None:
        started.set()
        assert held.wait(30)
        run(self, conn)

    monkeypatch.setattr(checkpoint.Checkpointer, "_checkpoint", held_checkpoint)
    store = Store.open(tmp_path)
    try:
        for _ in range(1300):
            store.begin_run()
        assert started.wait(10)  # (asked for at PAGES frames)
        assert wal_frames(tmp_path) > AUTO
        assert store._checkpoints is not None and store._checkpoints.pending() > AUTO
        held.set()
        for _ in range(200):  # (until the thread has copied the log: a commit then starts it over)
            if store._checkpoints.pending() < 100:
                break
            threading.Event().wait(0.05)
        size = wal_frames(tmp_path)
        for _ in range(50):
            store.begin_run()
        assert wal_frames(tmp_path) == size  # (written over from its start, not grown)
        assert store._checkpoints.done >= 1
    finally:
        held.set()
        store.close()
    assert not (tmp_path / ".agentmake" / "state.db-wal").exists()  # (the close copied the rest, removed it)
    conn = sqlite3.connect(tmp_path / ".agentmake" / "state.db")
    try:
        assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] > 0
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


def test_the_log_stays_bounded_over_many_commits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the thread checkpointing at 50 frames and the writer's own fallback far away (100,000), 1,500
    commits half a millisecond apart (a build records a task at most about that often) keep the log within
    a few hundred frames: the thread keeps up, the log starts over."""
    monkeypatch.setattr(checkpoint, "PAGES", 50)
    monkeypatch.setattr(checkpoint, "FALLBACK", 100_000)
    store = Store.open(tmp_path)
    most = 0
    try:
        for i in range(1500):
            store.begin_run()
            time.sleep(0.0005)
            if i % 100 == 0:
                most = max(most, wal_frames(tmp_path))
        assert store._checkpoints is not None and store._checkpoints.done >= 2
    finally:
        store.close()
    assert 0 < most < 1000


def test_a_reader_holding_a_snapshot_does_not_make_the_log_grow_without_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader's open transaction holds the copy back; once it lets go, the log is copied and starts over
    (by the thread, or the writer's fallback autocheckpoint: raised, not turned off)."""
    monkeypatch.setattr(checkpoint, "PAGES", 20)
    monkeypatch.setattr(checkpoint, "FALLBACK", 200)
    store = Store.open(tmp_path)
    reader = sqlite3.connect(tmp_path / ".agentmake" / "state.db", isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM runs").fetchone()
        for _ in range(400):
            store.begin_run()
        held_back = wal_frames(tmp_path)
        assert held_back > 200  # (nothing copied past the reader's snapshot)
        reader.execute("COMMIT")
        for _ in range(600):
            store.begin_run()
            time.sleep(0.0005)
        assert wal_frames(tmp_path) < held_back + 200  # (600 commits, 1,500 frames: it started over)
    finally:
        reader.close()
        store.close()


_KILLED_WRITER = """\
import os, random, signal, sys, threading, time
from pathlib import Path
from agentmake.store import Store
from agentmake.store import checkpoint

checkpoint.PAGES = 20
random.seed(int(sys.argv[2]))
run = checkpoint.Checkpointer._checkpoint
count = [0]

def killing_checkpoint(self, conn):
    count[0] += 1
    if count[0] == 3:  # (the third checkpoint: a kill -9 a moment into it)
        threading.Timer(random.random() * 0.002, os.kill, (os.getpid(), signal.SIGKILL)).start()
    run(self, conn)

checkpoint.Checkpointer._checkpoint = killing_checkpoint
store = Store.open(Path(sys.argv[1]))
while True:
    run_id = store.begin_run()
    sys.stdout.write(f"{run_id}\\n")
    sys.stdout.flush()
"""


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_kill_while_the_thread_checkpoints_loses_no_committed_row(tmp_path: Path, seed: int) -> None:
    """A writer killed with SIGKILL while its thread checkpoints: every run it had committed (and printed)
    is in the database, which is intact."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(__file__).parent.parent), *sys.path]))
    proc = subprocess.run(
        [sys.executable, "-c", _KILLED_WRITER, str(tmp_path), str(seed)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    committed = [int(line) for line in proc.stdout.split()]
    assert len(committed) > 20
    conn = sqlite3.connect(tmp_path / ".agentmake" / "state.db")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        recorded = {row[0] for row in conn.execute("SELECT run_id FROM runs")}
    finally:
        conn.close()
    assert set(committed) <= recorded


def test_settle_has_the_thread_copy_a_short_log_before_the_close(tmp_path: Path) -> None:
    """A build's end (`Store.settle`): the thread copies the log however short (30 commits, far below
    PAGES), so the writer's close has nothing left to copy or sync; the data is all there after it."""
    store = Store.open(tmp_path)
    try:
        for _ in range(30):
            store.begin_run()
        checkpoints = store._checkpoints
        assert checkpoints is not None and 0 < checkpoints.pending() < checkpoint.PAGES
        store.settle()
        deadline = time.monotonic() + 30  # (the thread's copy: at once, or when a loaded runner lets it run)
        while checkpoints.pending() != 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert checkpoints.pending() == 0 and checkpoints.done >= 1
    finally:
        store.close()
    conn = sqlite3.connect(tmp_path / ".agentmake" / "state.db")
    try:
        assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 30
    finally:
        conn.close()


def test_commits_landing_during_every_copy_still_let_the_log_start_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A commit lands during every copy the thread makes (begun before it, committed once it is over, by
    another thread as the scheduler's would), unless the writer's lock is held then: the last copy of each
    try holds it (`hold`), so that copy completes and the log starts over; without that no copy completed
    and the log grew with every commit (here: PAGES 20, the writer's fallback far away, 300 commits)."""
    monkeypatch.setattr(checkpoint, "PAGES", 20)
    monkeypatch.setattr(checkpoint, "FALLBACK", 100_000)
    store = Store.open(tmp_path)

    def commit_across(began: threading.Event, copied: threading.Event) -> None:
        if not store._lock.acquire(blocking=False):  # (held: the writer's commit waits for the copy)
            began.set()
            return
        try:
            store._conn.execute("BEGIN IMMEDIATE")
            store._conn.execute("INSERT INTO runs (started_at, pid) VALUES (?, ?)", (time.time(), 1))
            began.set()
            assert copied.wait(10)
            store._conn.execute("COMMIT")
        finally:
            store._lock.release()

    class Overtaken(sqlite3.Connection):
        def execute(self, sql: str, *args: object) -> sqlite3.Cursor:
            if "wal_checkpoint" not in sql:
                return super().execute(sql, *args)  # type: ignore[arg-type]
            began, copied = threading.Event(), threading.Event()
            committer = threading.Thread(target=commit_across, args=(began, copied))
            committer.start()
            assert began.wait(10)
            try:
                cursor = super().execute(sql, *args)  # type: ignore[arg-type]
                cursor.fetchall()
            finally:
                copied.set()
                committer.join(10)
            return cursor

    class Sqlite3(types.ModuleType):
        def __getattr__(self, name: str) -> object:
            return getattr(sqlite3, name)

        def connect(self, *args: object, **kwargs: object) -> sqlite3.Connection:
            return sqlite3.connect(*args, factory=Overtaken, **kwargs)  # type: ignore[arg-type,call-overload,no-any-return]

    monkeypatch.setattr(checkpoint, "sqlite3", Sqlite3("sqlite3"))
    most = 0
    try:
        checkpoints = store._checkpoints
        assert checkpoints is not None
        for _ in range(300):
            store.begin_run()
            deadline = time.monotonic() + 30  # (the thread's tries over before the next commit: the same
            while checkpoints._asked and time.monotonic() < deadline:  # every run, however loaded the runner)
                time.sleep(0.005)
            most = max(most, wal_frames(tmp_path))
        assert checkpoints.done >= 10
    finally:
        store.close()
    assert most < 100
