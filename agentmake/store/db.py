"""The state store: everything agentmake remembers about a project, behind one object (`Store`): opening
it (the project lock, the state directory), its transactions, and closing it.

What it keeps is kept by its bases, one module each: task records in `agentmake.store.tasks`, which
Agentfile's they are and leftover outputs in `agentmake.store.owners`, a task's result, its cache entry and
the constructive traces in `agentmake.store.results`, the stat cache in `agentmake.store.statcache`, saved
hand edits in `agentmake.store.edits`, and runs, attempt history, running processes and the error log in
`agentmake.store.journal`. The on-disk format (tables, columns, version, invariants) is documented in
`agentmake.store.schema`; blobs and cache rows in `agentmake.store.cache`; the project lock in
`agentmake.store.lock`.

Thread safety: one SQLite connection (``check_same_thread=False``) guarded by one re-entrant lock; the
scheduler may call every method from worker threads. Task records are read from the database once and then
kept in memory, updated by this process's own writes (the lock guarantees no other writer), so the
rebuilder's lookups are dict lookups.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from agentmake.confine import state_dir_error
from agentmake.errors import UsageError
from agentmake.store.busy import BusyWait
from agentmake.store.cache import BlobCache
from agentmake.store.checkpoint import Checkpointer
from agentmake.store.edits import Edits
from agentmake.store.journal import Journal
from agentmake.store.lock import LockedError, ProjectLock
from agentmake.store.owners import MadeBefore, Owners
from agentmake.store.records import AttemptRecord, FileRecord, TaskRecord
from agentmake.store.results import Results
from agentmake.store.rowids import RowIds
from agentmake.store.schema import check_intact, connect, empty
from agentmake.store.statcache import StatCache
from agentmake.store.tasks import Brief, Tasks

__all__ = ["AttemptRecord", "FileRecord", "LockedError", "Store", "TaskRecord"]


STAMP_NAME = "stamp"  # `agentmake.plan.stamp.STAMP_NAME`


class Store(Tasks, Owners, Results, StatCache, Edits, Journal):
    """Opened once per process on a project root; holds the lock until `close()`."""

    root: Path
    dir: Path  # root / ".agentmake"
    # (inode, size, mtime_ns) of the build stamp `open` removed when it took the lock, None if there was none:
    # a stamp read before the lock still stands only if it is the one removed (nobody took the lock between)
    removed_stamp: tuple[int, int, int] | None = None

    def __init__(
        self, root: Path, *, lock: ProjectLock | None, agentfile: str | None = None, config: str | None = None
    ) -> None:
        self.root = root
        self.dir = root / ".agentmake"
        # the name of the Agentfile (in `root`) this command loaded: the task records and strays it writes
        # are filed as its own, and it sees only its own as no longer in the graph (`owns`); None: anyone's
        self.agentfile = agentfile
        # the variables its command line set (`owners.configuration`): its records are filed under them, and
        # it judges leftovers among theirs alone (`this_config`); None: not told, every record is its own
        self.config = config
        self._config_cols: bool | None = None  # whether `tasks` and `strays` have `config` (old may not)
        self._stray_cols: set[str] | None = None  # the columns of `strays` (old: no `key`, `made`)
        self._made_before: MadeBefore | None = None  # (`made_before`, `made_before_figures`: read once)
        # (this configuration, task id -> the configuration of its record, of each record of another one:
        # `built_otherwise`, read once)
        self._otherwise: tuple[str, dict[str, str]] | None = None
        self._owners: dict[str, bool] = {}  # Agentfile name -> whether it is still there (`owns`)
        self._others: list[str] | None = None  # the other Agentfiles still there (`_other_owners`)
        self._owner_cols: bool | None = None  # whether `tasks` and `strays` have `agentfile` (old may not)
        # the row of each task's record for this Agentfile (another's task of the same name has its own)
        self._rows = RowIds(lambda: self._conn, agentfile, self.owns, self._has_owners)
        self._plock = lock
        self._lock = threading.RLock()
        if lock is None and not self._exists():  # a reader where nothing was recorded: it writes nothing
            self._conn = empty()
        else:
            self._conn = connect(self.dir / "state.db", may_reset=lock is not None)
        # the only writer's WAL checkpoints, run by a thread rather than inside a commit (`store.checkpoint`)
        self._checkpoints = (
            Checkpointer.start(self.dir / "state.db", self._conn, self._lock) if lock is not None else None
        )
        # waiting for the write lock when another program holds it, and whether the store gave up waiting
        busy = getattr(self._conn, "busy", None)
        self.busy = busy if isinstance(busy, BusyWait) else BusyWait(self.dir / "state.db")
        self.cache = BlobCache(self.dir / "cache", self._conn, self._lock)
        self._tasks: dict[str, TaskRecord] | None = None  # every record, loaded on first need
        self._known: dict[str, TaskRecord | None] = {}  # records read one by one, or written, before that
        self._briefs: dict[str, Brief] | None = None  # `task_brief` rows (light: no parts, no history)
        self._memos: dict[str, str] = {}  # task id -> memo to write (see `note_memo`)
        self._done: dict[str, str] = {}  # task id -> key: `failed` records to write as done (see `note_done`)
        self._rekeyed: dict[str, tuple[str, TaskRecord]] = {}  # task id -> (old key, record: `note_rekey`)
        self._secret_keys: set[str] = set()  # old keys not to keep (`note_rekey`)
        self.secret_rekeys: dict[str, tuple[str, str]] = {}  # written so: task id -> (old key, key)
        self._placed: list[str] = []  # tasks whose `commits` row is to be deleted with the next transaction
        self._batching = False  # inside `batch()`: writes join its transaction
        self._written: list[TaskRecord] = []  # records of the open transaction: remembered once it commits
        self._attempted: set[str] = set()  # tasks with history rows written since the last prune
        self._identity_cols: bool | None = None  # whether `running` has the identity columns (old may not)
        self._any_strays: bool | None = None  # whether `strays` has a row (None: not read yet)
        self._any_uncached: bool | None = None  # whether `uncached` has a row (None: not read yet)
        self._cache_keys: set[str] | None = None  # the cache's entries' keys (`Results._may_hold`)
        self._cache_asks = 0  # lookups before those were read
        # task id -> why its result, recorded, is not in the cache (`record_success`): the build says so
        self.uncached: dict[str, str] = {}
        self._partial_numbers = itertools.count()
        self._early = None  # the next run, begun on a thread (`Journal.begin_run_early`)

    def _exists(self) -> bool:
        return (self.dir / "state.db").exists()

    @classmethod
    def open(
        cls, root: Path, *, wait: float = 2.0, lock: bool = True, agentfile: str | None = None,
        config: str | None = None, role: str = "",
    ) -> Store:  # fmt: skip
        """`lock=False` (status, explain, -n): no project lock; a database of an older format is left alone
        and an empty one used instead, and one this user cannot write is read as it is (`agentmake.store.
        readonly`). A state directory this user cannot write stops a command that writes with a `UsageError`
        that says so (`_unwritable`). `agentfile`: the name of the Agentfile the command loaded, in `root`
        (see `owns`). `config`: the configuration it runs under (`owners.configuration`, `this_config`).
        `role`: what the lock file says the holder is, after its pid (`ProjectLock`: "watch")."""
        root = Path(root).resolve()
        directory = root / ".agentmake"
        escape = state_dir_error(root)
        if escape is not None:
            raise UsageError(escape)
        plock = None
        removed: tuple[int, int, int] | None = None
        try:
            if lock or (directory / "state.db").exists():  # (a reader of a project never built makes nothing)
                directory.mkdir(parents=True, exist_ok=True)
                ignore = directory / ".gitignore"
                if not ignore.exists():
                    ignore.write_text("*\n")
            if lock:
                plock = ProjectLock(directory / "lock", root, role)
                plock.acquire(wait)
        except OSError as exc:
            if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
                raise
            if lock:  # (a reader needs neither: it reads the state as it is, `agentmake.store.readonly`)
                raise _unwritable(directory, exc) from None
        if lock:
            # whoever takes the lock may change what a build stamp vouches for (`agentmake.plan.stamp`)
            with contextlib.suppress(OSError):
                st = os.stat(directory / STAMP_NAME)
                os.unlink(directory / STAMP_NAME)
                removed = (st.st_ino, st.st_size, st.st_mtime_ns)
        try:
            store = cls(root, lock=plock, agentfile=agentfile, config=config)
            store.removed_stamp = removed
            return store
        except BaseException:
            if plock is not None:
                plock.release()
            raise

    def check_intact(self) -> None:
        """Raise `schema.StateError` if the database is damaged anywhere (`schema.check_intact`: it reads
        every page). Commands otherwise find damage where they read, which may be after they removed what
        only the damaged part could have put back."""
        with self._lock:
            check_intact(self._conn, self.dir / "state.db")

    def close(self, before_release: Callable[[], object] | None = None) -> None:
        """Write what is pending, close the database, then (`before_release()` first, if given: the last
        word while the lock is still held) release the project lock."""
        # (outside the lock, which its thread takes: done before the writes below; a thread that began
        # nothing, another program holding the write lock, leaves nothing to delete: no wait for that lock)
        if self._early is not None and self._early.take() is None:
            self._early = None
        with self._lock:
            early = self._early is not None
            if early or self._placed or ((self._memos or self._done or self._rekeyed) and self.locked):
                try:
                    with self._tx():
                        self._forget_early_run()
                        self._write_placed()
                        if self.locked:
                            self._write_memos()
                except sqlite3.Error:
                    pass  # the rows only cause a harmless check (or a slower decision) on the next run
            if self._checkpoints is not None:
                self._checkpoints.close()  # (first: the writer's close, the last, removes the log)
            try:
                self._conn.close()
            finally:
                if self._checkpoints is not None:
                    self._checkpoints.release()  # (after: closing its -shm descriptor drops SQLite's locks)
        try:
            if before_release is not None and self.locked:
                before_release()
        finally:
            if self._plock is not None:
                self._plock.release()
            self._plock = None

    def _committed(self) -> None:
        """A transaction was committed (by `_tx`, or `Journal.begin_run_early`'s thread)."""
        if self._checkpoints is not None:
            self._checkpoints.committed()

    def settle(self) -> None:
        """A build's last write is committed: its log is copied into the database on a thread meanwhile
        (`store.checkpoint`), so `close` finds nothing to copy or sync."""
        if self._checkpoints is not None:
            self._checkpoints.settle()

    @property
    def locked(self) -> bool:
        """Whether this store holds the project lock (no other agentmake can be using the project)."""
        return self._plock is not None and self._plock.held

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """One transaction for every write made inside (e.g. the records of several tasks that finished
        together): all of them are committed at the end, or none."""
        with self._tx():
            self._batching = True
            try:
                yield
            finally:
                self._batching = False

    @contextmanager
    def _tx(self) -> Iterator[None]:
        with self._lock:
            if self._batching:  # inside the open batch: only its own thread gets here (it holds the lock)
                yield
                return
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield
                self._conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):  # (COMMIT itself may have failed)
                    self._conn.execute("ROLLBACK")
                self.cache.rolled_back()
                self._written.clear()
                raise
            self.cache.committed()
            self._committed()
            for rec in self._written:
                self._put(rec)
            self._written.clear()


def _unwritable(directory: Path, exc: OSError) -> UsageError:
    """The error for a state directory (or a file in it) this user may not write: a read-only
    ``.agentmake``, one made by another user, a read-only file system."""
    where = f"{exc.strerror}: {exc.filename}" if exc.filename else str(exc.strerror)
    if exc.errno == errno.EROFS:
        return UsageError(
            f"cannot write agentmake's state in {directory} ({where}): run where it can be written"
        )
    todo = f"make {directory} and the files in it writable by this user"
    return UsageError(f"cannot write agentmake's state in {directory} ({where}): {todo}")
