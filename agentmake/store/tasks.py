"""The store's task records (`tasks`): each task's key, parts, outputs and status, read once and then kept
in memory, the rebuilder's memos, and the records written as a task ends or fails. A base of `db.Store`,
which owns the connection, the lock and the transactions.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sqlite3
import threading
import time
from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from agentmake.store.busy import optional
from agentmake.store.records import RawJSON, TaskRecord
from agentmake.store.rowids import RowIds

_TASK_COLS = (
    "task_id, key, parts, outputs, status, finished_at, duration, attempts, cost_usd, tokens_in, tokens_out, "
    "run_id, error, memo"
)
_INSERT_TASK = f"INSERT OR REPLACE INTO tasks ({_TASK_COLS}) VALUES ({', '.join('?' * 14)})"
# (with the Agentfile that wrote the row, where the table has the column: `Store.owns`; and the configuration
# it was built under, where it has that one too: `Store.this_config`)
_INSERT_OWNED = f"INSERT OR REPLACE INTO tasks ({_TASK_COLS}, agentfile) VALUES ({', '.join('?' * 15)})"
_INSERT_CONFIGURED = (
    f"INSERT OR REPLACE INTO tasks ({_TASK_COLS}, agentfile, config) VALUES ({', '.join('?' * 16)})"
)
# ``json.dumps(obj, sort_keys=True)``: one encoder kept, not one built per call (two a recorded task)
_SORTED_JSON = json.JSONEncoder(sort_keys=True).encode
_SINGLE_READS = 64  # task records read one query each before all are read at once
Brief = tuple[str, str, str, "str | dict[str, str]"]  # key, status, memo, outputs (JSON text or decoded)


class Tasks:
    """The task records of the Agentfile the store was opened for (`RowIds`: a task of another of the same
    name has its own row)."""

    _conn: sqlite3.Connection
    _lock: threading.RLock
    _rows: RowIds
    agentfile: str | None
    config: str | None
    _tasks: dict[str, TaskRecord] | None
    _known: dict[str, TaskRecord | None]
    _briefs: dict[str, Brief] | None
    _memos: dict[str, str]
    _done: dict[str, str]
    _rekeyed: dict[str, tuple[str, TaskRecord]]
    _secret_keys: set[str]
    secret_rekeys: dict[str, tuple[str, str]]
    _written: list[TaskRecord]

    if TYPE_CHECKING:  # provided by `db.Store` and its other bases

        def _tx(self) -> AbstractContextManager[None]: ...
        def _has_owners(self) -> bool: ...
        def _has_configs(self) -> bool: ...
        def _other_owners(self) -> list[str]: ...
        def _note_strays(self, task_id: str, outputs: dict[str, str], outputs_json: str) -> None: ...
        def _alias(self, old_key: str, key: str) -> None: ...
        def _drop_unnamed(self, key: str) -> None: ...

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
        """The tasks with a record that this Agentfile's builds wrote (`owns`) under this configuration
        (`this_config`): of these alone may it say that they are no longer in the graph."""
        others = self._other_owners()
        configured = self.config is not None and self._has_configs()
        if not others and not configured:  # (one Agentfile in the directory, not told its configuration)
            return self.task_ids()
        where: list[str] = []
        args: list[str] = []
        if others:
            where.append(f"(agentfile IS NULL OR agentfile NOT IN ({', '.join('?' * len(others))}))")
            args += others
        if configured:
            where.append("(config IS NULL OR config = ?)")
            args.append(str(self.config))
        with self._lock:
            sql = f"SELECT group_concat(task_id, char(0)) FROM tasks WHERE {' AND '.join(where)}"
            joined = self._conn.execute(sql, args).fetchone()[0]
        return self._task_ids(joined.split("\0") if joined else [])

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

    def _row_absent(self, task_id: str) -> bool:
        """Whether `task_id` is known to have no row of this Agentfile's (`RowIds.row`): read as missing
        (every record, or its own query) and not written since, in the open transaction either (the caller
        holds the lock: no other writer)."""
        if any(r.task_id == task_id for r in self._written):
            return False
        if self._tasks is not None:
            return task_id not in self._tasks
        return task_id in self._known and self._known[task_id] is None

    def _put(self, rec: TaskRecord) -> None:
        """Remember a record this process just wrote (the lock guarantees no other writer)."""
        if self._tasks is not None:
            self._tasks[rec.task_id] = rec
        else:
            self._known[rec.task_id] = rec

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
        written as `note_memo`'s memos are (only if the row still holds `old_key` then). When the record's
        endpoint digests change (`plan.upgrade._endpoint_upgraded`: the old key held the digest of a value
        with its secrets), the old key is not kept: its cache entry moves rather than being copied, unless
        another record holds that key, and the rewrite leaves no old bytes in the database's free pages; once
        written, such a rekey is listed in `secret_rekeys` (task id -> (old key, key)), for the build to
        rewrite what else names the old key (an attempt's key file, `runners.salvage.rekey_answers`)."""
        with self._lock:
            rec = self.task_record(task_id)
            if rec is not None and rec.key == old_key:
                if _endpoint(rec.parts) != _endpoint(parts):
                    self._secret_keys.add(old_key)
                rec.key, rec.parts, rec.status, rec.error = key, parts, "done", None
                rec.memo = str(parts.get("_memo", ""))
                self._rekeyed[task_id] = (old_key, rec)

    def _write_memos(self) -> None:
        if self._rekeyed:
            rows = [
                (r.key, json.dumps(r.parts, sort_keys=True), r.memo, self._rows.row(t), old)
                for t, (old, r) in self._rekeyed.items()
            ]
            secret = bool(self._secret_keys)
            if secret:  # (freed cells are zeroed: no old key or record bytes stay in free pages)
                self._conn.execute("PRAGMA secure_delete = ON")
            self._conn.executemany(
                "UPDATE tasks SET key = ?, parts = ?, memo = ?, status = 'done', error = NULL"
                " WHERE task_id = ? AND key = ?",
                rows,
            )
            for old, r in self._rekeyed.values():
                self._alias(old, r.key)
                if old in self._secret_keys:
                    self._drop_unnamed(old)
            self.secret_rekeys.update(
                (t, (old, r.key)) for t, (old, r) in self._rekeyed.items() if old in self._secret_keys
            )
            if secret:
                self._conn.execute("PRAGMA secure_delete = OFF")
            self._rekeyed.clear()
            self._secret_keys.clear()
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
        outputs = _SORTED_JSON(r.outputs)
        self._note_strays(r.task_id, r.outputs, outputs)
        row = (
            self._rows.row(r.task_id), r.key, _SORTED_JSON(r.parts), outputs,
            r.status, r.finished_at, r.duration, r.attempts, r.cost_usd, r.tokens_in, r.tokens_out,
            r.run_id, r.error, r.memo,
        )  # fmt: skip
        if self._has_owners() and self._has_configs():
            self._conn.execute(_INSERT_CONFIGURED, (*row, self.agentfile, self.config))
        elif self._has_owners():
            self._conn.execute(_INSERT_OWNED, (*row, self.agentfile))
        else:
            self._conn.execute(_INSERT_TASK, row)
        return outputs


def _task(r: tuple[Any, ...], task_id: str) -> TaskRecord:
    """Row `r` of `tasks` as the record of `task_id` (its row id may be an Agentfile's own: `RowIds`)."""
    # parts and outputs are decoded on first access: loading 10,000 records stays cheap
    return TaskRecord(task_id, r[1], RawJSON(r[2]), RawJSON(r[3]), *r[4:])  # type: ignore[arg-type]


def _endpoint(parts: dict[str, Any]) -> object:
    """The endpoint digests a record's parts key (`plan.keys.runner_parts`), None for none."""
    runner = parts.get("runner")
    return runner.get("endpoint") if isinstance(runner, dict) else None
