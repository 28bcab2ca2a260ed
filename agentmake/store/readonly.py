"""Reading the state where this user cannot write it: another user's project, a read-only mount.

SQLite reads a WAL database only through its ``-shm`` file (and ``-wal``). Where a build has the database
open, or a killed one left them, the files are there and SQLite reads through them read-only (since 3.22).
Where they are gone (the last connection to close removes them) and `.agentmake` is not writable, nobody can
make them, and SQLite opens the file only as ``immutable``: read without any lock, which is safe only while
nobody writes it (a checkpoint writing the file under such a reader may show it a mix of two states).

`open_immutable` makes that hold for agentmake: it takes a shared lock on `.agentmake/lock`, the lock every
command that writes the state holds (`agentmake.store.lock`), and keeps it until the connection is closed, so
no build, clean or watch can start writing meanwhile (one started waits for it, as for another build, up to
its own wait). Where one holds the project already, its connection makes the files (or is about to): the
plain open is tried again, up to `wait` seconds. A ``-wal`` file that is there but could not be read (no
``-shm`` beside it) holds changes the file lacks: it is not read as immutable (the caller says why it
cannot open the database).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import sqlite3
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

POLL = 0.05  # seconds between tries while a build holds the project


class ImmutableConnection(sqlite3.Connection):
    """A connection to a database opened ``immutable=1`` that holds a shared lock on the project lock file
    (`lock_fd`, -1 for none) until it is closed."""

    lock_fd = -1

    def close(self) -> None:
        try:
            super().close()
        finally:
            fd, self.lock_fd = self.lock_fd, -1
            if fd >= 0:
                os.close(fd)  # (releases the shared lock)


def cannot_share(exc: BaseException) -> bool:
    """Whether `exc`, from opening a database, says the files beside it cannot be made or written (a
    directory this user may not write), as opposed to damage, a full disk or a lock."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    name = getattr(exc, "sqlite_errorname", None)  # (Python 3.11+)
    if name is not None:
        return name.startswith("SQLITE_READONLY") or name.startswith("SQLITE_CANTOPEN")
    text = str(exc).lower()
    return "readonly" in text or "unable to open" in text


def open_immutable(
    db: Path, lock: Path, failed: sqlite3.OperationalError, retry: Callable[[], sqlite3.Connection],
    wait: float = 2.0,
) -> tuple[sqlite3.Connection, str]:  # fmt: skip
    """`db`, which `retry()` (the plain open) failed to open with `failed`, opened as the module docstring
    says: (connection, how): "plain" (`retry()` went through), "locked" (immutable, under the shared lock) or
    "unlocked" (immutable, where the lock file cannot be locked). Raises `failed` where it cannot be read
    safely."""
    deadline = time.monotonic() + wait
    while True:
        if _holds_changes(Path(f"{db}-wal")):
            raise failed  # (changes the file lacks, unreadable without a -shm)
        fd = _shared(lock)
        if fd is not None:
            try:
                uri = f"file:{urllib.parse.quote(str(db))}?immutable=1"
                conn = sqlite3.connect(
                    uri, uri=True, check_same_thread=False, isolation_level=None, factory=ImmutableConnection
                )  # fmt: skip
            except BaseException:
                if fd >= 0:
                    os.close(fd)
                raise
            assert isinstance(conn, ImmutableConnection)
            conn.lock_fd = fd
            return conn, "locked" if fd >= 0 else "unlocked"
        if time.monotonic() >= deadline:
            raise failed
        time.sleep(POLL)  # a build holds the project: its connection makes the files
        with contextlib.suppress(sqlite3.OperationalError):
            return retry(), "plain"


def _shared(lock: Path) -> int | None:
    """An open descriptor of `lock` holding a shared flock; None while another process holds it exclusively
    (a build); -1 where it cannot be locked at all (no lock file: no agentmake ever held this project, and
    none can make one here; or a file system without flock)."""
    try:
        fd = os.open(lock, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return -1
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        return None if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN) else -1
    return fd


def _holds_changes(path: Path) -> bool:
    try:
        return os.stat(path).st_size > 0
    except OSError:
        return False
