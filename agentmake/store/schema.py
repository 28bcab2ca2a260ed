"""The on-disk format of `.agentmake/state.db` and how a connection to it is opened (or started over).

Format version 1 (stored in ``PRAGMA user_version``). SQLite in WAL mode, ``synchronous=NORMAL``.

tasks     the last build of each task: task_id (primary key), key (xxh3-128 of the canonical key parts, see
          `agentmake.plan.keys`; "" when the task never succeeded), parts (JSON: the key's components, for
          explain), outputs (JSON: output path -> content hash as agentmake wrote it), status ("done" |
          "failed" | "partial": a report built with -k without some inputs, recorded and cached under
          "partial:" + its key, which no decision computes, see `agentmake.plan.partial`), finished_at,
          duration (seconds), attempts, cost_usd, tokens_in, tokens_out, run_id, error (last failure message;
          for a partial report, what it lacks), memo (the rebuilder's memo, a copy of parts["_memo"], read
          without decoding parts), agentfile (the name of the Agentfile whose build wrote the row, in the
          project directory: several Agentfiles there share one state, see `Store.owns`; added after
          release: NULL in a row written before, which is anyone's until a build of its Agentfile claims it),
          config (the variables the command line set for that build, `owners.configuration`: "" for none;
          a row of another configuration is not "no longer in the graph" of this one; added after release:
          NULL in a row written before, which is every configuration's).
files     the stat cache: path -> size, mtime_ns, inode, hash, recorded_ns (wall clock when hashed; see
          `agentmake.plan.hashing` for the racily-clean rule). A row is deleted when a build finds its file
          gone, and by `clean --leftovers` for every file gone (`Store.forget_gone_files`).
runs      one row per build: run_id, started_at, ended_at, pid, counts (JSON: state -> number of tasks),
          summed_by (of a build that never ended, killed: the run, or 0 for `clean` and `-t`, that reported
          what it spent, which it never did itself: `Journal.spend_unsummed`; added after release: a
          database that gets the column marks every build that had not ended then as reported, since one
          before may have reported part of it, but for one no build took over: `ADDED_VALUES`).
          The journal (runs, attempts, events) is pruned as each build ends: see `journal.HISTORY_KEPT`.
attempts  history, one row per task per run: run_id, task_id, state, started_at, ended_at, attempts, cost_usd,
          tokens_in, tokens_out, error_type, message, extra (JSON, each key optional: "duration", the
          successful attempt's time; "runs", [start, end] of each attempt when there were several;
          "partial", what a partial report lacks; "after", [task_id, "dependency" | "slot"], what the task
          waited for before it first started in that run, none if for nothing of it).
running   processes of tasks being run: task_id, run_id, pid, pgid, owner_pid (the agentmake that started
          it), started_at, start_ticks and boot_id (the process's identity, see `agentmake.store.identity`;
          NULL where unknown). A row left by a dead owner names an orphan to end, if it is still that process.
events    the error log: time, run_id, task_id, error_type, message, action.
commits   tasks recorded as done whose outputs may not be in place yet: task_id, run_id. The scheduler
          records a task (row, history, cache entry, this row) *before* renaming its staged outputs onto
          their targets; the row is deleted in a later transaction once they are. A row found by the next
          run names a task whose outputs are restored from the cache (see `Store.pending_commits`).
cache     constructive traces: key -> outputs (JSON: output path -> blob hash), size (bytes of its blobs),
          created_at, last_used (for LRU trimming), modes (JSON: output path -> file mode, for outputs with
          an executable bit; added after release, so an older database may lack it), made (JSON: what
          making the result took and cost, `duration`, `attempts`, `cost_usd`, `tokens_in`, `tokens_out`,
          told by `status` of it once restored; added after release too).
blobs     packed blobs: digest (xxh3-128 hex of the content) -> data, for contents up to
          `agentmake.store.blobs.PACK_LIMIT` bytes.
strays    outputs a task's record listed and its newer record does not (an output renamed in the Agentfile):
          path (primary key) -> task_id, hash (the content agentmake wrote there), agentfile (as in `tasks`,
          the Agentfile that renamed it; added after release: NULL, anyone's), config (the `tasks.config` of
          the record that listed it: the output of another configuration, `lang=fr`'s while this build is
          `lang=es`'s, is no leftover of this one; added after release: NULL, every one's), key (that
          record's `tasks.key`, NULL for a partial report's: going back to that configuration, the task
          finds its outputs there made under the key it has again, `Store.made_before`, with no cache
          entry needed; added after release: NULL), made (JSON, as `cache.made`: what making them took and
          cost, as that record said, which such a build keeps in its record, `Store.made_before_figures`;
          NULL for a partial report's; added after release: NULL, not known). The file is left in place, a
          leftover (`agentmake.plan.leftovers`) until `clean --leftovers` removes it; a path a task records
          as its output again is deleted from here (added after release: an older database gets it empty).
found_spend  what an attempt of a killed build paid for and no build recorded, found in its logs by a later
          build (a failure its agent was paid for, a salvaged answer that failed its check): run_id (the build
          that found it, whose spend it is counted in: `Journal.spend_unsummed`), task_id, paid_at (when that
          attempt started), paid_by (its log stem), cost_usd, tokens_in, tokens_out. Written as soon as it is
          found, before an attempt of that build replaces the logs that prove it (`scheduler.earlier`); pruned
          with `runs` (added after release: an older database gets it empty).
uncached  results recorded without a cache entry (the cache could not be written: a full disk): task_id ->
          key. The next build that finds such a result in place, as recorded, files it in the cache
          (`Store.cache_uncached`), so a deleted output costs no call again (added after release: an older
          database gets it empty).

Larger blobs live in ``.agentmake/cache/blobs/ab/cdef…`` named by their xxh3-128 content hash, written
atomically. A database is created with incremental auto-vacuum, so trimming packed blobs frees disk space
(one made before is rewritten with it when `clean --cache` empties the cache: `cache._vacuum`).
Beside the database, ``.agentmake/stamp`` is the build stamp (format and rules in `agentmake.plan.stamp`);
`Store.open` removes it whenever it takes the project lock.

Invariants: one transaction per finished task (task row + history row + cache row together); a cache row is
written only after (or with) every blob it names, so a crash leaves at worst an unreferenced blob; a task's
outputs are renamed into place only after its row is committed, so a crash never loses a paid-for result.
A file of an older format is moved aside (``state.db.v0-…``) and a new one is started, never an error. A
damaged one (not a database, truncated, garbage inside) is refused, every command failing with exit 2 and the
way out (`damaged_advice`), and left as it is: starting afresh by itself would pay again for every result
cached only in it, which a copy from a backup may still hold.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from agentmake.errors import UsageError
from agentmake.store.busy import connect_waiting

SCHEMA_VERSION = 1

DDL = """
CREATE TABLE IF NOT EXISTS tasks (
    task_id TEXT PRIMARY KEY, key TEXT NOT NULL, parts TEXT NOT NULL, outputs TEXT NOT NULL,
    status TEXT NOT NULL, finished_at REAL, duration REAL, attempts INTEGER, cost_usd REAL,
    tokens_in INTEGER, tokens_out INTEGER, run_id INTEGER, error TEXT, memo TEXT, agentfile TEXT, config TEXT
);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, inode INTEGER NOT NULL,
    hash TEXT NOT NULL, recorded_ns INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY AUTOINCREMENT, started_at REAL, ended_at REAL, pid INTEGER, counts TEXT,
    summed_by INTEGER
);
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT, run_id INTEGER, task_id TEXT, state TEXT, started_at REAL,
    ended_at REAL, attempts INTEGER, cost_usd REAL, tokens_in INTEGER, tokens_out INTEGER,
    error_type TEXT, message TEXT, extra TEXT
);
CREATE INDEX IF NOT EXISTS attempts_task ON attempts (task_id);
CREATE INDEX IF NOT EXISTS attempts_run ON attempts (run_id);
CREATE TABLE IF NOT EXISTS running (
    task_id TEXT PRIMARY KEY, run_id INTEGER, pid INTEGER, pgid INTEGER, owner_pid INTEGER, started_at REAL,
    start_ticks INTEGER, boot_id TEXT
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, time REAL, run_id INTEGER, task_id TEXT, error_type TEXT,
    message TEXT, action TEXT
);
CREATE TABLE IF NOT EXISTS cache (
    key TEXT PRIMARY KEY, outputs TEXT NOT NULL, size INTEGER NOT NULL, created_at REAL, last_used REAL,
    modes TEXT, made TEXT
);
CREATE TABLE IF NOT EXISTS commits (task_id TEXT PRIMARY KEY, run_id INTEGER);
CREATE TABLE IF NOT EXISTS blobs (digest TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS uncached (task_id TEXT PRIMARY KEY, key TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS strays (
    path TEXT PRIMARY KEY, task_id TEXT NOT NULL, hash TEXT NOT NULL, agentfile TEXT, config TEXT, key TEXT,
    made TEXT
);
CREATE TABLE IF NOT EXISTS found_spend (
    id INTEGER PRIMARY KEY AUTOINCREMENT, run_id INTEGER, task_id TEXT, paid_at REAL, paid_by TEXT,
    cost_usd REAL, tokens_in INTEGER, tokens_out INTEGER
);
CREATE INDEX IF NOT EXISTS found_spend_task ON found_spend (task_id);
"""
# the Agentfiles that wrote the task records (a few names, read without reading the rows: `Store.owns`); apart
# from the DDL, which an older database runs before it has the column
OWNER_INDEX = "tasks_agentfile"
OWNER_DDL = f"CREATE INDEX IF NOT EXISTS {OWNER_INDEX} ON tasks (agentfile)"
# every table of format 1, as the DDL names them: one missing (added after release, like `commits` and
# `blobs`, or dropped by hand) is created, empty, on open; the rest of the state, the cache above all, is kept
TABLES = tuple(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", DDL))
# columns added to format 1 tables after release: added on open when missing (no version bump)
ADDED_COLUMNS = {
    "running": (("start_ticks", "INTEGER"), ("boot_id", "TEXT")),
    "cache": (("modes", "TEXT"), ("made", "TEXT")),
    "tasks": (("agentfile", "TEXT"), ("config", "TEXT")),
    "strays": (("agentfile", "TEXT"), ("config", "TEXT"), ("key", "TEXT"), ("made", "TEXT")),
    "runs": (("summed_by", "INTEGER"),),
}
# what a column added on open is first set to, where NULL would mean something it never did: builds killed
# before the column existed are taken as reported (an older agentmake reported the results of theirs it put in
# place: reporting their spend again could count it twice), but for one whose commits are still pending with
# no build ended after it: none took it over (a take-over finishes the commits; a build that ends took over),
# so nothing of it was reported, and the next build reports it
ADDED_VALUES = {
    ("runs", "summed_by"): (
        "UPDATE runs SET summed_by = 0 WHERE ended_at IS NULL AND NOT ("
        " run_id IN (SELECT run_id FROM commits WHERE run_id IS NOT NULL)"
        " AND run_id > COALESCE((SELECT MAX(run_id) FROM runs WHERE ended_at IS NOT NULL), 0))"
    )
}


def connect(path: Path, *, may_reset: bool = True) -> sqlite3.Connection:
    """Open `path` at SCHEMA_VERSION. One of an older format is moved aside (saying so) and a new database
    started (`may_reset`); when not allowed to touch the file, an empty in-memory one is used. Refused
    (`StateError`, left as it is): a file that is not a database or is damaged (`damaged_advice` says what to
    do), a database of a newer format (a newer agentmake wrote it: starting afresh would pay for every result
    again), and any other failure to open it (a full disk, an I/O error, a read-only directory, a lock),
    which says nothing of its content. Without `may_reset` (a reader) a directory this user cannot write is
    no failure: the file is read as it is (`_open_to_read`)."""
    try:
        conn = _open(path) if may_reset else _open_to_read(path)
        with _closed_on_error(conn):
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version == SCHEMA_VERSION:
                _add_missing(conn)
                return conn
            has_tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
            if version == 0 and not has_tables:
                if not may_reset:  # (a build is creating it now: a reader writes nothing, sees nothing yet)
                    conn.close()
                    return empty()
                _create(conn)
                return conn
        conn.close()
        if version > SCHEMA_VERSION:
            raise StateError(
                f"{path} was written by a newer agentmake (state format {version}; this one reads "
                f"{SCHEMA_VERSION}): upgrade agentmake, or move the file aside to start afresh "
                "(every task reruns)"
            )
        reason = f"v{version}"
    except sqlite3.DatabaseError as exc:
        raise StateError(with_advice(f"cannot open {path}: {exc}", exc, path.parent)) from None
    what = f"of an old format ({reason})"
    if not may_reset:
        sys.stderr.write(
            f"agentmake: warning: {path} is {what}: nothing recorded is shown; the next build moves it aside"
            " and starts afresh\n"
        )
        return empty()
    aside = _move_aside(path, reason)
    sys.stderr.write(f"agentmake: warning: {path} was {what}: moved to {aside.name}; starting afresh\n")
    conn = _open(path)
    _create(conn)
    return conn


def empty() -> sqlite3.Connection:
    """An empty state database in memory: what a reader sees where nothing was recorded (or nothing can be
    read), written nowhere."""
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    _create(conn)
    return conn


class StateError(UsageError):
    """The state database cannot be used as it is (see `connect`)."""


def with_advice(message: str, exc: BaseException, state_dir: Path | None) -> str:
    """`message` (a failure of the state database) and what to do about it, judged from SQLite's error.
    `state_dir`: the `.agentmake` directory, if known (to name the files that are not writable)."""
    name = getattr(exc, "sqlite_errorname", None) or ""
    text = str(exc).lower()
    where = state_dir if state_dir is not None else Path(".agentmake")
    if name in ("SQLITE_CORRUPT", "SQLITE_NOTADB") or any(
        w in text for w in ("malformed", "not a database", "no such ")
    ):
        todo = damaged_advice(where / "state.db")
    elif name.startswith("SQLITE_READONLY") or "readonly" in text:
        files = [where, *(where / f"state.db{suffix}" for suffix in ("", "-wal", "-shm"))]
        stuck = [str(f) for f in files if state_dir is not None and f.exists() and not os.access(f, os.W_OK)]
        named = ", ".join(stuck) if stuck else f"{where} and the state.db files in it"
        todo = f"not writable: make {named} writable by this user"
    elif name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text:
        todo = "another program holds a lock on it (not an agentmake build): run again once it is done"
    elif name == "SQLITE_FULL" or "disk is full" in text:
        todo = "free some disk space and run again"
    else:
        return message
    return f"{message}: {todo}"


def damaged_advice(db: Path) -> str:
    """What to do about a damaged state database `db`: agentmake never starts afresh by itself (that would
    pay again for the results cached only in it). Moved aside, it costs no answer still in the logs nor any
    output in place; a copy from a backup put back instead loses nothing."""
    return (
        "the file is damaged, and agentmake does not start afresh by itself (results cached only in it would"
        f" be paid for again): put back a copy from a backup, or move it aside (mv {db} {db}.damaged; its"
        " -wal and -shm files too, if any) to start afresh: the outputs in place and the finished answers in"
        " the logs beside it are still used, not paid for again"
    )


def check_intact(conn: sqlite3.Connection, path: Path) -> None:
    """Raise `StateError` (with `damaged_advice`) if the database `conn` opened at `path` is damaged anywhere,
    not only where `connect` looks (its header and schema): `PRAGMA quick_check` reads every page (about
    0.1 s for 200 MB), so it is for a command about to destroy what the database alone may not replace
    (`agentmake clean`), not for every open."""
    try:
        problems = [row[0] for row in conn.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as exc:
        damage = ("SQLITE_CORRUPT", "SQLITE_NOTADB")
        if "malformed" not in str(exc) and getattr(exc, "sqlite_errorname", "") not in damage:
            raise
        problems = [str(exc)]
    if problems != ["ok"]:
        raise StateError(f"cannot use {path}: {problems[0]}: {damaged_advice(path)}")


def _open_to_read(path: Path) -> sqlite3.Connection:
    """`_open`, for a command that only reads: where this user cannot make the files SQLite reads a WAL
    database through (another user's project, a read-only mount), the file is read as it is
    (`agentmake.store.readonly`), saying so in one line."""
    try:
        return _open(path)
    except sqlite3.OperationalError as exc:
        from agentmake.store.readonly import cannot_share, open_immutable

        if not cannot_share(exc):
            raise
        conn, how = open_immutable(path, path.parent / "lock", exc, lambda: _open(path))
    if how == "locked":
        caveat = "a build of this project started meanwhile waits for this command to end"
    elif how == "unlocked":
        caveat = "without a lock: a build running meanwhile may make what is shown wrong"
    else:
        return conn
    note = f"{path.parent} is not writable by this user: its state is read as it is ({caveat})"
    sys.stderr.write(f"agentmake: note: {note}\n")
    return conn


def _open(path: Path) -> sqlite3.Connection:
    try:
        new = os.stat(path).st_size == 0
    except FileNotFoundError:
        new = True
    # (a write finding the lock taken by another program waits for it, saying so: `agentmake.store.busy`)
    conn = connect_waiting(str(path), check_same_thread=False, isolation_level=None)
    with _closed_on_error(conn):
        if new:  # possible only before the first table, and before journal_mode writes the header; on an
            # existing database even a no-op setting writes the file (and would spoil the build stamp)
            conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        # a cheap structural check: a damaged header fails here rather than mid-build
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    return conn


@contextlib.contextmanager
def _closed_on_error(conn: sqlite3.Connection) -> Iterator[None]:
    """Close `conn` if the block raises (a damaged file is moved aside: no handle may stay open on it)."""
    try:
        yield
    except BaseException:
        conn.close()
        raise


def _add_missing(conn: sqlite3.Connection) -> None:
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'index')")}
    if any(name not in names for name in TABLES):
        with contextlib.suppress(sqlite3.OperationalError):  # read-only or busy: readers cope without it
            conn.executescript(DDL)
    for table, columns in ADDED_COLUMNS.items():
        present = column_names(conn, table)
        for name, kind in columns:
            if present and name not in present:
                with contextlib.suppress(sqlite3.OperationalError):  # read-only or busy: see column_names
                    _add_column(conn, table, name, kind)
    if OWNER_INDEX not in names:  # (after its column, which an older database gets just above)
        with contextlib.suppress(sqlite3.OperationalError):
            conn.execute(OWNER_DDL)


def _add_column(conn: sqlite3.Connection, table: str, name: str, kind: str) -> None:
    """Add the column, with its first values (`ADDED_VALUES`), in one transaction."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
        if (table, name) in ADDED_VALUES:
            conn.execute(ADDED_VALUES[table, name])
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def column_names(conn: sqlite3.Connection, table: str) -> set[str]:
    """The columns `table` has (empty if there is no such table). A database opened read-only may lack the
    `ADDED_COLUMNS`: callers check before using them."""
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def _create(conn: sqlite3.Connection) -> None:
    """Every table and the format version, in one transaction: a reader opening the database meanwhile (a
    `status` while the first build starts) sees all of it or nothing, never tables without the version (which
    it took for a database of an old format). (Not `executescript`, which commits each statement.)"""
    conn.execute("BEGIN IMMEDIATE")
    try:
        for statement in DDL.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute(OWNER_DDL)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise


def _move_aside(path: Path, reason: str) -> Path:
    """Rename the database (and its WAL files) to ``state.db.<reason>-<time>``; returns the new name."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for suffix in ("", "-wal", "-shm"):
        old = Path(str(path) + suffix)
        if old.exists():
            os.replace(old, Path(f"{path}.{reason}-{stamp}{suffix}"))
    return Path(f"{path}.{reason}-{stamp}")
