"""`.agentmake/status.md`: a Markdown view of the current build kept up to date on disk while it runs.

Each write replaces the file atomically (temporary file + `os.replace`), at most every `interval` seconds and
never sooner than `cost_factor` times what the last write took after it (so on a huge build it costs a
bounded share of the time). A failure, a retry or an interruption is written without waiting for `interval`,
but still no sooner than that cost allows (4,000 retries in a few seconds are not 4,000 full rewrites); what
is held back is written by a later event, `tick()` or `close()`, which always writes. Readers (a person, an
editor, an agent) never see half a file. The file a write replaces is hard-linked aside first and unlinked
on a thread of its own (`scheduler.discard`, as outputs are): renaming over it freed its blocks inside the
rename, on the scheduler thread (ext4: milliseconds a write while the disk is busy, measured); the link a
killed build left aside is unlinked by the next build's first write. Rendering is incremental: a task's table
row is formatted again only when it changes, the rows of tasks up to date in bulk are joined once, and the
running counts are kept as events arrive.

`ticked=True` (a build's, whose scheduler ticks it about every 0.2 s: `scheduler.loop.TICK`): only a
failure, a retry or an interruption is written by its event; other changes wait for `tick()`. Events come in
bursts (a wave of tasks ends, the next one starts), and a write due in the middle of one (a millisecond:
render, write, link, rename) delayed every start after it; the scheduler ticks once it has started what the
burst let start.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from agentmake.display.fmt import (
    agent_name,
    fmt_duration,
    fmt_tokens,
    is_plain_cell,
    md_cell,
    md_table,
    state_words,
    usd,
)
from agentmake.safetext import text_safe
from agentmake.scheduler.discard import Discard
from agentmake.scheduler.events import BuildResult, TaskEvent, TaskOutcome

URGENT = frozenset({"failed", "retrying", "interrupted"})
_TASK_HEADER = md_table(["task", "state", "time", "attempts", "cost", "tokens"], [])  # as a report's table
_ERROR_HEADER = md_table(["time", "agent", "task", "error type", "description", "action taken"], [])


@dataclass
class _Task:
    """A row of the task table: what the events told of one task."""

    state: str
    attempts: int = 0
    started: float | None = None
    ended: float | None = None
    cost: float | None = None
    tokens: str = ""
    message: str | None = None
    ran: float | None = None  # a finished task's time (`TaskEvent.ran`)
    row: str | None = None  # the formatted table row; None when it must be formatted again

    def duration(self) -> float | None:
        """The time its row shows."""
        if self.ran is None and self.started is not None and self.ended is not None:
            return self.ended - self.started
        return self.ran

    def shown(self) -> tuple[object, ...]:
        """What its row is made of (besides its id): the row is formatted again only when this changes."""
        return (self.state, self.duration(), self.attempts, self.cost, self.tokens)

    def format_row(self, task_id: str) -> str:
        if self.row is None:
            cells = [
                task_id,
                state_words(self.state),
                fmt_duration(self.duration()),
                self.attempts or "",
                "" if self.cost is None else usd(self.cost),  # (Markdown, as a report's row: in full)
            ]
            self.row = _md_row([*cells, self.tokens])
        return self.row


@dataclass
class _Error:
    """A row of the error log: one failed attempt and what was done about it."""

    time: float
    task_id: str
    error_type: str
    description: str
    action: str


@dataclass
class StatusFile:
    """A sink writing `path` (normally `.agentmake/status.md`)."""

    path: Path
    interval: float = 0.2
    ticked: bool = False  # routine changes are written by `tick()` alone (see the module docstring)
    clock: Callable[[], float] = time.monotonic
    cost_factor: float = 25.0  # throttled writes are at least this many times their own cost apart
    tasks: dict[str, _Task] = field(default_factory=dict)
    errors: list[_Error] = field(default_factory=list)
    started_at: float | None = None
    _result: BuildResult | None = None
    _last_write: float | None = None
    _last_cost: float = 0.0  # seconds the last write took (render + file)
    _dirty: bool = False
    _error_rows: list[str] = field(default_factory=list)
    _dir_made: bool = False
    _quiet: dict[str, float] = field(default_factory=dict)  # up to date in bulk (-> when): a fixed row each
    _order: list[str] | None = None  # row order from the result (set at close); else order of first news
    _urgent: bool = False  # a failure, retry or interruption is not written yet: due by cost alone
    # before close: the table rows of `tasks` in its order, where each task's row is, the tasks whose row
    # changed since the last render, the tasks by state, and the joined rows of `_quiet` (None: stale)
    _rows: list[str] = field(default_factory=list)
    _row_at: dict[str, int] = field(default_factory=dict)
    _stale: set[str] = field(default_factory=set)
    _counts: dict[str, int] = field(default_factory=dict)
    _quiet_rows: str | None = None
    _aborted: str | None = None  # why the build ended with an error, with no result (`abort`)
    _discard: Discard | None = None  # unlinks the files writes replaced (started by the first write)

    def __call__(self, event: TaskEvent) -> None:
        if self.started_at is None:
            self.started_at = event.time
        if event.task_id in self._quiet:
            self._unquiet(event.task_id)
        task = self.tasks.get(event.task_id)
        if task is None:
            task = self.tasks[event.task_id] = _Task(event.state)
        else:
            self._counts[task.state] -= 1
        self._counts[event.state] = self._counts.get(event.state, 0) + 1
        task.row = None
        self._stale.add(event.task_id)
        task.state = event.state
        task.attempts = max(task.attempts, event.attempt)
        if event.state == "running" and task.started is None:
            task.started = event.time
        if event.state in ("done", "failed", "interrupted") and task.started is not None:
            task.ended = event.time
            task.ran = event.ran
        if event.message and event.state in ("failed", "retrying", "not-run", "interrupted", "done"):
            task.message = event.message
        if event.error_type or event.state in ("failed", "retrying"):
            self.errors.append(
                _Error(
                    event.time,
                    event.task_id,
                    event.error_type or "error",
                    (event.message or "").strip(),
                    event.action or _default_action(event),
                )
            )
        self._dirty = True
        if event.state in URGENT:
            self._urgent = True
        if (self._urgent or not self.ticked) and self._due():
            self.flush()

    def up_to_date(self, task_ids: Sequence[str], when: float) -> None:
        """Each of `task_ids` went from pending to up to date at `when` (see `events.emit_up_to_date`)."""
        if self.started_at is None:
            self.started_at = when
        quiet = self._quiet
        for task_id in task_ids:
            if task_id in self.tasks:
                self(TaskEvent(task_id, "up-to-date", when))
            else:
                quiet[task_id] = when
        self._quiet_rows = None
        self._dirty = True  # written at the next tick or at close: a no-op build writes the file once

    def tick(self) -> None:
        if self._dirty and self._due():
            self.flush()

    def close(self, result: BuildResult) -> None:
        self._result = result
        quiet = self._quiet
        for task_id, outcome in result.outcomes.items():
            if task_id in quiet:
                if _is_quiet(outcome):
                    continue  # its row stays as it is
                self._unquiet(task_id)
            task = self.tasks.get(task_id)
            if task is None:
                task = self.tasks[task_id] = _Task(outcome.state)
            started = outcome.started_at if outcome.started_at is not None else task.started
            ended = outcome.ended_at if outcome.ended_at is not None else task.ended
            fields = (
                "partial" if outcome.partial else outcome.state,  # (a partial report, as the terminal says)
                max(task.attempts, outcome.attempts),
                started,
                ended,
                outcome.cost_usd,
                fmt_tokens(outcome.tokens_in, outcome.tokens_out),
            )
            if fields != (task.state, task.attempts, task.started, task.ended, task.cost, task.tokens):
                shown = task.shown()
                task.state, task.attempts, task.started, task.ended, task.cost, task.tokens = fields
                if task.shown() != shown:  # formatted again only if something shown changed (a finished
                    task.row = None  # task's time is its `ran`, not its start and end)
            task.message = outcome.message or task.message
        order = list(result.outcomes)
        if len(order) < len(self.tasks) + len(quiet):
            known = set(order)
            order += [t for t in [*self.tasks, *quiet] if t not in known]
        self._order = order
        if self.started_at is None:
            self.started_at = result.started_at
        try:
            self.flush()
        finally:
            self._discarded()

    def abort(self, why: str) -> None:
        """The build ended with an error and has no result: the file says so, as it is (best effort: the
        error itself, a full disk say, may keep it from being written)."""
        self._aborted = why
        try:
            with contextlib.suppress(OSError):
                self.flush()
        finally:
            self._discarded()

    def _discarded(self) -> None:
        """Wait until the files replaced so far are unlinked (the last write: nothing is left aside)."""
        if self._discard is not None:
            self._discard.close()

    def _unquiet(self, task_id: str) -> None:
        self.tasks[task_id] = _Task("up-to-date", ended=self._quiet.pop(task_id))
        self._counts["up-to-date"] = self._counts.get("up-to-date", 0) + 1
        self._stale.add(task_id)
        self._quiet_rows = None

    def _due(self) -> bool:
        """Whether a write now keeps to the throttle: `cost_factor` times the last write's cost after it, and
        `interval` too unless a failure, retry or interruption waits."""
        if self._last_write is None:
            return True
        gap = self.cost_factor * self._last_cost
        if not self._urgent:
            gap = max(gap, self.interval)
        return self.clock() - self._last_write >= gap

    def flush(self) -> None:
        """Write the file now (atomically)."""
        began = time.perf_counter()
        if not self._dir_made:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._dir_made = True
        text = self.render()
        import tempfile  # (here: it imports `random`, which nothing before a build's first task needs)

        try:
            fd, tmp = tempfile.mkstemp(prefix=".status-", suffix=".tmp", dir=self.path.parent)
        except FileNotFoundError:  # the directory was removed during the build
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".status-", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            discard, spare = self._aside()
            try:
                os.replace(tmp, self.path)
            finally:
                if spare is not None:
                    discard.later(spare)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._last_write = self.clock()
        self._last_cost = time.perf_counter() - began
        self._dirty = self._urgent = False

    def _aside(self) -> tuple[Discard, str | None]:
        """Hard-link the file about to be replaced to ``.status.md.agentmake-tmp-old`` beside it; the
        `Discard` that unlinks it, and that name (None: no file to replace, no hard links here, or the last
        write's link is not unlinked yet: this rename frees the file itself). One fixed name, so a link a
        killed build left is found without listing the directory: the first write hands it over first."""
        spare = os.path.join(self.path.parent, f".{self.path.name}.agentmake-tmp-old")
        discard = self._discard
        if discard is None:
            discard = self._discard = Discard()
            if os.path.lexists(spare):
                discard.later(spare)
        try:
            os.link(self.path, spare, follow_symlinks=False)
        except OSError:
            return discard, None
        return discard, spare

    def render(self) -> str:
        result = self._result
        lines = ["# agentmake status", ""]
        if self.started_at is not None:
            lines.append(f"Build started {_clock(self.started_at)}.")
        if result is not None:
            lines.append(f"Finished: {result.summary_line().removeprefix('agentmake: ')}.")
        elif self._aborted is not None:
            lines.append(
                f"Ended with an error: {md_cell(self._aborted)}. No task runs now: a task shown running or"
                " pending was stopped, and the next build takes it up."
            )
        else:
            counts = {s: n for s, n in self._counts.items() if n}
            if self._quiet:
                counts["up-to-date"] = counts.get("up-to-date", 0) + len(self._quiet)
            running = ", ".join(f"{n} {state_words(s)}" for s, n in sorted(counts.items()))
            lines.append(f"Running: {running}.")
        lines += ["", "## Tasks", "", _TASK_HEADER]
        quiet, tasks = self._quiet, self.tasks
        if self._order is not None:
            lines += [
                _quiet_row(tid) if tid in quiet else tasks[tid].format_row(tid)
                for tid in self._order
                if tid in quiet or tid in tasks
            ]
        else:
            if quiet:
                if self._quiet_rows is None:
                    self._quiet_rows = "\n".join(_quiet_row(tid) for tid in quiet)
                lines.append(self._quiet_rows)
            if tasks:
                lines.append(self._task_rows())
        lines += ["", "## Error log", ""]
        if self.errors:
            for e in self.errors[len(self._error_rows) :]:
                cells = [_clock(e.time), agent_name(e.task_id), e.task_id, e.error_type, e.description]
                self._error_rows.append(_md_row([*cells, e.action]))
            lines += [_ERROR_HEADER, *self._error_rows]
        else:
            lines.append("No errors.")
        if result is not None or self._counts.get("failed"):
            failed = [(t, task) for t, task in tasks.items() if task.state == "failed" and task.message]
            if failed:
                lines += ["", "## Failures", ""]
                for task_id, task in failed:
                    message = _fence(text_safe(task.message or "").strip())
                    lines += [f"### {_heading(task_id)}", "", message, ""]
        return "\n".join(lines).rstrip("\n") + "\n"

    def _task_rows(self) -> str:
        """The table rows of `tasks` (in its order), formatting only the rows of tasks new or changed since
        the last call."""
        rows, at, tasks, stale = self._rows, self._row_at, self.tasks, self._stale
        if len(rows) < len(tasks):  # (a dict keeps insertion order: the new tasks are the last ones)
            for task_id in islice(tasks, len(rows), None):
                at[task_id] = len(rows)
                rows.append(tasks[task_id].format_row(task_id))
                stale.discard(task_id)
        for task_id in stale:
            rows[at[task_id]] = tasks[task_id].format_row(task_id)
        stale.clear()
        return "\n".join(rows)


def _is_quiet(o: TaskOutcome) -> bool:
    """An outcome whose row is the fixed up-to-date row (nothing run, spent or said)."""
    return (
        o.state == "up-to-date"
        and not o.attempts
        and o.started_at is None
        and o.cost_usd is None
        and o.tokens_in is None
        and o.tokens_out is None
        and not o.message
    )


def _quiet_row(task_id: str) -> str:
    """The row of a task up to date in bulk: `_Task("up-to-date").format_row(task_id)`, cheaply."""
    if not is_plain_cell(task_id):
        return _md_row([task_id, "up to date", "", "", "", ""])
    return f"| {task_id} | up to date |  |  |  |  |"


def _md_row(cells: list[object]) -> str:
    """One row of `md_table` (same escaping)."""
    return "| " + " | ".join([md_cell(c) for c in cells]) + " |"


def _heading(text: str) -> str:
    """`text` as the words of an ATX heading, shown as written: escaped as a table cell (`md_cell`: a newline
    would end the heading, `<b>` be taken as HTML) but for `|`, plain text outside a table, and with a `#`
    ending it escaped (else a closing sequence, which Markdown drops)."""
    words = md_cell(text).replace("\\|", "|")
    return words[:-1] + "\\#" if words.endswith("#") else words


def _default_action(event: TaskEvent) -> str:
    if event.state == "retrying":
        return f"retrying in {fmt_duration(event.retry_in)}" if event.retry_in is not None else "retrying"
    if event.state == "failed":
        return "gave up"
    return ""


def _clock(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))


def _fence(text: str) -> str:
    longest = run = 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"
