"""Recording a task's result: its record, history row and cache entry in one transaction
(`record_success`), the results recorded before their outputs were renamed into place (`commits`) or
without a cache entry (`uncached`), and the constructive traces (`cache_*`: the `BlobCache` behind the
store). A base of `db.Store`, which owns the connection, the lock and the transactions.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentmake.confine import plainly_relative
from agentmake.store.busy import BusyWait, StateBusy
from agentmake.store.cache import BlobCache
from agentmake.store.records import AttemptRecord, TaskRecord, made_figures, runs_extra, says_made

SINGLE_LOOKUPS = 64  # lookups that query the cache before its keys are read, unless it has no more entries
KNOWN_KEYS = 10_000  # a cache with more entries is asked about each key (`Results._may_hold`)
_UNKNOWN: set[str] = set()  # (`_cache_keys` of a cache with more: never added to)


class Results:
    """What a task's success writes, and the cache of results already paid for."""

    root: Path
    cache: BlobCache
    busy: BusyWait
    uncached: dict[str, str]
    _conn: sqlite3.Connection
    _lock: threading.RLock
    _placed: list[str]
    _written: list[TaskRecord]
    _any_uncached: bool | None
    _cache_keys: set[str] | None
    _cache_asks: int

    if TYPE_CHECKING:  # provided by `db.Store` and its other bases

        def _tx(self) -> AbstractContextManager[None]: ...
        @property
        def locked(self) -> bool: ...
        def task_record(self, task_id: str) -> TaskRecord | None: ...
        def made_before_figures(self, key: str) -> dict[str, Any] | None: ...
        def _write_task(self, r: TaskRecord) -> str: ...
        def _write_attempt(self, a: AttemptRecord) -> None: ...
        def log_event(
            self, run_id: int, task_id: str, error_type: str, message: str, action: str
        ) -> None: ...

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
                    pending = pending or not _is_target(src, self.root, path)
                    mode = self.cache.hashed_mode(src)
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
        if record.paid_earlier:  # (a salvaged answer's spend this build reported: `TaskRecord.paid_earlier`)
            attempt.extra["paid_earlier"] = True
        with self._tx():
            self._write_placed()
            outputs_json = self._write_task(record)
            self._write_attempt(attempt)
            if cached:
                self._filed(record.key)
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

    # constructive traces
    def cache_lookup(self, key: str) -> dict[str, str] | None:
        """Output path -> blob hash of a result seen before under `key`, if all its blobs are present."""
        if not self._may_hold(key):
            return None
        return self.cache.lookup(key)

    def _may_hold(self, key: str) -> bool:
        """Whether the cache may have an entry for `key`: False only where a store holding the project lock
        (no other writer) knows every entry's key, read once: at the first lookup if there are at most
        `SINGLE_LOOKUPS` (as on a first build: no query per task), else after that many lookups, if there
        are at most `KNOWN_KEYS`; then added to as this process files an entry (`_filed`). Entries removed
        since only cost a query that finds nothing."""
        with self._lock:
            if not self.locked:  # (another program may file entries: only a query knows)
                return True
            keys = self._cache_keys
            if keys is None:
                self._cache_asks += 1
                if self._cache_asks in (1, SINGLE_LOOKUPS + 1):
                    limit = SINGLE_LOOKUPS if self._cache_asks == 1 else KNOWN_KEYS
                    rows = self._conn.execute("SELECT key FROM cache LIMIT ?", (limit + 1,)).fetchall()
                    if len(rows) <= limit:
                        keys = self._cache_keys = {k for (k,) in rows}
                    elif self._cache_asks > 1:  # (too many to keep: asked about each key)
                        keys = self._cache_keys = _UNKNOWN
                if keys is None:
                    return True
            return keys is _UNKNOWN or key in keys

    def _filed(self, key: str) -> None:
        """An entry for `key` is written (in the open transaction: known even if it rolls back, which costs
        a lookup a query, never a miss)."""
        if self._cache_keys is not None and self._cache_keys is not _UNKNOWN:
            self._cache_keys.add(key)

    def cache_modes(self, key: str) -> dict[str, int]:
        """The modes of the executable outputs of the result cached under `key` (path -> mode)."""
        return self.cache.modes(key)

    def cache_alias(self, old_key: str, key: str) -> None:
        """File the cache entry of `old_key` under `key` too (the same result under a key spelt otherwise, as
        by an older key format, `agentmake.plan.keys_v1`); nothing if it has none, or `key` has one."""
        with self._tx():
            self._alias(old_key, key)

    def cache_move(self, old_key: str, key: str) -> None:
        """`cache_alias`, then the entry of `old_key` removed, unless a record holds that key: a key an older
        agentmake made from the digest of an endpoint's whole value, password and all
        (`plan.upgrade.endpoint_key_before`), is not kept; the freed bytes are zeroed (no old key stays in
        the database's free pages)."""
        with self._tx():
            self._alias(old_key, key)
            self._conn.execute("PRAGMA secure_delete = ON")
            try:
                self._drop_unnamed(old_key)
            finally:
                self._conn.execute("PRAGMA secure_delete = OFF")

    def _drop_unnamed(self, key: str) -> None:
        """Delete the cache entry of `key` unless a task record holds that key."""
        self._conn.execute(
            "DELETE FROM cache WHERE key = ? AND NOT EXISTS (SELECT 1 FROM tasks WHERE key = ?)", (key, key)
        )

    def _alias(self, old_key: str, key: str) -> None:
        self._filed(key)
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

    def cache_made_at(self, path: str, digest: str) -> bool:
        """Whether the cache holds content `digest` as output `path` of a result (under any key): what
        agentmake made there, not merely the same bytes as some output (an empty file)."""
        return self.cache.made_at(path, digest)

    def cache_read(self, digest: str) -> bytes | None:
        """A cached output's content by its hash (None if the cache does not hold it)."""
        return self.cache.read(digest)

    def cache_restore(self, key: str, root: Path, moved: Mapping[str, str] | None = None) -> dict[str, str]:
        """Write the cached outputs of `key` under `root` atomically; returns path -> hash. `moved`: cached
        path -> the path it is written at instead (`Decision.moved`: an output renamed under a key that
        holds no path). A path escaping `root` raises UsageError; an absent or incomplete entry raises
        KeyError."""
        return self.cache.restore(key, Path(root), moved)

    def cache_made(self, key: str) -> dict[str, Any] | None:
        """What making the result cached under `key` took and cost (`made_figures` of the record that cached
        it), None if not known: what a restore of it keeps in its record, as `status` then shows. With no
        entry left (trimmed, the cache emptied), as the record that listed its outputs said before a newer
        one superseded it (`made_before_figures`: a build under other variables, switched back): what a
        build that takes them as built keeps (`Decision.adopt`), not 0.0s and nothing. Figures that say
        nothing was made (0 attempts, 0.0s, no cost or tokens: a result `agentmake -t` recorded) are none:
        taken as built again, it is still said touched, not made by an earlier build, nor restored."""
        made = self.cache.made(key)
        made = made if made is not None else self.made_before_figures(key)
        return made if made is not None and says_made(made) else None

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
            mode = self.cache.hashed_mode(sources[path])
            if mode & 0o111:  # (an executable output is restored executable, as `record_success` keeps it)
                modes[path] = mode
        with self._tx():  # (`add` copies a large blob the read above could not write, raising why)
            self._filed(key)
            self.cache.add(key, outputs, sources, modes=modes)
        return True

    def cache_clear(self) -> None:
        self.cache.clear()

    def cache_results(self) -> int:
        """How many results the cache holds (`clean --cache` says it drops them)."""
        return self.cache.results()

    def cache_trim(self, limit_bytes: int) -> int:
        """Keep the most recently used entries within `limit_bytes`; returns the blob bytes deleted (none once
        the store gave up waiting for the database: `busy`)."""
        if self.busy.gave_up is not None:
            return 0
        try:
            return self.cache.trim(limit_bytes)
        except StateBusy:
            return 0


def _is_target(src: Path | str, root: Path, path: str) -> bool:
    """`Path(src) == root / path` (the file given for output `path` is the output itself, not a staged copy),
    told by the strings where they can tell it (a `Path`'s string is its normal form, and a normal `path`
    joins `root`'s as it is): no Path is made per output."""
    base = os.fspath(root)
    if isinstance(src, Path) and isinstance(root, Path) and base[:1] == "/" and plainly_relative(path):
        return os.fspath(src) == (f"{base}{path}" if base == "/" else f"{base}/{path}")
    return Path(src) == root / path
