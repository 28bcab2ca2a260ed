"""A build's run begun on a thread while the build still starts: the first write of a store's life waits
for the disk off the build's path.

The run's row (`Journal.begin_run`) is the first transaction a build commits, and the first commit after
the state database was opened (its write-ahead log removed at the last close) has SQLite write the log's
header and sync it and its directory: 3 ms of a quiet machine's 70 before a build's first task started,
7-21 ms with other programs writing to the disk. `EarlyRun` commits that row on a thread (SQLite releases
the GIL while it waits for the disk) while the build imports what it runs with; `Journal.begin_run` takes
its id, and a row no build took (the build stopped before it ran anything) is deleted by `Store.close`.
Where another program holds the write lock, it gives up after SQLite's own wait: `begin_run` then waits
as before, as long as it takes, and a Ctrl-C stops that wait.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Callable

BEGIN_RUN = "INSERT INTO runs (started_at, pid) VALUES (?, ?)"


class EarlyRun:
    """A run begun on a thread on `conn` (the store's connection, used under `lock`); `committed()` is
    called once it is committed."""

    def __init__(
        self, conn: sqlite3.Connection, lock: threading.RLock, committed: Callable[[], None]
    ) -> None:
        self.run_id: int | None = None
        self._thread = threading.Thread(
            target=self._begin, args=(conn, lock, committed), name="agentmake-begin-run", daemon=True
        )
        self._thread.start()

    def take(self) -> int | None:
        """The run's id once its row is committed; None if it could not be (the caller begins it itself)."""
        self._thread.join()
        return self.run_id

    def _begin(self, conn: sqlite3.Connection, lock: threading.RLock, committed: Callable[[], None]) -> None:
        # (sqlite3.Connection's own execute: on a lock another program holds, SQLite's timeout, then a
        # failure, rather than the store's waiting, `store.busy`, which only the build can stop)
        execute = sqlite3.Connection.execute
        with lock:
            try:
                execute(conn, "BEGIN IMMEDIATE")
            except sqlite3.Error:
                return
            try:
                cursor = execute(conn, BEGIN_RUN, (time.time(), os.getpid()))
                execute(conn, "COMMIT")
            except sqlite3.Error:
                with contextlib.suppress(sqlite3.Error):  # (COMMIT itself may have failed)
                    execute(conn, "ROLLBACK")
                return
            self.run_id = int(cursor.lastrowid or 0)
        committed()
