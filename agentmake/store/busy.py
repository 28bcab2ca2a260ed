"""Waiting for the state database's write lock while another program holds it.

Another program may hold `.agentmake/state.db`'s write lock for as long as it likes: a `sqlite3` shell with
an open transaction, a backup tool, a script reading the history. SQLite makes a writer wait `timeout`
seconds and then fails with "database is locked"; that failure used to stop a build and throw away the
results that had finished meanwhile (10 s). So every connection to the database is a `WaitingConnection`:
a statement that starts a write outside a transaction (``BEGIN IMMEDIATE``, or a single statement) and
finds the lock taken is tried again, for as long as it takes. After `NOTICE_AFTER` seconds one line says
what is waited for, naming the holder when the system tells (``pid 4242, sqlite3``), and once it is over
another says so. Nothing is lost meanwhile: a result that finishes waits for its record (no new task starts
while the scheduler waits).

The wait ends without the lock only when `BusyWait.stop` says so (a build registers it: Ctrl-C, SIGTERM or
SIGHUP came during the wait). The store has then *given up*: the write raises `StateBusy`, and so does
every later write that finds the lock taken, at once. The store keeps going without its journal (history,
error log, stat cache: `Store` skips those writes), while a task result that cannot be recorded is reported
as such (the build says what becomes of it: an LLM agent's answer stays beside its logs and the next build
uses it without a new call, see `agentmake.runners.salvage`).

Inside a transaction (after its ``BEGIN IMMEDIATE``) a WAL database never makes a writer wait, so only
statements outside one are tried again; the cache's own transactions begin with ``BEGIN IMMEDIATE`` too.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import struct
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ParamSpec

from agentmake.safetext import utf8_safe

P = ParamSpec("P")

STEP = 0.25  # seconds SQLite itself waits for the lock before `BusyWait.waiting` is asked (Ctrl-C in between)
NOTICE_AFTER = 2.0  # seconds of waiting before saying so
_WAL_WRITE_LOCK = 120  # the byte of the `-shm` file a WAL writer locks (SQLite's WALINDEX_LOCK_OFFSET)


class StateBusy(sqlite3.OperationalError):
    """The store gave up waiting for the database's write lock (see the module docstring)."""


def is_busy(exc: BaseException) -> bool:
    """Whether `exc` says another connection holds a lock the statement needs (not damage, a full disk...)."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    name = getattr(exc, "sqlite_errorname", None)  # (Python 3.11+)
    if name is not None:
        return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))
    return "database is locked" in str(exc) or "database table is locked" in str(exc)


# database -> a descriptor of its -shm file, kept open for the life of the process: closing any descriptor of
# a file drops every POSIX lock the process holds on it (https://sqlite.org/howtocorrupt.html, 2.2), among
# them the waiting writer's shared lock on the -shm file that tells another process opening the database that
# its wal-index is in use (without it, that process truncates the file under the writer's mapping)
_shm_fds: dict[str, int] = {}


def lock_holder(db: Path) -> str:
    """Who holds `db`'s WAL write lock, as ``pid N, NAME`` ("" when the system does not tell: not Linux, or
    no such lock). A POSIX lock query (F_GETLK) on the `-shm` file, where SQLite takes it, on a descriptor
    never closed (`_shm_fds`: one a database, opened only once a write waited `NOTICE_AFTER`)."""
    if not sys.platform.startswith("linux"):
        return ""
    import fcntl

    fd = _shm_fds.get(str(db))
    try:
        if fd is None or os.path.samestat(os.fstat(fd), os.stat(f"{db}-shm")) is False:
            # (another file by that name now: the old descriptor stays open, closing it could drop locks)
            fd = _shm_fds[str(db)] = os.open(f"{db}-shm", os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return ""
    try:
        query = struct.pack("hhqqi", fcntl.F_WRLCK, os.SEEK_SET, _WAL_WRITE_LOCK, 1, 0)
        query += b"\0" * (32 - len(query))  # (struct flock on 64-bit Linux: 32 bytes)
        answer = fcntl.fcntl(fd, fcntl.F_GETLK, query)
        kind, _whence, _start, _len, pid = struct.unpack("hhqqi", answer[: struct.calcsize("hhqqi")])
    except (OSError, struct.error):
        return ""
    if kind == fcntl.F_UNLCK or pid <= 0:
        return ""
    try:
        name = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        name = ""
    return f"pid {pid}, {name}" if name else f"pid {pid}"


class BusyWait:
    """The waiting of one connection (see the module docstring). `stop()`: why to give up now, or None;
    `notice(line)`: how to say what is waited for (default: a line on stderr)."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.stop: Callable[[], str | None] | None = None
        self.notice: Callable[[str], None] = _to_stderr
        self.gave_up: str | None = None  # why the store stopped waiting (then writes that must wait fail)
        self.holder = ""  # who held the lock when last looked at
        self.waited = 0.0  # seconds of waiting, all told
        self._since: float | None = None  # (monotonic) when the current wait began
        self._told = False

    @property
    def name(self) -> str:
        """The database as the user knows it (`.agentmake/state.db`)."""
        return os.path.join(self.db.parent.name, self.db.name)

    def waiting(self, exc: sqlite3.OperationalError) -> None:
        """The statement found the lock taken (SQLite already waited `STEP`): return to try it again, or
        raise StateBusy to stop waiting."""
        now = time.monotonic()
        if self._since is None:
            self._since = now - STEP
        why = self.gave_up or (self.stop() if self.stop is not None else None)
        if why is not None:
            self._stopped(now)
            self.gave_up = why
            held = f" ({self.holder})" if self.holder else ""
            raise StateBusy(f"{self.name} is locked by another program{held}: {exc}") from None
        if not self._told and now - self._since >= NOTICE_AFTER:
            self._told = True
            self.holder = lock_holder(self.db)
            who = f"another program ({self.holder})" if self.holder else "another program"
            self.notice(
                f"agentmake: waiting for {self.name}: {who} holds its write lock (an open transaction, such"
                " as a sqlite3 shell's); finished results wait to be recorded, nothing is lost"
            )

    def went_on(self) -> None:
        """The statement went through after waiting."""
        if self._since is None:
            return
        waited = self._stopped(time.monotonic())
        if self._told:
            self._told = False
            self.notice(f"agentmake: {self.name} is free again after {waited:.0f}s; going on")

    def _stopped(self, now: float) -> float:
        waited = now - (self._since if self._since is not None else now)
        self.waited += waited
        self._since = None
        return waited


