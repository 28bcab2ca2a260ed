"""The store's journal of what happened: builds (`runs`), the history of attempts, the processes of running
tasks (so a later run can end an orphan, never two live copies of one task), and the error log. A base of
`db.Store`, which owns the connection, the lock and the transactions.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import threading
import time
from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from agentmake.store.busy import BusyWait, StateBusy, optional
from agentmake.store.earlyrun import BEGIN_RUN, EarlyRun
from agentmake.store.identity import boot_id, start_ticks
from agentmake.store.records import AttemptRecord, attempt_from_row
from agentmake.store.schema import column_names

_RUNNING_COLS = "task_id, run_id, pid, pgid, owner_pid, started_at, start_ticks, boot_id"
_ATTEMPT_COLS = (
    "run_id, task_id, state, started_at, ended_at, attempts, cost_usd, tokens_in, tokens_out, error_type, "
    "message, extra"
)
# What the journal keeps, so that it stops growing with every build (at 1,000 tasks x 500 builds the history
# held 503k rows, 80 MB, and reading the means of durations took 1.1 s a build). Of each task: its last
# HISTORY_KEPT history rows (the estimate of its duration: `mean_durations`), every row of its latest run and
# of the run its `tasks` row names (status shows a failure's attempts), and its latest row that put a result
# in place (a report's row for a task the run did not run: `latest_attempts`). Of the error log, the events
# of the last RUNS_KEPT builds (a report shows those of the run it summarises); of `runs`, the last RUNS_KEPT.
# Pruned as a build ends (`end_run`), for the tasks it recorded history of only: a no-op build deletes one
# `runs` row, and an older, unpruned database is pruned a task at a time as its tasks run again.
HISTORY_KEPT = 10
RUNS_KEPT = 20
_PLACED = "('done', 'cached', 'up-to-date')"
_PRUNE_ATTEMPTS = (
    "DELETE FROM attempts WHERE task_id = ?1"
    f" AND id < (SELECT MIN(id) FROM (SELECT id FROM attempts WHERE task_id = ?1 ORDER BY id DESC LIMIT"
    f" {HISTORY_KEPT}))"
    " AND run_id IS NOT (SELECT run_id FROM tasks WHERE task_id = ?1)"
    " AND run_id IS NOT (SELECT MAX(run_id) FROM attempts WHERE task_id = ?1)"
    f" AND id IS NOT (SELECT id FROM attempts WHERE task_id = ?1 AND state IN {_PLACED}"
    "  ORDER BY run_id DESC, ended_at DESC, id DESC LIMIT 1)"  # (as `latest_attempts` ranks them)
)
# the builds that never ended (killed) and whose spend no build reported, but for build ?1 (`spend_unsummed`)
_UNSUMMED = "SELECT run_id FROM runs WHERE ended_at IS NULL AND summed_by IS NULL AND run_id IS NOT ?1"
# a history row that spent something of its build's (`spend_unsummed`, `spend_said_by`)
_SPENT = "state != 'up-to-date' AND (cost_usd IS NOT NULL OR tokens_in IS NOT NULL OR tokens_out IS NOT NULL)"
# ... and not a restore, nor an answer salvaged that an earlier build reported (`_spent_by`'s filter, in SQL)
_PAID = "(state != 'cached' OR json_extract(extra, '$.paid_earlier'))"
# the builds after ?1 and before ?2 that ended (`spend_between`), and those killed that `clean` said
_ENDED = "SELECT run_id FROM runs WHERE run_id > ?1 AND run_id < ?2 AND ended_at IS NOT NULL"
_CLEANED = "k.run_id >= ?1 AND k.run_id < ?2 AND k.ended_at IS NULL AND k.summed_by = 0"
_FOUND_COLS = "run_id, task_id, paid_at, paid_by, cost_usd, tokens_in, tokens_out"
FOUND = "found"  # the state of the history rows `found_in` and `spend_unsummed` make of `found_spend` rows
# (when the attempt that paid started, its log stem, what it cost) of spend found in logs (`record_found`)
Found = tuple[float, str, float | None, int | None, int | None]
_INSERT_ATTEMPT = f"INSERT INTO attempts ({_ATTEMPT_COLS}) VALUES ({', '.join('?' * 12)})"


def _between_sql(found: bool) -> str:
    """`Journal.spend_between`'s query (?1 after, ?2 before, ?3 the oldest run kept, ?4 the task ids, a JSON
    list): the history rows of those tasks, ordered by (part, the build whose line said it, kind, id): the own
    rows of the ended builds (and of builds `runs` no longer keeps: whether one ended or who said its spend
    is not known, so its rows the history still keeps are counted as its own line's), then what each ended
    build said killed builds paid, their history rows then what was found in logs for them or by it
    (`spend_said_by`), then what `clean` said (`summed_by` 0) of a build killed in between."""
    cols = ", ".join(f"a.{c}" for c in _ATTEMPT_COLS.split(", "))
    found_cols = "f.run_id, f.task_id, '" + FOUND + "', f.paid_at, f.paid_at, 1, f.cost_usd, f.tokens_in,"
    found_cols += " f.tokens_out, NULL, f.paid_by, '{}'"
    spent = "a.state != 'up-to-date' AND (a.cost_usd IS NOT NULL OR a.tokens_in IS NOT NULL"
    spent += " OR a.tokens_out IS NOT NULL)"  # (`_SPENT`, of `a`)
    spent += " AND (a.state != 'cached' OR json_extract(a.extra, '$.paid_earlier'))"  # (`_PAID`, of `a`)
    # (`+`: looked up in the list, not by the task index, which would read every row of each task)
    mine = "+{}.task_id IN (SELECT value FROM json_each(?4))"
    parts = [
        f"SELECT 0, 0, 0, a.id, {cols} FROM attempts a WHERE a.run_id > ?1 AND a.run_id < ?2 AND {spent}"
        f" AND (a.run_id IN ({_ENDED}) OR a.run_id < ?3) AND {mine.format('a')}",
        f"SELECT 1, (SELECT summed_by FROM runs k WHERE k.run_id = a.run_id), 0, a.id, {cols} FROM attempts a"
        f" WHERE a.run_id IN (SELECT run_id FROM runs WHERE summed_by IN ({_ENDED})) AND {spent}"
        f" AND {mine.format('a')}",
        f"SELECT 2, 0, 0, a.id, {cols} FROM attempts a WHERE a.run_id IN (SELECT k.run_id FROM runs k"
        f" WHERE {_CLEANED}) AND {spent} AND {mine.format('a')}",
    ]
    if found:
        parts += [
            f"SELECT 1, COALESCE(k.summed_by, k.run_id), 1, f.id, {found_cols} FROM found_spend f JOIN runs k"
            f" ON k.run_id = f.run_id WHERE (k.summed_by IN ({_ENDED})"
            f" OR (k.summed_by IS NULL AND k.run_id IN ({_ENDED}))) AND {mine.format('f')}",
            f"SELECT 2, 0, 1, f.id, {found_cols} FROM found_spend f JOIN runs k ON k.run_id = f.run_id"
            f" WHERE {_CLEANED} AND {mine.format('f')}",
        ]
    # (the history rows alone go back to Python, ordered by the four columns before them: 86k rows of a
    # report over 10k tasks, four columns fewer to read out of SQLite each)
    parts[0] = parts[0].replace("SELECT 0, 0, 0, a.id, ", "SELECT 0 AS o1, 0 AS o2, 0 AS o3, a.id AS o4, ", 1)
    names = ", ".join(_ATTEMPT_COLS.split(", "))
    return f"SELECT {names} FROM ({' UNION ALL '.join(parts)}) ORDER BY o1, o2, o3, o4"


class Journal:
    """Its writes are `optional`: skipped once the store gave up waiting for the database (`store.busy`),
    except `begin_run`."""

    _conn: sqlite3.Connection
    busy: BusyWait
    _lock: threading.RLock
    _identity_cols: bool | None
    _attempted: set[str]  # tasks this process wrote history rows of since the last prune (`_prune`)
    _early: EarlyRun | None  # the next run, begun on a thread (`begin_run_early`)

    # provided by `db.Store` and its other bases (declared for the type checker only: a stub here would hide
    # the method of a base that comes after this one in `Store`'s bases)
    if TYPE_CHECKING:

        def _tx(self) -> AbstractContextManager[None]: ...
        def _write_placed(self) -> None: ...
        def _write_memos(self) -> None: ...
        def _committed(self) -> None: ...
        @property
        def locked(self) -> bool: ...

    @optional
    def record_attempt(self, attempt: AttemptRecord) -> None:
        with self._tx():
            self._write_attempt(attempt)

    def _write_attempt(self, a: AttemptRecord) -> None:
        self._attempted.add(a.task_id)
        self._conn.execute(
            _INSERT_ATTEMPT,
            (a.run_id, a.task_id, a.state, a.started_at, a.ended_at, a.attempts, a.cost_usd, a.tokens_in,
             a.tokens_out, a.error_type, a.message, json.dumps(a.extra) if a.extra else "{}"),
        )  # fmt: skip

    def mean_durations(self) -> dict[str, float]:
        """Mean wall time of each task's successful attempts (restores excluded; a row that spans retries
        keeps its successful attempt's time in `extra`)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT task_id, AVG(CASE WHEN extra = '{}' THEN ended_at - started_at"
                " ELSE COALESCE(json_extract(extra, '$.duration'), ended_at - started_at) END)"
                " FROM attempts WHERE state = 'done' GROUP BY task_id"
            ).fetchall()
        return {task_id: float(mean) for task_id, mean in rows if mean is not None}

    # runs
    def begin_run(self) -> int:
        """A new run's id: its row begun by `begin_run_early`'s thread if that could, else now. (Not to
        be called holding the store's lock, which that thread takes.)"""
        early, self._early = self._early, None
        if early is not None and (run_id := early.take()) is not None:
            return run_id
        with self._tx():
            cur = self._conn.execute(BEGIN_RUN, (time.time(), os.getpid()))
            return int(cur.lastrowid or 0)

    def begin_run_early(self) -> None:
        """Begin the next build's run on a thread, while the build starts (`agentmake.store.earlyrun`); a
        writer's only."""
        if self._early is None and self.locked:
            self._early = EarlyRun(self._conn, self._lock, self._committed)

    def _forget_early_run(self) -> None:
        """Delete the row of a run begun early that no build took (`close`, the lock still held)."""
        early, self._early = self._early, None
        if early is not None and (run_id := early.take()) is not None:
            self._conn.execute("DELETE FROM runs WHERE run_id = ?", (run_id,))

    def end_run(
        self, run_id: int, counts: dict[str, int], summed: Iterable[int] = (), said: bool = True
    ) -> None:
        """The build ended, its summary line about to be printed. `said` (the line reports no spend): the
        run is ended, and `summed`, the killed builds whose spend that line reports (`spend_unsummed`),
        are marked reported, in the same transaction. Else (`said` False) only what it counted is written
        (`counts`), and the run is ended with them marked once the line is out (`line_said`): a kill -9
        between the two leaves the run and those builds to the next build, which reports their spend
        again and says so (`ended_unsaid`): at least once, never on no line. Tried even once the store gave
        up waiting for another program's lock (`store.busy`), as `close` tries its last writes: the line is
        printed all the same, and a run left unended would have the next build report what it already
        says; a lock still held fails it at once (StateBusy, not raised)."""
        with contextlib.suppress(StateBusy), self._tx():
            self._write_placed()
            self._write_memos()
            if said:
                self._conn.execute(
                    "UPDATE runs SET ended_at = ?, counts = ? WHERE run_id = ?",
                    (time.time(), json.dumps(counts, sort_keys=True), run_id),
                )
                self._mark_summed(summed, run_id)
            else:
                self._conn.execute(
                    "UPDATE runs SET counts = ? WHERE run_id = ?",
                    (json.dumps(counts, sort_keys=True), run_id),
                )
            self._prune(run_id)

    def line_said(self, run_id: int, summed: Iterable[int] = ()) -> None:
        """Build `run_id`, ended (`end_run` with `said` False), printed its summary line: the run ends, and
        `summed`, the killed builds whose spend that line reported, are marked reported."""
        with contextlib.suppress(StateBusy), self._tx():
            self._conn.execute("UPDATE runs SET ended_at = ? WHERE run_id = ?", (time.time(), run_id))
            self._mark_summed(summed, run_id)

    def ended_unsaid(self, ours: int | None = None) -> list[int]:
        """The builds, but for `ours`, killed once they had ended (`end_run`) and before they marked their
        summary line said (`line_said`): what the next build reports of them (`spend_unsummed`) that line
        may have said already."""
        with self._lock:
            rows = self._conn.execute(f"{_UNSUMMED} AND counts IS NOT NULL ORDER BY run_id", (ours,))
            return [int(r) for (r,) in rows.fetchall()]

    def _prune(self, run_id: int) -> None:
        """Delete what the journal no longer keeps (see HISTORY_KEPT), in the build's last transaction. The
        error log is pruned only by a build that recorded history: the events of the last such build, which
        a report summarises, are kept however many no-op builds follow."""
        if self._attempted:
            self._conn.executemany(_PRUNE_ATTEMPTS, [(t,) for t in sorted(self._attempted)])
            self._conn.execute("DELETE FROM events WHERE run_id <= ?", (run_id - RUNS_KEPT,))
            self._attempted.clear()
        self._conn.execute("DELETE FROM runs WHERE run_id <= ?", (run_id - RUNS_KEPT,))
        with contextlib.suppress(sqlite3.OperationalError):  # (pruned with the runs that found it)
            self._conn.execute("DELETE FROM found_spend WHERE run_id <= ?", (run_id - RUNS_KEPT,))

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

    def spend_reported(self, task_id: str, at: float) -> bool:
        """Whether a build counted what an attempt of `task_id` started at `at` cost: a history row of the
        task spans that moment and says what its attempts cost (in dollars, or in tokens only: codex, gemini,
        llm name no price), or a build recorded it as found in its logs (`record_found`). None does for an
        attempt of a build killed before it wrote the task's row (`runners.salvage`: the answer it paid for
        is reported by no build)."""
        sql = (
            "SELECT 1 FROM attempts WHERE task_id = ? AND started_at <= ? AND ended_at >= ?"
            " AND (cost_usd IS NOT NULL OR tokens_in IS NOT NULL OR tokens_out IS NOT NULL) LIMIT 1"
        )
        with self._lock:
            if self._conn.execute(sql, (task_id, at, at)).fetchone() is not None:
                return True
            found = "SELECT 1 FROM found_spend WHERE task_id = ? AND paid_at = ? LIMIT 1"
            with contextlib.suppress(sqlite3.OperationalError):  # (no such table: a reader of an old file)
                return self._conn.execute(found, (task_id, at)).fetchone() is not None
            return False

    def record_found(self, run_id: int, task_id: str, found: Iterable[Found]) -> bool:
        """What attempts of a killed build paid for, found in their logs by build `run_id` as it starts
        `task_id` (`scheduler.earlier.record_found`), recorded as that build's spend at once, in one
        transaction: before an attempt of this build replaces those logs. Then reported by this build's
        summary line (`found_in`), or, killed too, by the next build (`spend_unsummed`), and never found
        again (`spend_reported`). False if it could not be written (the store gave up waiting for another
        program's lock, a full disk): the caller counts it as before, when the attempt ends."""
        if self.busy.gave_up is not None:
            return False
        rows = [(run_id, task_id, *f) for f in found]
        try:
            with self._tx():
                self._conn.executemany(
                    f"INSERT INTO found_spend ({_FOUND_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?)", rows
                )
        except (StateBusy, sqlite3.Error):
            return False
        return True

    def killed_spans(self, ours: int | None = None) -> list[tuple[int, float, float | None]]:
        """The builds but for `ours` that never ended (killed) and whose spend no build reported
        (`spend_unsummed`): each one's run id, when it started, and when the build after it started (None
        for the last before `ours`): what its attempts may have paid for and never recorded started then
        (`scheduler.earlier.find_left`). [] when no build was killed: nothing to look for."""
        # (the next build's start: not `ours`, which started none of the attempts in the logs as it takes
        # over, and whose start a clock set back since, after a crash, may put before theirs)
        sql = (
            "SELECT run_id, started_at, (SELECT MIN(n.started_at) FROM runs n WHERE n.run_id > runs.run_id"
            f" AND n.run_id IS NOT ?1) FROM runs WHERE run_id IN ({_UNSUMMED}) AND started_at IS NOT NULL"
            " ORDER BY run_id"
        )
        with self._lock:
            rows = self._conn.execute(sql, (ours,)).fetchall()
        return [(int(r), float(at), None if until is None else float(until)) for r, at, until in rows]

    def found_in(self, run_id: int) -> list[AttemptRecord]:
        """The spend build `run_id` found and recorded (`record_found`), as history rows ("found")."""
        return self._found("run_id = ?", (run_id,))

    def spend_said_by(self, run_id: int) -> list[AttemptRecord]:
        """What build `run_id`'s summary line said killed builds paid, as history rows: the rows of the
        killed builds it reported (`runs.summed_by`: their history rows that spent, as `spend_unsummed`
        gives them, and what was found in their logs), and what it found itself (`record_found`), unless
        it was killed before its line (then the build that reported its spend said it). A build not ended
        yet (a report rendered as it runs) says, as it ends, what `spend_unsummed` gives it now: it took
        those builds over as it started and holds the lock. Each row is said by one build: a report's run
        summary counts it once, as that build's line did, if it is of a task the report summarises
        (`report.summary`)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT ended_at IS NULL AND counts IS NULL AND summed_by IS NULL, summed_by IS NULL"
                " FROM runs WHERE run_id = ?",
                (run_id,),
            ).fetchone()
        if row is None:
            return []
        live, own = bool(row[0]), bool(row[1])
        if live:
            return self.spend_unsummed(run_id) + self.found_in(run_id)
        said = "SELECT run_id FROM runs WHERE summed_by = ?1"
        return self._spent_by(said, (run_id,), f"run_id IN ({said})" + (" OR run_id = ?1" if own else ""))

    def last_written(self, task_id: str, before: int) -> int | None:
        """The latest build before build `before` that made `task_id` (a report: the build that last wrote
        it, whose run summary counted what was paid up to it), None if none is kept."""
        sql = "SELECT MAX(run_id) FROM attempts WHERE task_id = ? AND run_id < ? AND state = 'done'"
        with self._lock:
            row = self._conn.execute(sql, (task_id, before)).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def said_again(self, run_id: int) -> bool:
        """Whether build `run_id` was killed before it marked its summary line said (`end_run`,
        `line_said`): the build that takes it over, or `clean`, says its spend (`spend_unsummed`), and
        what killed builds before it paid, again, though a report it wrote counted some of it
        (`report.summary.since_written`). False for a build whose row is no longer kept."""
        with self._lock:
            row = self._conn.execute(
                "SELECT ended_at IS NULL FROM runs WHERE run_id = ?", (run_id,)
            ).fetchone()
        return row is not None and bool(row[0])

    def spend_between(self, after: int, before: int, task_ids: Iterable[str]) -> list[AttemptRecord]:
        """What the summary lines of the builds after build `after` and before build `before` said was
        paid for `task_ids` (a report's tasks), as history rows, each once: the rows of each build that
        ended (its own line said them), what each said killed builds paid (`spend_said_by`), and what
        `clean` or `-t` said a build killed in between paid (`summed_by` 0), or build `after`, killed once
        it wrote the report. A
        killed build's rows are left to the line that said them: the latest of these, or build `before`,
        which says them as it ends (its own `spend_said_by`); one said by a later build is that build's.
        What of it builds up to `after` spent, said since (`after` was killed after its report was
        written), the caller leaves out as far as the report written in `after` counted it
        (`report.summary.since_written`: not what `after` paid after it)."""
        # (one query: each row with the line that said it, in the order that line's `spend_said_by` gives
        # it, after the ended builds' own rows; was a `spend_said_by` per ended build, 460 ms over 10k tasks)
        found, wanted = self._has_found(), json.dumps(sorted(set(task_ids)))
        with self._lock:
            (kept,) = self._conn.execute("SELECT MIN(run_id) FROM runs").fetchone()
            pruned = kept if kept is not None else before
            rows = self._conn.execute(_between_sql(found), (after, before, pruned, wanted)).fetchall()
        # (restores and answers salvaged that an earlier build reported are left out by the query: `_PAID`)
        return [attempt_from_row(r) for r in rows]

    def _has_found(self) -> bool:
        """Whether the database has `found_spend` (a reader of an older file may not: none was found)."""
        with self._lock:
            sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'found_spend'"
            return self._conn.execute(sql).fetchone() is not None

    def history_whole_from(self, after: int, before: int, task_ids: Iterable[str]) -> int:
        """The first build after build `after` from which the history of `task_ids` is whole up to build
        `before` (`spend_between`): `after` + 1 unless builds since were pruned from `runs` (`RUNS_KEPT`),
        or a task ran so often since that its oldest rows may have been (`HISTORY_KEPT`: from its
        HISTORY_KEPT-th latest row on, none was)."""
        wanted = set(task_ids)
        sql = "SELECT task_id, run_id FROM attempts WHERE run_id > ? AND run_id < ? ORDER BY id DESC"
        with self._lock:
            (kept,) = self._conn.execute("SELECT MIN(run_id) FROM runs").fetchone()
            rows = self._conn.execute(sql, (after, before)).fetchall()
        whole = max(after + 1, int(kept) if kept is not None else after + 1)
        seen: dict[str, int] = {}
        for task_id, run_id in rows:
            if task_id in wanted and (n := seen.get(task_id, 0) + 1) <= HISTORY_KEPT:
                seen[task_id] = n
                if n == HISTORY_KEPT:
                    whole = max(whole, int(run_id))
        return min(whole, before)

    def _found(self, where: str, args: tuple[Any, ...]) -> list[AttemptRecord]:
        """Rows of `found_spend` as history rows: state "found", spanning the moment the attempt that paid
        started, its log stem as the message."""
        sql = f"SELECT {_FOUND_COLS} FROM found_spend WHERE {where} ORDER BY id"
        with self._lock:
            try:
                rows = self._conn.execute(sql, args).fetchall()
            except sqlite3.OperationalError:  # (no such table: a reader of an older database)
                return []
        return [
            AttemptRecord(run, task, FOUND, at, at, 1, cost, tin, tout, message=by)
            for run, task, at, by, cost, tin, tout in rows
        ]

    def spend_unsummed(self, ours: int | None = None) -> list[AttemptRecord]:
        """The history rows of builds that never ended (killed: `end_run` never ran, so they printed no
        summary line) whose spend no later build reported (`runs.summed_by`), besides build `ours` (the
        one asking, which has not ended yet): each a task's ending in such a build (a result renamed into
        place or not, a failure after paid attempts) and what its attempts cost, in the order written.
        Rows that spent nothing of that build's are left out: a restore or outputs in place kept ("cached",
        "up-to-date": what making them cost, paid by an earlier build) and an answer it salvaged that an
        earlier build had reported ("cached" without `paid_earlier`). With them, what such a build found
        that a build killed before it paid for and never recorded (`record_found`: rows "found", after the
        history rows). A build that reports them marks their builds as reported as it ends (`end_run`), or
        `mark_summed` (`clean`, `-t`). Not here: what the attempts under way when it was killed cost, and
        the attempts of a task waiting for its retry (no row holds them; an answer they finished is
        salvaged, and a failure they were paid for reported, by the build that finds its log:
        `runners.salvage`, which records it at once: `record_found`)."""
        return self._spent_by(_UNSUMMED, (ours,))

    def _spent_by(self, runs: str, args: tuple[Any, ...], found: str | None = None) -> list[AttemptRecord]:
        """What the builds `runs` (a list of run ids in SQL, or a SELECT of them, with `args`) spent: their
        history rows that spent, then what was found in logs for them (`found`, the `found_spend` rows'
        condition: by default theirs), less the rows that spent nothing of theirs (a restore, or an answer
        salvaged that an earlier build reported: "cached" without `paid_earlier`)."""
        sql = f"SELECT {_ATTEMPT_COLS} FROM attempts WHERE run_id IN ({runs}) AND {_SPENT} ORDER BY id"
        with self._lock:
            rows = [attempt_from_row(r) for r in self._conn.execute(sql, args).fetchall()]
        rows += self._found(found or f"run_id IN ({runs})", args)
        return [a for a in rows if a.state != "cached" or a.extra.get("paid_earlier")]

    @optional
    def mark_summed(self, run_ids: Iterable[int], by: int = 0) -> None:
        """Builds `run_ids`, killed, had their spend reported (`spend_unsummed`): by build `by`, or 0 (a
        `clean` or `-t`, which said it)."""
        with self._tx():
            self._mark_summed(run_ids, by)

    def _mark_summed(self, run_ids: Iterable[int], by: int) -> None:
        self._conn.executemany(
            "UPDATE runs SET summed_by = ? WHERE run_id = ? AND summed_by IS NULL", [(by, r) for r in run_ids]
        )

    def last_placed(self, task_ids: Iterable[str]) -> dict[str, AttemptRecord]:
        """task_id -> the latest history row of each of `task_ids` that put a result in place (done, cached,
        up to date), if any: one indexed query a task, the history not read whole (`status` of a failed task
        whose last success was a restore or a -t, which read every row of a 10,000-task project's)."""
        sql = f"SELECT {_ATTEMPT_COLS} FROM attempts WHERE task_id = ? AND state IN {_PLACED}"
        sql += " ORDER BY id DESC LIMIT 1"
        found: dict[str, AttemptRecord] = {}
        with self._lock:
            for task_id in task_ids:
                row = self._conn.execute(sql, (task_id,)).fetchone()
                if row is not None:
                    found[task_id] = attempt_from_row(row)
        return found

    def retries_pending(self) -> dict[str, tuple[int, float, str]]:
        """Of the latest build, if it has not ended (a live one: the caller knows another agentmake holds the
        lock), each task it logged a retry of ("retrying in 2.1s") and has recorded no outcome of since:
        task_id -> (the attempt it will start, when it is due (epoch seconds), the error it retries)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT run_id FROM runs WHERE run_id = (SELECT MAX(run_id) FROM runs) AND ended_at IS NULL"
            ).fetchone()
            if row is None:
                return {}
            events = self._conn.execute(
                "SELECT task_id, time, action, message FROM events WHERE run_id = ? AND action LIKE"
                " 'retrying in %' ORDER BY id",
                (row[0],),
            ).fetchall()
            ended = {t for (t,) in self._conn.execute("SELECT task_id FROM attempts WHERE run_id = ?", row)}
        found: dict[str, tuple[int, float, str]] = {}
        for task_id, when, action, message in events:
            if task_id in ended:
                continue
            delay = re.match(r"retrying in ([0-9.]+)s", action or "")
            tried = found[task_id][0] if task_id in found else 1
            due = float(when) + (float(delay[1]) if delay else 0.0)
            found[task_id] = (tried + 1, due, message or "")
        return found

    def last_attempted_run(self) -> int | None:
        """The latest run that recorded an attempt (a build that ran nothing records none), or whose summary
        line said what killed builds paid (`spend_said_by`: one that found everything up to date, and took
        over a killed build that paid for something: not one that only restored results, or salvaged
        answers an earlier build reported, which spent nothing), the run a report summarises by default."""
        said = (
            "SELECT MAX(summed_by) FROM runs k WHERE summed_by > 0 AND (EXISTS (SELECT 1 FROM attempts"
            f" WHERE run_id = k.run_id AND {_SPENT} AND {_PAID}) OR EXISTS (SELECT 1 FROM found_spend f"
            " WHERE f.run_id = k.run_id))"
        )
        with self._lock:
            row = self._conn.execute("SELECT MAX(run_id) FROM attempts").fetchone()
            try:
                told = self._conn.execute(said).fetchone()
            except sqlite3.OperationalError:  # (no such table: a reader of an older database)
                told = None
        known = [int(r[0]) for r in (row, told) if r is not None and r[0] is not None]
        return max(known, default=None)

    def latest_attempts(self) -> dict[str, AttemptRecord]:
        """task_id -> its history row a report shows for a task the run summarised did not run: its latest
        that put a result in place (done, cached, up to date), else its latest; ties go to the row written
        last. One row per task, picked by SQLite: the history, which grows with every build, is never loaded
        whole (a report after hundreds of builds read every row ever written, gigabytes at 20,000 tasks)."""
        sql = (
            f"SELECT {_ATTEMPT_COLS} FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY task_id ORDER BY"
            " state IN ('done', 'cached', 'up-to-date') DESC, run_id DESC, ended_at DESC, id DESC) AS n"
            " FROM attempts) WHERE n = 1"
        )
        with self._lock:
            rows = self._conn.execute(sql).fetchall()
        return {a.task_id: a for a in map(attempt_from_row, rows)}

    # processes of running tasks (never two live copies of one task)
    def mark_running(self, task_id: str, run_id: int, pid: int, pgid: int) -> None:
        """Record a task's process and its identity (start time, boot id: `agentmake.store.identity`)."""
        self._insert_running([(task_id, run_id, pid, pgid)])

    def mark_running_many(self, rows: Iterable[tuple[str, int, int, int]]) -> None:
        """`mark_running` for several (task_id, run_id, pid, pgid) at once, in one transaction."""
        self._insert_running(rows)

    @optional
    def _insert_running(self, rows: Iterable[tuple[str, int, int, int]]) -> None:
        now, owner, boot = time.time(), os.getpid(), boot_id()
        full = [(t, r, pid, pgid, owner, now, start_ticks(pid), boot) for t, r, pid, pgid in rows]
        with self._tx():
            if self._has_identity():
                self._conn.executemany(
                    f"INSERT OR REPLACE INTO running ({_RUNNING_COLS}) VALUES ({', '.join('?' * 8)})", full
                )
            else:  # an old database that could not be extended: record what it can hold
                self._conn.executemany(
                    "INSERT OR REPLACE INTO running (task_id, run_id, pid, pgid, owner_pid, started_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [row[:6] for row in full],
                )

    def _has_identity(self) -> bool:
        if self._identity_cols is None:
            self._identity_cols = {"start_ticks", "boot_id"} <= column_names(self._conn, "running")
        return self._identity_cols

    @optional
    def clear_running(self, task_id: str) -> None:
        with self._tx():
            self._conn.execute("DELETE FROM running WHERE task_id = ?", (task_id,))

    def running(self) -> list[tuple[str, int, int, int]]:
        """(task_id, pid, pgid, owner agentmake pid) of tasks recorded as running."""
        with self._lock:
            rows = self._conn.execute("SELECT task_id, pid, pgid, owner_pid FROM running ORDER BY task_id")
            return [tuple(r) for r in rows.fetchall()]

    def running_identities(self) -> dict[str, tuple[int | None, str | None]]:
        """task_id -> (start_ticks, boot_id) recorded with each running process; None where unknown."""
        with self._lock:
            if not self._has_identity():
                return {}
            rows = self._conn.execute("SELECT task_id, start_ticks, boot_id FROM running").fetchall()
        return {r[0]: (r[1], r[2]) for r in rows}

    # error log
    @optional
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
