"""The checkpointer's own descriptor of the -shm file (`agentmake.store.checkpoint`) is closed only after the
writer's connection: closing any descriptor of a file drops every POSIX lock the process holds on it
(https://sqlite.org/howtocorrupt.html, 2.2), among them SQLite's shared "dead man switch" lock on the -shm
file, which tells another process opening the database that the wal-index is in use (without it, that process
takes itself for the first, truncates the -shm file and rebuilds it under the writer's mapping)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from pathlib import Path

import pytest

from agentmake.store import Store, checkpoint

DMS = 128  # SQLite's unix VFS: the -shm byte a connection holds a shared lock on while it has the file open

PROBE = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
try:
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, int(sys.argv[2]))
except OSError:
    print("held")
else:
    print("free")
"""


def dms_held(root: Path) -> bool:
    """Whether some process (the writer) holds SQLite's lock on the -shm file's dead man switch byte."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(root / ".agentmake" / "state.db-shm"), str(DMS)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return out == "held"


def test_the_writer_keeps_its_shm_lock_until_its_connection_closes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Right after the checkpointer stops (the first step of the store's close), the writer's connection is
    still open and must still hold its lock on the -shm file (before: the checkpointer's `os.close` of its
    descriptor dropped it, so another process could take the wal-index for its own)."""
    seen: list[bool] = []
    stop = checkpoint.Checkpointer.close

    def probed_close(self: checkpoint.Checkpointer) -> None:
        stop(self)
        seen.append(dms_held(tmp_path))

    monkeypatch.setattr(checkpoint.Checkpointer, "close", probed_close)
    store = Store.open(tmp_path)
    try:
        store.begin_run()
        assert store._checkpoints is not None
        assert dms_held(tmp_path)  # (the writer's connection holds it)
    finally:
        store.close()
    assert seen == [True]


def test_a_checkpointer_refused_leaves_the_writers_shm_lock(tmp_path: Path) -> None:
    """A checkpointer that cannot start (the PRAGMA fails) leaves the writer as it was: its -shm lock held
    and SQLite's own autocheckpoint (before: its descriptor, opened and closed, dropped the lock)."""
    store = Store.open(tmp_path)
    try:
        store.begin_run()
        assert dms_held(tmp_path)

        class Refusing:
            """A connection whose PRAGMA fails."""

            def execute(self, sql: str) -> None:
                raise checkpoint.sqlite3.OperationalError("refused")

        assert checkpoint.Checkpointer.start(tmp_path / ".agentmake" / "state.db", Refusing()) is None  # type: ignore[arg-type]
        assert dms_held(tmp_path)
    finally:
        store.close()


def test_naming_the_holder_of_the_write_lock_keeps_the_writers_shm_lock(tmp_path: Path) -> None:
    """`busy.lock_holder`, which a write waiting for another program's lock calls to name it, queries the lock
    on a descriptor of the -shm file: closing that descriptor dropped the waiting writer's own shared lock on
    it for the rest of the build (before: `dms_held` false after the query). It still names the holder."""
    from agentmake.store import busy

    db = tmp_path / ".agentmake" / "state.db"
    store = Store.open(tmp_path)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None);"
            " c.execute('BEGIN IMMEDIATE'); print('held', flush=True); sys.stdin.readline()",
            str(db),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        store.begin_run()
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert busy.lock_holder(db).startswith(f"pid {holder.pid}")
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(10)
        if holder.stdout is not None:
            holder.stdout.close()
    try:
        assert dms_held(tmp_path)  # (the other program is gone: only the writer can hold it)
    finally:
        store.close()


def test_two_commits_asking_at_once_start_one_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The writer's commit and `EarlyRun`'s thread (the run's row) may both find the log long enough at once
    (a killed build left 1,000 frames uncopied): one checkpoint thread is started, the one `close` joins
    (before: each could start one, and `close` joined only the last). Both asks are held where they would
    start a thread until the other comes too (or 1 s: one that cannot come, being kept out, is no race)."""
    import threading

    store = Store.open(tmp_path)
    cp = store._checkpoints
    assert cp is not None
    past_test, at_start = threading.Barrier(2, timeout=10), threading.Barrier(2, timeout=1)

    asks: list[int] = []

    def long_log() -> tuple[int, int]:  # (the two asks: both past the `_asked` test before either asks)
        if len(asks) >= 2:
            return 0, 0  # (then copied)
        asks.append(1)
        past_test.wait()
        return checkpoint.PAGES, 0

    started: list[threading.Thread] = []
    thread_class = threading.Thread

    class Held(thread_class):  # type: ignore[misc,valid-type]
        def __init__(self, *args: object, **kwargs: object) -> None:
            if kwargs.get("name") == "agentmake-checkpoint":
                with contextlib.suppress(threading.BrokenBarrierError):
                    at_start.wait()
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            if self.name == "agentmake-checkpoint":
                started.append(self)

    other = thread_class(target=cp.committed)
    monkeypatch.setattr(cp, "_counts", long_log)
    monkeypatch.setattr(checkpoint.threading, "Thread", Held)
    other.start()
    cp.committed()
    other.join(10)
    monkeypatch.undo()
    store.close()
    assert len(started) == 1
    assert not any(t.is_alive() for t in started)
