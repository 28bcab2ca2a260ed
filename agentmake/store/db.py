"""The state store: everything agentmake remembers about a project, behind one object.

The on-disk format (tables, columns, version, invariants) is documented in `agentmake.store.schema`; blobs
and cache rows in `agentmake.store.cache`; the project lock in `agentmake.store.lock`.

Thread safety: one SQLite connection (``check_same_thread=False``) guarded by one re-entrant lock; the
scheduler may call every method from worker threads. Task records are read from the database once and then
kept in memory, updated by this process's own writes (the lock guarantees no other writer), so the
rebuilder's lookups are dict lookups.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from agentmake.store.cache import BlobCache
from agentmake.store.lock import LockedError, ProjectLock
from agentmake.store.records import AttemptRecord, FileRecord, RawJSON, TaskRecord, attempt_from_row
from agentmake.store.schema import connect

__all__ = ["AttemptRecord", "FileRecord", "LockedError", "Store", "TaskRecord"]


_TASK_COLS = (
    "task_id, key, parts, outputs, status, finished_at, duration, attempts, cost_usd, tokens_in, tokens_out, "
    "run_id, error, memo"
)
_ATTEMPT_COLS = (
    "run_id, task_id, state, started_at, ended_at, attempts, cost_usd, tokens_in, tokens_out, error_type, "
    "message, extra"
)


class Store:
    """Opened once per process on a project root; holds the lock until `close()`."""

    root: Path
    dir: Path  # root / ".agentmake"

    def __init__(self, root: Path, *, lock: ProjectLock | None) -> None:
        self.root = root
        self.dir = root / ".agentmake"
        self._plock = lock
        self._lock = threading.RLock()
        self._conn = connect(self.dir / "state.db", may_reset=lock is not None or not self._exists())
        self.cache = BlobCache(self.dir / "cache", self._conn, self._lock)
        self._tasks: dict[str, TaskRecord] | None = None

    def _exists(self) -> bool:
        return (self.dir / "state.db").exists()

    @classmethod
    def open(cls, root: Path, *, wait: float = 2.0, lock: bool = True) -> Store:
        """`lock=False` (status, explain, -n): no project lock; an unreadable database is left alone and an
        empty one used instead."""
        root = Path(root).resolve()
        directory = root / ".agentmake"
        directory.mkdir(parents=True, exist_ok=True)
        ignore = directory / ".gitignore"
        if not ignore.exists():
            ignore.write_text("*\n")
        plock = None
        if lock:
            plock = ProjectLock(directory / "lock", root)
            plock.acquire(wait)
        try:
            return cls(root, lock=plock)
        except BaseException:
            if plock is not None:
                plock.release()
            raise

    def close(self) -> None:
        with self._lock:
            self._conn.close()
        if self._plock is not None:
            self._plock.release()
            self._plock = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[None]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    # stat cache
    def file_records(self) -> dict[str, FileRecord]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT path, size, mtime_ns, inode, hash, recorded_ns FROM files"
            ).fetchall()
        return {row[0]: FileRecord(*row) for row in rows}

    def save_file_records(self, records: Iterable[FileRecord]) -> None:
        rows = [(r.path, r.size, r.mtime_ns, r.inode, r.hash, r.recorded_ns) for r in records]
        if rows:
            with self._tx():
                self._conn.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?)", rows)

    def delete_file_records(self, paths: Iterable[str]) -> None:
        with self._tx():
            self._conn.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in paths])

    # task state
    def task_records(self) -> dict[str, TaskRecord]:
        return dict(self._task_map())

    def task_record(self, task_id: str) -> TaskRecord | None:
        return self._task_map().get(task_id)

    def _task_map(self) -> dict[str, TaskRecord]:
        with self._lock:
            if self._tasks is None:
                rows = self._conn.execute(f"SELECT {_TASK_COLS} FROM tasks").fetchall()
                self._tasks = {r[0]: _task(r) for r in rows}
            return self._tasks

    def record_success(self, record: TaskRecord, files: dict[str, Path], *, state: str = "done") -> None:
        """One transaction: the task row, a history row (`state`: "done", or "cached" after a restore), and a
        cache entry for `record.key` whose blobs are the given files (output path -> file holding its final
        content). Blobs are written first. With `files` empty the existing cache entry is kept."""
        if files:
            missing = set(files) - set(record.outputs)
            if missing:
                raise ValueError(f"files without a hash in record.outputs: {sorted(missing)}")
            for path, src in files.items():
                self.cache.put_blob(record.outputs[path], Path(src))
        now = record.finished_at = record.finished_at or time.time()
        attempt = AttemptRecord(
            record.run_id, record.task_id, state, now - record.duration, now, record.attempts,
            record.cost_usd, record.tokens_in, record.tokens_out,
        )  # fmt: skip
        with self._tx():
            self._write_task(record)
            self._write_attempt(attempt)
            if files:
                self.cache.add(record.key, record.outputs, {})
            else:
                self._conn.execute("UPDATE cache SET last_used = ? WHERE key = ?", (now, record.key))
            self._task_map()[record.task_id] = record

    def record_failure(self, task_id: str, run_id: int, error: str) -> None:
        """Mark a task failed, keeping its last successful key and outputs (explain compares against them)."""
        with self._tx():
            old = self._task_map().get(task_id)
            rec = TaskRecord(task_id, "", {}, {}) if old is None else dataclasses.replace(old)
            rec.status, rec.error, rec.run_id, rec.finished_at = "failed", error, run_id, time.time()
            self._write_task(rec)
            self._task_map()[task_id] = rec

    def _write_task(self, r: TaskRecord) -> None:
        if not r.memo:
            r.memo = str(r.parts.get("_memo", ""))
        self._conn.execute(
            f"INSERT OR REPLACE INTO tasks ({_TASK_COLS}) VALUES ({', '.join('?' * 14)})",
            (r.task_id, r.key, json.dumps(r.parts, sort_keys=True), json.dumps(r.outputs, sort_keys=True),
             r.status, r.finished_at, r.duration, r.attempts, r.cost_usd, r.tokens_in, r.tokens_out,
             r.run_id, r.error, r.memo),
        )  # fmt: skip

    def record_attempt(self, attempt: AttemptRecord) -> None:
        with self._tx():
            self._write_attempt(attempt)

    def _write_attempt(self, a: AttemptRecord) -> None:
        self._conn.execute(
            f"INSERT INTO attempts ({_ATTEMPT_COLS}) VALUES ({', '.join('?' * 12)})",
            (a.run_id, a.task_id, a.state, a.started_at, a.ended_at, a.attempts, a.cost_usd, a.tokens_in,
             a.tokens_out, a.error_type, a.message, json.dumps(a.extra)),
        )  # fmt: skip

    def mean_durations(self) -> dict[str, float]:
        """Mean wall time of each task's successful runs (restores excluded)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT task_id, AVG(ended_at - started_at) FROM attempts WHERE state = 'done' "
                "GROUP BY task_id"
            ).fetchall()
        return {task_id: float(mean) for task_id, mean in rows if mean is not None}

    # runs
    def begin_run(self) -> int:
        with self._tx():
            cur = self._conn.execute(
                "INSERT INTO runs (started_at, pid) VALUES (?, ?)", (time.time(), os.getpid())
            )
            return int(cur.lastrowid or 0)

    def end_run(self, run_id: int, counts: dict[str, int]) -> None:
        with self._tx():
            self._conn.execute(
                "UPDATE runs SET ended_at = ?, counts = ? WHERE run_id = ?",
                (time.time(), json.dumps(counts, sort_keys=True), run_id),
            )

    def last_run_id(self) -> int | None:
        with self._lock:
            row = self._conn.execute("SELECT MAX(run_id) FROM runs").fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def attempts(self, run_id: int | None = None) -> list[AttemptRecord]:
        sql = f"SELECT {_ATTEMPT_COLS} FROM attempts"
        args: tuple[Any, ...] = ()
        if run_id is not None:
            sql, args = sql + " WHERE run_id = ?", (run_id,)
        with self._lock:
            rows = self._conn.execute(sql + " ORDER BY id", args).fetchall()
        return [attempt_from_row(r) for r in rows]

    # processes of running tasks (never two live copies of one task)
    def mark_running(self, task_id: str, run_id: int, pid: int, pgid: int) -> None:
        with self._tx():
            self._conn.execute(
                "INSERT OR REPLACE INTO running VALUES (?, ?, ?, ?, ?, ?)",
                (task_id, run_id, pid, pgid, os.getpid(), time.time()),
            )

    def clear_running(self, task_id: str) -> None:
        with self._tx():
            self._conn.execute("DELETE FROM running WHERE task_id = ?", (task_id,))

    def running(self) -> list[tuple[str, int, int, int]]:
        """(task_id, pid, pgid, owner agentmake pid) of tasks recorded as running."""
        with self._lock:
            rows = self._conn.execute("SELECT task_id, pid, pgid, owner_pid FROM running ORDER BY task_id")
            return [tuple(r) for r in rows.fetchall()]

    # error log
    def log_event(self, run_id: int, task_id: str, error_type: str, message: str, action: str) -> None:
        with self._tx():
            self._conn.execute(
                "INSERT INTO events (time, run_id, task_id, error_type, message, action) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (time.time(), run_id, task_id, error_type, message, action),
            )

    def events(self, run_id: int | None = None) -> list[dict[str, Any]]:
        sql = "SELECT time, run_id, task_id, error_type, message, action FROM events"
        args: tuple[Any, ...] = ()
        if run_id is not None:
            sql, args = sql + " WHERE run_id = ?", (run_id,)
        with self._lock:
            rows = self._conn.execute(sql + " ORDER BY id", args).fetchall()
        names = ("time", "run_id", "task_id", "error_type", "message", "action")
        return [dict(zip(names, r, strict=True)) for r in rows]

    # constructive traces
    def cache_lookup(self, key: str) -> dict[str, str] | None:
        """Output path -> blob hash of a result seen before under `key`, if all its blobs are present."""
        return self.cache.lookup(key)

    def cache_restore(self, key: str, root: Path) -> dict[str, str]:
        """Write the cached outputs of `key` under `root` atomically; returns path -> hash. A path escaping
        `root` raises UsageError; an absent or incomplete entry raises KeyError."""
        return self.cache.restore(key, Path(root))

    def cache_clear(self) -> None:
        self.cache.clear()

    def cache_trim(self, limit_bytes: int) -> int:
        """Keep the most recently used entries within `limit_bytes`; returns the blob bytes deleted."""
        return self.cache.trim(limit_bytes)

    def save_edited(self, path: str) -> Path:
        """Copy a hand-edited output to ``.agentmake/edited/<YYYYmmdd-HHMMSS>/<path>``; returns where."""
        base = self.dir / "edited" / time.strftime("%Y%m%d-%H%M%S")
        dest, n = base / path, 1
        while dest.exists():
            dest, n = Path(f"{base}-{n}") / path, n + 1
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(self.root / path, dest)
        return dest


def _task(r: tuple[Any, ...]) -> TaskRecord:
    parts: Any = RawJSON(r[2])  # decoded on first access: loading 10,000 records stays cheap
    return TaskRecord(r[0], r[1], parts, json.loads(r[3]), *r[4:])
