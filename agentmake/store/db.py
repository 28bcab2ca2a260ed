"""The state store: everything agentmake remembers about a project, behind one object.

The on-disk format (tables, columns, version, invariants) is documented in `agentmake.store.schema`; blobs
and cache rows in `agentmake.store.cache`; runs, attempt history, running processes and the error log in
`agentmake.store.journal` (a base of `Store`); the project lock in `agentmake.store.lock`.

Thread safety: one SQLite connection (``check_same_thread=False``) guarded by one re-entrant lock; the
scheduler may call every method from worker threads. Task records are read from the database once and then
kept in memory, updated by this process's own writes (the lock guarantees no other writer), so the
rebuilder's lookups are dict lookups.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import itertools
import json
import os
import re
import shutil
import sqlite3
import stat
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from agentmake.confine import state_dir_error
from agentmake.errors import UsageError
from agentmake.store.busy import BusyWait, StateBusy, optional
from agentmake.store.cache import BlobCache
from agentmake.store.journal import Journal
from agentmake.store.lock import LockedError, ProjectLock
from agentmake.store.records import AttemptRecord, FileRecord, RawJSON, TaskRecord, made_figures, runs_extra
from agentmake.store.rowids import RowIds
from agentmake.store.schema import check_intact, column_names, connect, empty

__all__ = ["AttemptRecord", "FileRecord", "LockedError", "Store", "TaskRecord"]


_TASK_COLS = (
    "task_id, key, parts, outputs, status, finished_at, duration, attempts, cost_usd, tokens_in, tokens_out, "
    "run_id, error, memo"
)
_INSERT_TASK = f"INSERT OR REPLACE INTO tasks ({_TASK_COLS}) VALUES ({', '.join('?' * 14)})"
# (with the Agentfile that wrote the row, where the table has the column: `Store.owns`)
_INSERT_OWNED = f"INSERT OR REPLACE INTO tasks ({_TASK_COLS}, agentfile) VALUES ({', '.join('?' * 15)})"
PARTIAL = ".partial-"  # a copy of a hand edit being made (`Store.save_edited`): edited/.partial-<pid>-<n>
_PARTIAL_NAME = re.compile(re.escape(PARTIAL) + r"[0-9]+-[0-9]+")  # (a name `save_edited` gives one)
STAMP_NAME = "stamp"  # `agentmake.plan.stamp.STAMP_NAME`
_SINGLE_READS = 64  # task records read one query each before all are read at once
Brief = tuple[str, str, str, "str | dict[str, str]"]  # key, status, memo, outputs (JSON text or decoded)


class Store(Journal):
    """Opened once per process on a project root; holds the lock until `close()`."""

    root: Path
    dir: Path  # root / ".agentmake"
    # (inode, size, mtime_ns) of the build stamp `open` removed when it took the lock, None if there was none:
    # a stamp read before the lock still stands only if it is the one removed (nobody took the lock between)
    removed_stamp: tuple[int, int, int] | None = None

    def __init__(self, root: Path, *, lock: ProjectLock | None, agentfile: str | None = None) -> None:
        self.root = root
        self.dir = root / ".agentmake"
        # the name of the Agentfile (in `root`) this command loaded: the task records and strays it writes
        # are filed as its own, and it sees only its own as no longer in the graph (`owns`); None: anyone's
        self.agentfile = agentfile
        self._owners: dict[str, bool] = {}  # Agentfile name -> whether it is still there (`owns`)
        self._owner_cols: bool | None = None  # whether `tasks` and `strays` have `agentfile` (old may not)
        # the row of each task's record for this Agentfile (another's task of the same name has its own)
        self._rows = RowIds(lambda: self._conn, agentfile, self.owns, self._has_owners)
        self._plock = lock
        self._lock = threading.RLock()
        if lock is None and not self._exists():  # a reader where nothing was recorded: it writes nothing
            self._conn = empty()
        else:
            self._conn = connect(self.dir / "state.db", may_reset=lock is not None)
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
        self._placed: list[str] = []  # tasks whose `commits` row is to be deleted with the next transaction
        self._batching = False  # inside `batch()`: writes join its transaction
        self._written: list[TaskRecord] = []  # records of the open transaction: remembered once it commits
        self._attempted: set[str] = set()  # tasks with history rows written since the last prune
        self._identity_cols: bool | None = None  # whether `running` has the identity columns (old may not)
        self._any_strays: bool | None = None  # whether `strays` has a row (None: not read yet)
        self._any_uncached: bool | None = None  # whether `uncached` has a row (None: not read yet)
        # task id -> why its result, recorded, is not in the cache (`record_success`): the build says so
        self.uncached: dict[str, str] = {}
        self._partial_numbers = itertools.count()

    def _exists(self) -> bool:
        return (self.dir / "state.db").exists()

    @classmethod
    def open(cls, root: Path, *, wait: float = 2.0, lock: bool = True, agentfile: str | None = None) -> Store:
        """`lock=False` (status, explain, -n): no project lock; a database of an older format is left alone
        and an empty one used instead, and one this user cannot write is read as it is (`agentmake.store.
        readonly`). A state directory this user cannot write stops a command that writes with a `UsageError`
        that says so (`_unwritable`). `agentfile`: the name of the Agentfile the command loaded, in `root`
        (see `owns`)."""
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
                plock = ProjectLock(directory / "lock", root)
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
            store = cls(root, lock=plock, agentfile=agentfile)
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
        with self._lock:
            if self._placed or ((self._memos or self._done or self._rekeyed) and self.locked):
                try:
                    with self._tx():
                        self._write_placed()
                        if self.locked:
                            self._write_memos()
                except sqlite3.Error:
                    pass  # the rows only cause a harmless check (or a slower decision) on the next run
            self._conn.close()
        try:
            if before_release is not None and self.locked:
                before_release()
        finally:
            if self._plock is not None:
                self._plock.release()
            self._plock = None

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
            for rec in self._written:
                self._put(rec)
            self._written.clear()

    # stat cache
    def file_rows(self) -> dict[str, tuple[int, int, int, str, int]]:
        """The stat cache as path -> (size, mtime_ns, inode, hash, recorded_ns), without record objects."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT path, size, mtime_ns, inode, hash, recorded_ns FROM files"
            ).fetchall()
        return {row[0]: row[1:] for row in rows}

    def file_records(self) -> dict[str, FileRecord]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT path, size, mtime_ns, inode, hash, recorded_ns FROM files"
            ).fetchall()
        return {row[0]: FileRecord(*row) for row in rows}

    @optional
    def save_file_records(self, records: Iterable[FileRecord]) -> None:
        rows = [(r.path, r.size, r.mtime_ns, r.inode, r.hash, r.recorded_ns) for r in records]
        if rows:
            with self._tx():
                self._conn.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?)", rows)

    @optional
    def delete_file_records(self, paths: Iterable[str]) -> None:
        with self._tx():
            self._conn.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in paths])

    def forget_gone_files(self) -> int:
        """Delete the stat cache rows of files that are no longer there; returns how many. A build forgets a
        row only when it looks at its path again, which it never does for a source renamed away (its glob no
        longer matches it) or a dropped task's output: without this the table keeps every path ever hashed.
        A row of a file still there stays (it saves reading the file again)."""
        gone: list[str] = []
        for path in self.file_rows():
            try:
                os.lstat(self.root / path)
            except (FileNotFoundError, NotADirectoryError):
                gone.append(path)
            except OSError:
                continue  # (unreadable, say: not known to be gone)
        if gone:
            with self._tx():
                self._conn.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in gone])
        return len(gone)

    # task state
    def task_ids(self) -> list[str]:
        """Every task with a record (one query, one row: ~3 ms for 10,000 tasks)."""
        with self._lock:
            sql = "SELECT group_concat(task_id, char(0)) FROM tasks"
            joined = self._conn.execute(sql).fetchone()[0]
        return self._task_ids(joined.split("\0") if joined else [])

    def _task_ids(self, row_ids: list[str]) -> list[str]:
        """The task ids of `row_ids` whose records are this Agentfile's (`RowIds.task`)."""
        task = self._rows.task
        return [t for t in map(task, row_ids) if t is not None]

    def own_task_ids(self) -> list[str]:
        """The tasks with a record that this Agentfile's builds wrote (`owns`): of these alone may it say
        that they are no longer in the graph."""
        others = self._other_owners()
        if not others:  # (one Agentfile in the directory: every record)
            return self.task_ids()
        with self._lock:
            marks = ", ".join("?" * len(others))
            sql = "SELECT group_concat(task_id, char(0)) FROM tasks"
            sql += f" WHERE agentfile IS NULL OR agentfile NOT IN ({marks})"
            joined = self._conn.execute(sql, others).fetchone()[0]
        return self._task_ids(joined.split("\0") if joined else [])

    def _other_owners(self) -> list[str]:
        """The Agentfiles other than this one, still there, whose builds wrote task records (`owns`): a few
        names, read from the index on the column (not the rows)."""
        if self.agentfile is None or not self._has_owners():
            return []
        with self._lock:
            names = [r[0] for r in self._conn.execute("SELECT DISTINCT agentfile FROM tasks")]
        return [name for name in names if name is not None and not self.owns(name)]

    def owns(self, owner: str | None) -> bool:
        """Whether a record (or stray) that the Agentfile named `owner` wrote is this Agentfile's. Several
        Agentfiles in one directory share its state (one lock, one cache: a result paid for once is
        restored by any of them), but a task of another is not "no longer in the graph" of this one. A
        record is anyone's if written before records named their Agentfile (`owner` None: a build of its
        Agentfile claims it, `claim`) or by an Agentfile that is no longer there (renamed, deleted)."""
        if owner is None or self.agentfile is None or owner == self.agentfile:
            return True
        there = self._owners.get(owner)
        if there is None:
            # (a name only: never a path elsewhere, whatever a planted state.db holds)
            there = self._owners[owner] = "/" not in owner and (self.root / owner).is_file()
        return not there

    def claim(self, task_ids: Iterable[str]) -> None:
        """File as this Agentfile's the records of `task_ids` (its graph's tasks) that are anyone's (`owns`):
        written before records named their Agentfile, or by one renamed since. A build does this as it
        starts, so that after each Agentfile sharing a directory has been built once, none takes another's
        tasks for leftovers. Writes only when there is one to claim."""
        if self.agentfile is None or not self.locked or not self._has_owners():
            return
        with self._lock:
            names = [r[0] for r in self._conn.execute("SELECT DISTINCT agentfile FROM tasks")]
            anyones = [name for name in names if name != self.agentfile and self.owns(name)]
            if not anyones:  # (most builds: every record is this Agentfile's, or another's still there)
                return
            gone = [name for name in anyones if name is not None]  # (Agentfiles renamed or deleted)
            sql = "SELECT task_id, agentfile FROM tasks WHERE agentfile IS NULL"
            sql += f" OR agentfile IN ({', '.join('?' * len(gone))})" if gone else ""
            rows = self._conn.execute(sql, gone).fetchall()
        ids = set(task_ids)
        mine = [(self.agentfile, t) for t, owner in rows if t in ids and self.owns(owner)]
        if mine:
            with contextlib.suppress(StateBusy), self._tx():  # (claimed by the next build, if busy now)
                self._conn.executemany("UPDATE tasks SET agentfile = ? WHERE task_id = ?", mine)

    def _has_owners(self) -> bool:
        """Whether `tasks` and `strays` have the `agentfile` column (an old database opened busy or read-only
        may not: then every record is anyone's)."""
        if self._owner_cols is None:
            with self._lock:
                self._owner_cols = "agentfile" in column_names(self._conn, "tasks") and "agentfile" in (
                    column_names(self._conn, "strays")
                )
        return self._owner_cols

    def forget_tasks(self, task_ids: Iterable[str]) -> None:
        """Delete the records and history of `task_ids` (tasks no longer in the graph: no build would ever
        prune their history again); their cache entries stay."""
        ids = list(task_ids)
        with self._tx():
            rows = [(self._rows.row(t),) for t in ids]
            self._conn.executemany("DELETE FROM tasks WHERE task_id = ?", rows)
            self._conn.executemany("DELETE FROM attempts WHERE task_id = ?", [(t,) for t in ids])
            self._conn.executemany("DELETE FROM commits WHERE task_id = ?", [(t,) for t in ids])
            with contextlib.suppress(sqlite3.OperationalError):  # (an older database opened busy)
                self._conn.executemany("DELETE FROM uncached WHERE task_id = ?", [(t,) for t in ids])
        with self._lock:
            for task_id in ids:
                self._known.pop(task_id, None)
                if self._tasks is not None:
                    self._tasks.pop(task_id, None)
                if self._briefs is not None:
                    self._briefs.pop(task_id, None)

    def task_records(self) -> dict[str, TaskRecord]:
        return dict(self._task_map())

    def task_record(self, task_id: str) -> TaskRecord | None:
        with self._lock:
            if self._tasks is not None:
                return self._tasks.get(task_id)
            if task_id in self._known:
                return self._known[task_id]
            if len(self._known) >= _SINGLE_READS:  # many lookups: one query for all is cheaper
                return self._task_map().get(task_id)
            sql = f"SELECT {_TASK_COLS} FROM tasks WHERE task_id = ?"
            row = self._conn.execute(sql, (self._rows.row(task_id),)).fetchone()
            rec = self._known[task_id] = None if row is None else _task(row, task_id)
            return rec

    def task_brief(self, task_id: str) -> Brief | None:
        """(key, status, memo, outputs) of a task's record, where `outputs` is a path -> hash dict or its
        JSON text (``json.dumps(outputs, sort_keys=True)``, undecoded). Read for all tasks in one light query
        (no parts): what the rebuilder's no-op path needs."""
        with self._lock:
            if self._tasks is not None or task_id in self._known:
                rec = self.task_record(task_id)
                return None if rec is None else (rec.key, rec.status, rec.memo, rec.__dict__["_outputs"])
            if self._briefs is None:
                rows = self._conn.execute("SELECT task_id, key, status, memo, outputs FROM tasks").fetchall()
                task = self._rows.task
                self._briefs = {t: r[1:] for r in rows if (t := task(r[0])) is not None}
            return self._briefs.get(task_id)

    def _task_map(self) -> dict[str, TaskRecord]:
        with self._lock:
            if self._tasks is None:
                rows = self._conn.execute(f"SELECT {_TASK_COLS} FROM tasks").fetchall()
                task = self._rows.task
                tasks = {t: _task(r, t) for r in rows if (t := task(r[0])) is not None}
                for task_id, rec in self._known.items():  # this process's own, newer copies
                    if rec is not None:
                        tasks[task_id] = rec
                self._tasks = tasks
                self._known = {}
            return self._tasks

    def _put(self, rec: TaskRecord) -> None:
        """Remember a record this process just wrote (the lock guarantees no other writer)."""
        if self._tasks is not None:
            self._tasks[rec.task_id] = rec
        else:
            self._known[rec.task_id] = rec

    def store_blob(self, digest: str, source: Path) -> int:
        """Copy `source` (content hash `digest`) into the blob cache; returns the blob's size. Safe from any
        thread, the database is not touched: a large blob is a file written atomically, a small one is held
        in memory until the task naming it is recorded (see `agentmake.store.cache`). Raises
        OSError if the cache cannot be written (callers treat the cache as best-effort; `record_success`
        tries again and, failing, records the task without a cache entry)."""
        return self.cache.put_blob(digest, source)

    def hash_and_store_blob(self, source: Path | str) -> tuple[str, bool]:
        """(content hash of `source`, whether it is now in the blob cache, or held for it as `store_blob`
        says), from one read of the file. Safe from any thread (the database is not touched). Raises
        OSError only if `source` cannot be read."""
        return self.cache.hash_and_put(source)

    def record_success(self, record: TaskRecord, files: dict[str, Path], *, state: str = "done") -> None:
        """One transaction: the task row, a history row (`state`: "done", "cached" after a restore, or
        "up-to-date" for outputs found in place, `Decision.adopt`), and a cache entry for `record.key` whose
        blobs are the given files (output path -> file holding its final content). Large blobs are written
        first and small ones with the rows (a blob already stored or held, e.g. by `store_blob` in a worker
        thread, is not read again). With `files` empty the existing cache entry is kept.

        A file given that is not its target (``root / path``: a staged file the caller renames into place
        after this call) means the outputs are not in place yet: the task is also noted in `commits`, until
        `outputs_placed(task_id)` says they are. The next run restores such tasks from the cache."""
        pending = False
        cached = bool(files)
        size = 0
        modes: dict[str, int] = {}
        if files:
            missing = set(files) - set(record.outputs)
            if missing:
                raise ValueError(f"files without a hash in record.outputs: {sorted(missing)}")
            try:
                for path, src in files.items():
                    size += self.cache.put_blob(record.outputs[path], src)
                    pending = pending or Path(src) != self.root / path
                    mode = _mode(src)
                    if mode & 0o111:  # (an executable output is restored executable)
                        modes[path] = mode
            except OSError as exc:  # the cache is best-effort: a full disk never costs a paid result
                cached = pending = False  # no cache row, and no `commits` row (it needs the blobs)
                self.log_event(
                    record.run_id, record.task_id, "cache", f"cannot write to the cache: {exc}",
                    "result kept; not cached",
                )  # fmt: skip
                self.uncached[record.task_id] = (
                    f"result kept but not cached (cannot write to the cache: {exc}): the next build caches"
                    " it if it can; if the output is removed before that, the task runs again"
                )
        now = record.finished_at = record.finished_at or time.time()
        started = record.started_at if record.started_at is not None else now - record.duration
        if record.kept:  # (figures of the build that made it: this one spent nothing, `TaskRecord.kept`)
            attempt = AttemptRecord(record.run_id, record.task_id, state, now, now, 0)
            attempt.extra["made"] = made_figures(record)
        else:
            attempt = AttemptRecord(
                record.run_id, record.task_id, state, started, now, record.attempts,
                record.cost_usd, record.tokens_in, record.tokens_out,
            )  # fmt: skip
        if record.started_at is not None:  # (the row spans retries: keep the successful attempt's time)
            attempt.extra["duration"] = (
                record.duration if record.attempt_time is None else record.attempt_time
            )
        if record.runs:  # (and what each attempt ran, when there were several: `records.run_time`)
            attempt.extra["runs"] = runs_extra(record.runs)
        if record.status == "partial":  # (a partial report: what it lacks, for the run summary)
            attempt.extra["partial"] = record.error
        if record.after is not None:  # (what it waited for before it started: the report's critical path)
            attempt.extra["after"] = list(record.after)
        with self._tx():
            self._write_placed()
            outputs_json = self._write_task(record)
            self._write_attempt(attempt)
            if cached:
                self.cache.add(
                    record.key, record.outputs, {}, size=size, outputs_json=outputs_json, modes=modes,
                    made=made_figures(record),
                )  # fmt: skip
            elif not files:
                self._conn.execute("UPDATE cache SET last_used = ? WHERE key = ?", (now, record.key))
            if pending:
                self._conn.execute(
                    "INSERT OR REPLACE INTO commits VALUES (?, ?)", (record.task_id, record.run_id)
                )
            self._note_uncached(record, uncached=bool(files) and not cached)
            self._written.append(record)

    def _note_uncached(self, record: TaskRecord, *, uncached: bool) -> None:
        """In `record_success`'s transaction: note a result recorded without a cache entry in `uncached`
        (`cache_uncached` files it later), or take out the task's row there (recorded anew)."""
        with contextlib.suppress(sqlite3.OperationalError):  # (an older database opened busy: no such table)
            if uncached:
                self._conn.execute(
                    "INSERT OR REPLACE INTO uncached VALUES (?, ?)", (record.task_id, record.key)
                )
                self._any_uncached = True
                return
            if self._any_uncached is None:  # (read once: the table is empty in most projects)
                found = self._conn.execute("SELECT 1 FROM uncached LIMIT 1").fetchone()
                self._any_uncached = found is not None
            if self._any_uncached:
                self._conn.execute("DELETE FROM uncached WHERE task_id = ?", (record.task_id,))

    def cache_uncached(self) -> int:
        """File in the cache the results recorded without an entry there (`uncached`: the cache could not
        be written when they were made) that are in place as recorded, so that deleting one later costs no
        call (a paid answer) again; returns how many are still not cached (the cache still cannot be
        written: the next build tries again). One that is no longer the task's record, or no longer in
        place as recorded (edited by hand, deleted), is forgotten: that result can no longer be filed.
        Only under the project lock: a build calls it as it starts."""
        if not self.locked:
            return 0
        with self._lock:
            try:
                rows = self._conn.execute("SELECT task_id, key FROM uncached").fetchall()
            except sqlite3.OperationalError:  # (an older database opened busy: no such table)
                return 0
        if not rows:
            return 0
        done: list[str] = []
        for task_id, key in rows:
            rec = self.task_record(task_id)
            outs = dict(rec.outputs) if rec is not None else {}
            if rec is None or rec.key != key or rec.status != "done" or self.cache_lookup(key) is not None:
                done.append(task_id)  # (recorded anew since, or cached: nothing to file)
                continue
            files = [self.root / out for out in outs]
            if not all(os.path.isfile(f) and not os.path.islink(f) for f in files):
                done.append(task_id)  # (not all in place: not the recorded result)
                continue
            try:
                self.cache_keep(key, outs)  # (False: not as recorded; forgotten all the same)
            except (OSError, sqlite3.Error):
                continue  # the cache still cannot be written: tried again by the next build
            done.append(task_id)
        if done:
            with contextlib.suppress(StateBusy), self._tx():
                self._conn.executemany("DELETE FROM uncached WHERE task_id = ?", [(t,) for t in done])
        return len(rows) - len(done)

    # outputs recorded before they were renamed into place (see `record_success`)
    def outputs_placed(self, task_id: str) -> None:
        """The outputs of `task_id` are in place: its `commits` row is deleted with the next transaction
        (batched: no transaction of its own)."""
        with self._lock:
            self._placed.append(task_id)

    def note_memo(self, task_id: str, memo: str) -> None:
        """A newer rebuilder memo for an up-to-date task (its key unchanged): kept in memory now, written with
        the build's end (`end_run`) or at `close()` of a store holding the lock."""
        with self._lock:
            rec = self.task_record(task_id)
            if rec is not None:
                rec.memo = memo
                self._memos[task_id] = memo

    def note_done(self, task_id: str, memo: str) -> None:
        """A task recorded `failed` found up to date under its recorded key (the last good build's outputs,
        untouched): done again, with `memo`. Kept in memory now, written as `note_memo`'s memos are."""
        with self._lock:
            rec = self.task_record(task_id)
            if rec is not None and rec.status == "failed":
                rec.status, rec.error, rec.memo = "done", None, memo
                self._done[task_id] = rec.key
                self._memos[task_id] = memo

    def note_rekey(self, task_id: str, old_key: str, key: str, parts: dict[str, Any]) -> None:
        """A task found up to date whose record holds its result under `old_key`, the key it had in a format
        before (`agentmake.plan.keys_v1`): the record switches to `key` and `parts` (and is done, if it was
        `failed` since), and the cache entry of `old_key` is filed under `key` too. Kept in memory now,
        written as `note_memo`'s memos are (only if the row still holds `old_key` then)."""
        with self._lock:
            rec = self.task_record(task_id)
            if rec is not None and rec.key == old_key:
                rec.key, rec.parts, rec.status, rec.error = key, parts, "done", None
                rec.memo = str(parts.get("_memo", ""))
                self._rekeyed[task_id] = (old_key, rec)

    def _write_memos(self) -> None:
        if self._rekeyed:
            rows = [
                (r.key, json.dumps(r.parts, sort_keys=True), r.memo, self._rows.row(t), old)
                for t, (old, r) in self._rekeyed.items()
            ]
            self._conn.executemany(
                "UPDATE tasks SET key = ?, parts = ?, memo = ?, status = 'done', error = NULL"
                " WHERE task_id = ? AND key = ?",
                rows,
            )
            for old, r in self._rekeyed.values():
                self._alias(old, r.key)
            self._rekeyed.clear()
        if self._done:  # (only if the row still holds the key it was found up to date under)
            self._conn.executemany(
                "UPDATE tasks SET status = 'done', error = NULL WHERE task_id = ? AND key = ?"
                " AND status = 'failed'",
                [(self._rows.row(t), key) for t, key in self._done.items()],
            )
            self._done.clear()
        if self._memos:
            self._conn.executemany(
                "UPDATE tasks SET memo = ? WHERE task_id = ?",
                [(m, self._rows.row(t)) for t, m in self._memos.items()],
            )
            self._memos.clear()

    def _write_placed(self) -> None:
        if len(self._placed) == 1:
            self._conn.execute("DELETE FROM commits WHERE task_id = ?", (self._placed.pop(),))
        elif self._placed:
            self._conn.executemany("DELETE FROM commits WHERE task_id = ?", [(t,) for t in self._placed])
            self._placed.clear()

    def pending_commits(self) -> list[str]:
        """Task ids recorded as done whose outputs may never have been renamed into place (a crash)."""
        with self._lock:
            try:
                rows = self._conn.execute("SELECT task_id FROM commits ORDER BY task_id").fetchall()
            except sqlite3.OperationalError:  # an old database opened read-only: no such table
                return []
        return [r[0] for r in rows]

    def clear_commits(self, task_ids: Iterable[str]) -> None:
        with self._tx():
            self._conn.executemany("DELETE FROM commits WHERE task_id = ?", [(t,) for t in task_ids])

    @optional
    def record_failure(self, task_id: str, run_id: int, error: str) -> None:
        """Mark a task failed, keeping its last successful key and outputs (explain compares against them)."""
        with self._tx():
            old = self.task_record(task_id)
            rec = TaskRecord(task_id, "", {}, {}) if old is None else dataclasses.replace(old)
            rec.status, rec.error, rec.run_id, rec.finished_at = "failed", error, run_id, time.time()
            self._write_task(rec)
            self._written.append(rec)

    def _write_task(self, r: TaskRecord) -> str:
        """Write the task row; returns its outputs' JSON text (the cache row stores the same text)."""
        if not r.memo:
            r.memo = str(r.parts.get("_memo", ""))
        outputs = json.dumps(r.outputs, sort_keys=True)
        self._note_strays(r.task_id, r.outputs, outputs)
        row = (
            self._rows.row(r.task_id), r.key, json.dumps(r.parts, sort_keys=True), outputs,
            r.status, r.finished_at, r.duration, r.attempts, r.cost_usd, r.tokens_in, r.tokens_out,
            r.run_id, r.error, r.memo,
        )  # fmt: skip
        if self._has_owners():
            self._conn.execute(_INSERT_OWNED, (*row, self.agentfile))
        else:
            self._conn.execute(_INSERT_TASK, row)
        return outputs

    def _note_strays(self, task_id: str, outputs: dict[str, str], outputs_json: str) -> None:
        """In the transaction that rewrites `task_id`'s row with `outputs`: the outputs its row lists and
        `outputs` does not (renamed in the Agentfile: the files agentmake wrote there stay) go into `strays`,
        and those `outputs` lists come out of it (made by a task again). Bookkeeping for `clean --leftovers`:
        a database without the table (an older one opened busy) records the task all the same."""
        with contextlib.suppress(sqlite3.OperationalError):
            owned = self._has_owners()
            sql = f"SELECT outputs, {'agentfile' if owned else 'NULL'} FROM tasks WHERE task_id = ?"
            row = self._conn.execute(sql, (self._rows.row(task_id),)).fetchone()
            # (a row another Agentfile's task of the same name wrote: its outputs are that one's, not renamed)
            if row is not None and row[0] != outputs_json and self.owns(row[1]):
                gone = [(p, task_id, h) for p, h in json.loads(row[0]).items() if p not in outputs]
                if gone and owned:
                    self._conn.executemany(
                        "INSERT OR REPLACE INTO strays (path, task_id, hash, agentfile) VALUES (?, ?, ?, ?)",
                        [(*g, self.agentfile) for g in gone],
                    )
                elif gone:
                    self._conn.executemany("INSERT OR REPLACE INTO strays VALUES (?, ?, ?)", gone)
                if gone:
                    self._any_strays = True
            if self._any_strays is None:  # (read once: the table is empty in most projects)
                self._any_strays = self._conn.execute("SELECT 1 FROM strays LIMIT 1").fetchone() is not None
            if self._any_strays and outputs:
                self._conn.executemany("DELETE FROM strays WHERE path = ?", [(p,) for p in outputs])

    def strays(self) -> dict[str, tuple[str, str]]:
        """Path -> (task id, content hash as agentmake wrote it) of every output a task's record no longer
        lists (see `_note_strays`), whether or not the file is still there: this Agentfile's (`owns`)."""
        with self._lock:
            try:
                owner = "agentfile" if self._has_owners() else "NULL"
                rows = self._conn.execute(f"SELECT path, task_id, hash, {owner} FROM strays").fetchall()
            except sqlite3.OperationalError:  # an old database opened read-only: no such table
                return {}
        return {path: (task_id, digest) for path, task_id, digest, owner in rows if self.owns(owner)}

    def forget_strays(self, paths: Iterable[str]) -> None:
        """Delete `paths` from the strays (`clean --leftovers` removed them, or they are gone)."""
        with self._tx():
            self._conn.executemany("DELETE FROM strays WHERE path = ?", [(p,) for p in paths])

    # constructive traces
    def cache_lookup(self, key: str) -> dict[str, str] | None:
        """Output path -> blob hash of a result seen before under `key`, if all its blobs are present."""
        return self.cache.lookup(key)

    def cache_modes(self, key: str) -> dict[str, int]:
        """The modes of the executable outputs of the result cached under `key` (path -> mode)."""
        return self.cache.modes(key)

    def cache_alias(self, old_key: str, key: str) -> None:
        """File the cache entry of `old_key` under `key` too (the same result under a key spelt otherwise, as
        by an older key format, `agentmake.plan.keys_v1`); nothing if it has none, or `key` has one."""
        with self._tx():
            self._alias(old_key, key)

    def _alias(self, old_key: str, key: str) -> None:
        try:
            self._conn.execute(
                "INSERT OR IGNORE INTO cache (key, outputs, size, created_at, last_used, modes, made)"
                " SELECT ?, outputs, size, created_at, last_used, modes, made FROM cache WHERE key = ?",
                (key, old_key),
            )
        except sqlite3.OperationalError:  # (an older database without the `modes` and `made` columns)
            self._conn.execute(
                "INSERT OR IGNORE INTO cache (key, outputs, size, created_at, last_used)"
                " SELECT ?, outputs, size, created_at, last_used FROM cache WHERE key = ?",
                (key, old_key),
            )

    def cache_holds(self, digest: str) -> bool:
        """Whether the cache holds content `digest` (an output agentmake made, under any key)."""
        return self.cache.holds(digest)

    def cache_read(self, digest: str) -> bytes | None:
        """A cached output's content by its hash (None if the cache does not hold it)."""
        return self.cache.read(digest)

    def cache_restore(self, key: str, root: Path) -> dict[str, str]:
        """Write the cached outputs of `key` under `root` atomically; returns path -> hash. A path escaping
        `root` raises UsageError; an absent or incomplete entry raises KeyError."""
        return self.cache.restore(key, Path(root))

    def cache_made(self, key: str) -> dict[str, Any] | None:
        """What making the result cached under `key` took and cost (`made_figures` of the record that cached
        it), None if not known: what a restore of it keeps in its record, as `status` then shows."""
        return self.cache.made(key)

    def cache_keep(self, key: str, outputs: dict[str, str]) -> bool:
        """File the outputs in place (path -> content hash, as recorded under `key`) in the cache as `key`'s
        entry, for a result the build could not cache (`uncached`), before something removes them. Each is
        read once, and checked: False (nothing filed) if one no longer holds its recorded content. Raises
        OSError or sqlite3.Error if the cache cannot be written."""
        sources = {path: self.root / path for path in outputs}
        modes: dict[str, int] = {}
        for path, digest in outputs.items():
            if self.cache.hash_and_put(sources[path])[0] != digest:
                return False
            mode = _mode(sources[path])
            if mode & 0o111:  # (an executable output is restored executable, as `record_success` keeps it)
                modes[path] = mode
        with self._tx():  # (`add` copies a large blob the read above could not write, raising why)
            self.cache.add(key, outputs, sources, modes=modes)
        return True

    def cache_clear(self) -> None:
        self.cache.clear()

    def cache_trim(self, limit_bytes: int) -> int:
        """Keep the most recently used entries within `limit_bytes`; returns the blob bytes deleted (none once
        the store gave up waiting for the database: `busy`)."""
        if self.busy.gave_up is not None:
            return 0
        try:
            return self.cache.trim(limit_bytes)
        except StateBusy:
            return 0

    def remove_partials(self) -> int:
        """Remove the copies of hand edits a killed agentmake left unfinished (``edited/.partial-<pid>-<n>``,
        see `save_edited`); returns how many. Only under the project lock: no other agentmake can be making
        one, and `scheduler.recover.take_over` calls it as a build or clean starts, before this one saves
        any (a save is finished, or its temporary removed, before `save_edited` returns). The pid in the name
        is not looked at: in a container, a new agentmake often has the pid of the one killed. A saved edit
        (in a dated directory) is never touched."""
        if not self.locked:
            return 0
        edited = self.dir / "edited"
        try:
            names = os.listdir(edited)
        except OSError:  # (none: the usual case)
            return 0
        removed = 0
        for name in names:
            if _PARTIAL_NAME.fullmatch(name):
                with contextlib.suppress(OSError):  # (a directory of that name is nobody's copy: left)
                    os.unlink(edited / name)
                    removed += 1
        return removed

    def save_edited(self, path: str, *, link: bool = False) -> Path:
        """Copy a hand-edited output to ``.agentmake/edited/<YYYYmmdd-HHMMSS>/<path>``; returns where. The
        copy is made under a temporary name (``edited/.partial-<pid>-<n>``) and renamed once complete (its
        directory made only then), so a kill during it never leaves a part of the edit, nor an empty dated
        directory, where a saved edit is looked for; the temporaries a killed agentmake left are removed
        when the next build or clean starts (`remove_partials`).

        `link`: the output is about to be replaced (renamed over): keep its own file, hard-linked, not a copy
        (a copy where no link can be made). An editor that saves in place (truncate, then write) may be
        between the two: what it writes after the result has replaced the output lands in the saved edit,
        where a copy would have kept the empty file. Not for an output that stays in place (a copy is a
        snapshot; a link would follow whatever writes to the output next)."""
        edited = self.dir / "edited"
        base = edited / time.strftime("%Y%m%d-%H%M%S")
        dest, n = base / path, 1
        while dest.exists():
            dest, n = Path(f"{base}-{n}") / path, n + 1
        src = self.root / path
        mode = os.lstat(src).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):  # a FIFO or a device: nothing to keep a copy of
            raise OSError(errno.EINVAL, f"{path} is not a regular file")
        edited.mkdir(parents=True, exist_ok=True)
        with self._lock:
            partial = edited / f"{PARTIAL}{os.getpid()}-{next(self._partial_numbers)}"
        try:
            if not (link and _linked(src, partial)):
                # a symbolic link is saved as the link (its target, e.g. /dev/zero, may be anything, anywhere)
                shutil.copy2(src, partial, follow_symlinks=False)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(partial, dest)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(partial)
            raise
        return dest


def _linked(src: Path, dest: Path) -> bool:
    """Hard-link `src` (a symbolic link itself, not what it names) as `dest`; False where no link can be made
    (another file system, one without hard links, too many links). Raises OSError if `src` is gone."""
    try:
        os.link(src, dest, follow_symlinks=False)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            raise
        return False
    return True


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


def _task(r: tuple[Any, ...], task_id: str) -> TaskRecord:
    """Row `r` of `tasks` as the record of `task_id` (its row id may be an Agentfile's own: `RowIds`)."""
    # parts and outputs are decoded on first access: loading 10,000 records stays cheap
    return TaskRecord(task_id, r[1], RawJSON(r[2]), RawJSON(r[3]), *r[4:])  # type: ignore[arg-type]


def _mode(path: Path | str) -> int:
    """The permission bits of `path` (0 if it is gone: a blob held in memory needs no file)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        return 0