def _to_stderr(line: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(line + "\n")
        sys.stderr.flush()


class WaitingConnection(sqlite3.Connection):
    """A connection whose statements outside a transaction wait for the write lock (`BusyWait`)."""

    busy: BusyWait

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        try:
            return self._waiting(super().execute, sql, parameters)
        except UnicodeEncodeError:  # (raised binding the parameters: the statement did not run)
            return self._waiting(super().execute, sql, _storable(parameters))

    def executemany(self, sql: str, seq_of_parameters: Iterable[Any], /) -> sqlite3.Cursor:
        rows = list(seq_of_parameters)  # (tried again from the start: a generator would be spent)
        return self._waiting(super().executemany, sql, rows)

    def _waiting(self, run: Callable[[str, Any], sqlite3.Cursor], sql: str, args: Any) -> sqlite3.Cursor:
        while True:
            try:
                cursor = run(sql, args)
            except sqlite3.OperationalError as exc:
                if self.in_transaction or not is_busy(exc):
                    raise
                self.busy.waiting(exc)
                continue
            self.busy.went_on()
            return cursor


def _storable(parameters: Any) -> Any:
    """`parameters` with every text made one UTF-8 holds (`safetext.utf8_safe`): a message naming a path
    under a directory whose name is not UTF-8 (`/home/caf\\xe9/proj/.agentmake/edited/...`) is kept with
    those bytes escaped, instead of failing the write (a traceback mid-build). Only tried once a statement
    failed so: the usual write pays nothing."""
    if isinstance(parameters, dict):
        return {k: utf8_safe(p) if isinstance(p, str) else p for k, p in parameters.items()}
    return tuple(utf8_safe(p) if isinstance(p, str) else p for p in parameters)


def connect_waiting(path: str, **kwargs: Any) -> WaitingConnection:
    """`sqlite3.connect(path)` as a `WaitingConnection` that lets SQLite wait `STEP` at a time."""
    conn = sqlite3.connect(path, timeout=STEP, factory=WaitingConnection, **kwargs)
    assert isinstance(conn, WaitingConnection)
    conn.busy = BusyWait(Path(path))
    return conn


def optional(method: Callable[P, None]) -> Callable[P, None]:
    """A write the store can do without (history, error log, process rows, stat cache): skipped, not
    raised, once the store has given up waiting for the lock (`StateBusy`). The method's object has `busy`."""

    @functools.wraps(method)
    def write(*args: P.args, **kwargs: P.kwargs) -> None:
        busy: BusyWait | None = getattr(args[0], "busy", None)
        if busy is not None and busy.gave_up is not None:
            return
        with contextlib.suppress(StateBusy):
            method(*args, **kwargs)

    return write
