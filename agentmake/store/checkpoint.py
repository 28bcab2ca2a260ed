"""WAL checkpoints off the writer's path: a thread with its own connection copies the log into the database.

SQLite's own checkpoint runs inside the commit that takes the write-ahead log past `wal_autocheckpoint`
frames (1,000 by default): the build's scheduler thread, recording a task that finished, stopped there for
the log's fsync, the copy of every page and the database's fsync (11-50 ms measured mid-build, while the
next tasks waited to start). A locked store (the only writer) has a `Checkpointer` do it instead: after
each commit the writer reads how many frames the log holds that the database does not (two numbers of the
``-shm`` file's wal-index header, https://sqlite.org/walformat.html: one `pread`); from `PAGES` on, a
thread runs ``PRAGMA wal_checkpoint(PASSIVE)`` on a second connection. SQLite releases the GIL while it
works and a passive checkpoint never takes the write lock, so commits go on meanwhile, and the log stays as
bounded as before: the writer's next commit after a complete copy starts it over. Commits that came during
the copy leave a few frames behind: it copies again, and if commits still came, a last copy holds the
writer's commits back meanwhile (`hold`: the store's own lock, taken only if free), or a steady stream of
commits would never let the copy complete; and while the log holds `PAGES` frames or more and some are not
copied, each commit asks again (`tests/test_store_checkpoint.py`, `benchmarks/bench_wal.py` for a build).
The thread never takes the database's write lock (it used to, with a last RESTART checkpoint): the writer's
wait for that lock (`agentmake.store.busy`) takes whoever holds it for another program, says so after 2 s
and gives up on a Ctrl-C, while a writer held back by `hold` waits for a lock of this process, which the
busy-wait never sees. The writer's own autocheckpoint is raised to `FALLBACK` frames, not turned off:
should the thread fall behind (a reader's snapshot holds the copy back), the writer still checkpoints. As a
build ends (`settle`, after its last write) the thread copies what the log holds, however little, while the
build prints its summary and writes its stamp; the writer's close (the last connection: the thread stops
first) then has nothing to copy or sync, and removes the log.

Crash safety is SQLite's: a checkpoint only copies committed frames into the database, and the log starts
over only once all of them are there and synced. A kill -9 at any point loses no committed transaction
(`tests/test_store_checkpoint.py` kills a writer while its thread checkpoints and counts the rows).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import struct
import threading
from pathlib import Path

PAGES = 1000  # frames not yet in the database at which the thread checkpoints at once (SQLite's default)
TRIES = 3  # checkpoints in a row while commits came during the last one (the log restarts once all are in)
FALLBACK = 4 * PAGES  # the writer's own `wal_autocheckpoint`: only reached if the thread falls behind
_HEADER = 136  # bytes read of the -shm file: two copies of the wal-index header (48 each), checkpoint info
_MX_FRAME = 16  # offset of mxFrame (frames in the log; u32, native byte order) in the header's first copy
_BACKFILL = 96  # offset of nBackfill (frames copied into the database) in the checkpoint info


class Checkpointer:
    """Checkpoints of the database `db`, written by `writer`, run by a thread (see the module docstring)."""

    def __init__(self, db: Path, shm: int, hold: threading.RLock | None = None) -> None:
        self.db = db
        self._hold = hold  # the writer's lock: held, no commit comes (for the last copy of a try)
        self.done = 0  # checkpoints the thread ran (for tests)
        self._shm = shm  # a read-only descriptor of the -shm file
        self._wake = threading.Event()
        self._closing = False
        self._asked = False  # a checkpoint is asked for or under way: commits do not ask again
        self._thread: threading.Thread | None = None  # started by the first checkpoint asked for
        self._asking = threading.Lock()

    @classmethod
    def start(
        cls, db: Path, writer: sqlite3.Connection, hold: threading.RLock | None = None
    ) -> Checkpointer | None:
        """A checkpointer for `db` (a WAL database `writer` has open, under `hold` if given: the lock its
        commits take), None where its -shm file cannot be read (the writer then checkpoints as SQLite does
        by default)."""
        try:  # (first: a descriptor of the -shm file once opened is closed only by `release`)
            writer.execute(f"PRAGMA wal_autocheckpoint = {FALLBACK}")
        except sqlite3.Error:
            return None
        try:
            shm = os.open(f"{db}-shm", os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            with contextlib.suppress(sqlite3.Error):
                writer.execute(f"PRAGMA wal_autocheckpoint = {PAGES}")
            return None
        return cls(db, shm, hold)

    def pending(self) -> int:
        """Frames in the log not yet copied into the database, as the wal-index header says now (0 if it
        cannot be read)."""
        frames, copied = self._counts()
        return frames - copied if frames > copied else 0

    def _counts(self) -> tuple[int, int]:
        """(frames in the log, frames of it copied into the database) as the wal-index header says now;
        (0, 0) if it cannot be read."""
        try:
            head = os.pread(self._shm, _HEADER, 0)
        except OSError:
            return 0, 0
        if len(head) < _HEADER:
            return 0, 0
        (frames,) = struct.unpack_from("=I", head, _MX_FRAME)
        (copied,) = struct.unpack_from("=I", head, _BACKFILL)
        return frames, copied

    def committed(self) -> None:
        """The writer committed: have the thread checkpoint if the log holds `PAGES` frames and some are
        not in the database (and it is not at it already): the first `PAGES`, or the few that commits
        added during its last copy, which keep the log from starting over until copied."""
        if self._asked or self._closing:
            return
        frames, copied = self._counts()
        if frames >= PAGES and frames > copied:
            self._ask()

    def settle(self) -> None:
        """The build ended (its last transaction committed): have the thread copy the log, however short,
        while the build says how it went, so the writer's close finds nothing to copy or sync."""
        if not self._asked and not self._closing and self.pending() > 0:
            self._ask()

    def _ask(self) -> None:
        # (under a lock: the writer's commits and `EarlyRun`'s thread, which commits the run's row, may ask
        # at once; two threads started would leave one that `close` does not join)
        with self._asking:
            if self._asked or self._closing:
                return
            self._asked = True
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="agentmake-checkpoint", daemon=True)
                self._thread.start()
            self._wake.set()

    def close(self) -> None:
        """Stop the thread (after the checkpoint under way, if any) and close its connection, before the
        writer closes its own: the writer's close, the last, then checkpoints what is left and removes the
        log, as before."""
        if self._closing:
            return
        with self._asking:
            self._closing = True
        if self._thread is not None:
            self._wake.set()
            self._thread.join()

    def release(self) -> None:
        """Close the -shm descriptor, once the writer's connection is closed (`close` first). Not before:
        closing any descriptor of a file drops every POSIX lock the process holds on it
        (https://sqlite.org/howtocorrupt.html, 2.2), SQLite's shared lock on the -shm file among them, which
        tells another process opening the database that the wal-index is in use (without it, that process
        takes itself for the first and truncates the file under the writer's mapping). So the writer's
        connection is to be this process's last to the database (a build's store is: readers are other
        processes)."""
        if self._shm >= 0:
            shm, self._shm = self._shm, -1
            os.close(shm)

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while True:
                self._wake.wait()
                self._wake.clear()
                if self._closing:
                    return
                if conn is None:  # (timeout 0: a checkpoint here never waits for a lock)
                    try:
                        conn = sqlite3.connect(self.db, timeout=0, isolation_level=None)
                    except sqlite3.Error:
                        return  # (the writer's fallback and close checkpoint, as SQLite does by default)
                self._checkpoint(conn)
        finally:
            if conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()

    def _checkpoint(self, conn: sqlite3.Connection) -> None:
        """Copy the log into the database passively (commits go on meanwhile), again if commits came during
        the copy, and if they still did, once more with the writer's commits held back (`hold`, if it is
        free: taken without waiting, so a `close` holding it never waits for this thread): the writer's next
        commit starts the log over only once every frame is copied, which a steady stream of commits would
        never allow. Never the database's write lock (see the module docstring)."""
        for attempt in range(TRIES):
            hold = self._hold if attempt == TRIES - 1 else None
            if hold is not None and not hold.acquire(blocking=False):
                break  # (a commit under way: the next one asks again, `committed`)
            try:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error:
                break  # (busy, or a damaged file the writer meets itself: its fallback checkpoints)
            finally:
                if hold is not None:
                    hold.release()
            self.done += 1
            if self._closing or self.pending() == 0:  # (0: no commit came during the copy)
                break
        self._asked = False
