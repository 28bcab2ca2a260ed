"""The stat cache (`files`): each file's size, mtime, inode and content hash as last read, so that an
unchanged file is not read again (`agentmake.plan.hashing`). A base of `db.Store`, which owns the
connection, the lock and the transactions.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from agentmake.store.busy import optional
from agentmake.store.records import FileRecord


class StatCache:
    """Rows of `files`, path -> (size, mtime_ns, inode, hash, recorded_ns)."""

    root: Path
    _conn: sqlite3.Connection
    _lock: threading.RLock

    if TYPE_CHECKING:  # provided by `db.Store`

        def _tx(self) -> AbstractContextManager[None]: ...

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
