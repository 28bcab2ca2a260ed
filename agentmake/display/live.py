"""The interactive terminal view: a bounded live table of active tasks, a progress bar with an ETA, and a
permanent line above it for every finished task (what each looks like: `display.livetable`).

An event only updates the display's state, in constant time: the counts, the set of active tasks, the queue
and the sums behind the ETA are kept as events arrive, never recounted over all tasks. Drawing (laying out the
table and writing it to the terminal) is what costs, so it happens in `tick()` (the scheduler calls it about
every 0.2 s) and otherwise at most every `REFRESH_INTERVAL` seconds; pending and waiting events never draw.
The lines of finished tasks are kept until the next drawing and printed above the table together. Task ids
and messages are shown through `term_safe`: a file name cannot send the terminal control sequences.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TextIO

from rich.console import Console, ConsoleRenderable, Group, RenderableType
from rich.live import Live
from rich.text import Text

from agentmake.display.base import cost_places, summary_lines
from agentmake.display.fmt import ACTIVE, FINISHED
from agentmake.display.livetable import Row, finished_line, progress_line, task_table
from agentmake.display.plain import cap_change
from agentmake.runners import suspend
from agentmake.scheduler.events import BuildResult, TaskEvent

QUEUED = frozenset({"pending", "waiting"})  # events in these states never draw
SHOW_CURSOR = b"\x1b[?25h"  # (DECTCEM, as rich's Control.show_cursor writes it)
REFRESH_INTERVAL = 0.2  # seconds: the least time between two drawings caused by events (ticks always draw)


class _Live(Live):
    """`Live` that puts the finished-task lines waiting in `take_lines()` above the table whenever it draws
    (its own refresh, or a line written to the redirected stderr): one layout of the table per drawing, and
    those lines stay before any later stderr line."""

    def __init__(self, take_lines: Callable[[], list[Text]], **kwargs: Any) -> None:
        self._take_lines = take_lines
        super().__init__(**kwargs)

    def process_renderables(self, renderables: list[ConsoleRenderable]) -> list[ConsoleRenderable]:
        lines = self._take_lines()
        if lines:
            renderables = [Text("\n").join(lines), *renderables]
        return super().process_renderables(renderables)


class LiveDisplay:
    """A `rich.live.Live(auto_refresh=False)` drawn by `tick()` and by events at most every
    `REFRESH_INTERVAL` seconds (`monotonic`). `close()` prints the finished-task lines not yet shown, stops
    it, and prints the full summary (as the plain display does) and the summary line (to `summary_stream`);
    `abort()`, for a build that ended with an error, stops it the same way without a summary.
    `estimates` (task -> expected seconds) are read once, at the start."""

    def __init__(
        self,
        console: Console | None = None,
        *,
        summary_stream: TextIO | None = None,
        estimates: Mapping[str, float] | None = None,
        transient: bool = True,
        max_rows: int | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.console = console if console is not None else Console(file=sys.stderr)
        self.summary_stream = summary_stream if summary_stream is not None else sys.stdout
        self.estimates = dict(estimates or {})
        self.max_rows = max_rows
        self.clock = clock
        self.monotonic = monotonic
        self.rows: dict[str, Row] = {}
        self._lock = threading.RLock()
        # kept up to date by `_enter` and `_leave` (so that nothing scans `rows`)
        self._counts: dict[str, int] = {}
        self._active: dict[str, Row] = {}  # running or retrying
        self._queued: dict[str, Row] = {}  # neither active nor finished (pending, waiting), by `seq`
        self._queued_estimated = 0.0  # sum of the estimates of the queued tasks that have one
        self._queued_unestimated = 0  # how many queued tasks have none
        self._observed = 0.0  # sum of the durations of the done tasks
        self._observed_n = 0
        known = list(self.estimates.values())
        self._known_mean = sum(known) / len(known) if known else None
        self._lines: list[Text] = []  # finished-task lines not printed yet
        self._last_draw: float | None = None  # (`monotonic`)
        self.draws = 0  # times the table was drawn (tests and benchmarks)
        self._live = _Live(
            self._take_lines,
            console=self.console,
            auto_refresh=False,
            transient=transient,
            get_renderable=self._render,
            redirect_stdout=False,
            redirect_stderr=True,  # -v log lines and warnings print above the live table, not through it
        )
        self._started = False
        self._closed = False

    def begin(self, task_ids: Iterable[str]) -> None:
        """Optionally announce every selected task up front so the progress total is right from the start."""
        with self._lock:
            now = self.clock()
            for task_id in task_ids:
                if task_id not in self.rows:
                    row = self.rows[task_id] = Row("pending", now, seq=len(self.rows))
                    self._enter(task_id, row)

    def up_to_date(self, task_ids: Sequence[str], when: float) -> None:
        """Tasks found up to date before anything ran (`events.emit_up_to_date`), counted without drawing:
        the scheduler announces the other tasks next, and a drawing before them would show a total short of
        the build (and an ETA from it). Never started, they get no finished line (as one by one)."""
        with self._lock:
            if self._closed:
                return
            for task_id in task_ids:
                row = self.rows.get(task_id)
                if row is None:
                    row = self.rows[task_id] = Row("up-to-date", when, seq=len(self.rows))
                else:
                    self._leave(task_id, row)
                    row.state, row.since = "up-to-date", when
                self._enter(task_id, row)

    def __call__(self, event: TaskEvent) -> None:
        with self._lock:
            if self._closed:
                return
            task_id = event.task_id
            row = self.rows.get(task_id)
            if row is None:
                row = self.rows[task_id] = Row(event.state, event.time, seq=len(self.rows))
            else:
                self._leave(task_id, row)
            changed = row.state != event.state or row.attempt != event.attempt
            row.state, row.since = event.state, event.time
            row.attempt, row.max_attempts = event.attempt, event.max_attempts
            row.retry_in, row.message, row.ran = event.retry_in, event.message, event.ran
            if event.state == "running" and row.started is None:
                row.started = event.time
            self._enter(task_id, row)
            if not self._started:
                # (watched first: a Ctrl-Z that comes right after the table hid the cursor shows it again)
                suspend.watching(self._show_cursor, self._hide_cursor)
                self._live.start()  # (hides the cursor)
                self._started = True
            if (
                changed
                and event.state in FINISHED
                and (event.state != "up-to-date" or row.started is not None)
            ):
                # (up to date after it was started: its outputs in place passed its new check)
                self._lines.append(finished_line(task_id, row, self.console))
            cap = cap_change(event)
            if changed and cap is not None:
                self._lines.append(Text(f"! {cap}", style="yellow"))
            if event.state not in QUEUED:
                last = self._last_draw
                if last is None or self.monotonic() - last >= REFRESH_INTERVAL:
                    self._draw()

    def tick(self) -> None:
        with self._lock:
            if self._started and not self._closed:
                self._draw()

    def close(self, result: BuildResult) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._started:
                suspend.unwatching(self._show_cursor, self._hide_cursor)
                self._live.stop()  # (its last drawing prints the lines not shown yet)
                self._print_lines()
            width = self.console.size.width if self.console.is_terminal else None
            for line in summary_lines(result, width):  # (its table fits the terminal: no row wraps)
                self.console.print(Text(line), highlight=False)
        # (its total with the table's decimals: the rows above add up to it)
        print(result.summary_line(cost_places(result)[0]), file=self.summary_stream, flush=True)

    def abort(self, why: str) -> None:
        """The build ended with an error before it had a result (`Fanout.abort`): stop the table as `close`
        does (the lines not shown yet are printed, the cursor shown again, stderr given back), so that the
        error printed next reads last and the terminal is left as it was; no summary, there is none."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._started:
                suspend.unwatching(self._show_cursor, self._hide_cursor)
                self._live.stop()
                self._print_lines()

    def _show_cursor(self) -> None:
        """(agentmake stops at a Ctrl-Z: the shell gets its cursor back.) Written to the terminal at once: the
        Ctrl-Z may have come while this thread was drawing, where the console would hold it back until the
        drawing ends, after the stop."""
        try:
            fd = self.console.file.fileno()
        except (AttributeError, OSError, ValueError):  # (no descriptor: the console's own way)
            self.console.show_cursor(True)
            return
        if self.console.is_terminal:
            os.write(fd, SHOW_CURSOR)

    def _hide_cursor(self) -> None:
        """(agentmake goes on: the table is drawn again without the cursor, as `Live` drew it; not before it
        started, nor once it has stopped and shown the cursor for good)"""
        if self._live.is_started:
            self.console.show_cursor(False)

    # state

    def _enter(self, task_id: str, row: Row) -> None:
        """Count `row` (just given its state) in the running totals."""
        state = row.state
        self._counts[state] = self._counts.get(state, 0) + 1
        if state in ACTIVE:
            self._active[task_id] = row
        elif state in FINISHED:
            if state == "done" and row.started is not None:
                self._observed += row.since - row.started
                self._observed_n += 1
        else:
            queued = self._queued
            if queued and queued[next(reversed(queued))].seq > row.seq:  # back in the queue (not seen so far)
                queued[task_id] = row
                self._queued = dict(sorted(queued.items(), key=lambda item: item[1].seq))
            else:
                queued[task_id] = row
            estimate = self.estimates.get(task_id)
            if estimate is None:
                self._queued_unestimated += 1
            else:
                self._queued_estimated += estimate

    def _leave(self, task_id: str, row: Row) -> None:
        """Take `row` (about to change) out of the running totals: the inverse of `_enter`."""
        state = row.state
        self._counts[state] -= 1
        if state in ACTIVE:
            del self._active[task_id]
        elif state in FINISHED:
            if state == "done" and row.started is not None:
                self._observed -= row.since - row.started
                self._observed_n -= 1
        else:
            del self._queued[task_id]
            estimate = self.estimates.get(task_id)
            if estimate is None:
                self._queued_unestimated -= 1
            else:
                self._queued_estimated -= estimate
            if not self._queued:
                self._queued_estimated = 0.0  # (no rounding left over)

    # drawing

    def _draw(self) -> None:
        """Redraw the table, with the finished-task lines not shown yet above it (`_Live`)."""
        self._last_draw = self.monotonic()
        self.draws += 1
        self._live.refresh()
        self._print_lines()  # (left when the console is no terminal: rich then draws nothing)

    def _take_lines(self) -> list[Text]:
        with self._lock:
            lines, self._lines = self._lines, []
            return lines

    def _print_lines(self) -> None:
        lines = self._take_lines()
        if lines:
            self.console.print(Text("\n").join(lines), highlight=False)

    # rendering

    def _render(self) -> RenderableType:
        """The table (`task_table`) and the progress line: the work is in the rows shown, not in the number
        of tasks."""
        with self._lock:
            now = self.clock()
            height = self.max_rows if self.max_rows is not None else max(self.console.size.height - 4, 3)
            table = task_table(self._active, self._queued, height, now)
            progress = progress_line(self._counts, len(self.rows), self.eta(now), self.console.size.width)
            return Group(table, progress)

    def eta(self, now: float) -> float | None:
        """Remaining seconds from recorded mean durations (`estimates`), spread over the tasks running now. A
        task without an estimate counts the mean of the estimates, or else of the durations of the tasks done
        so far; None when there is neither. Costs the number of active tasks, not of all tasks."""
        with self._lock:
            fallback = self._known_mean
            if fallback is None and self._observed_n:
                fallback = self._observed / self._observed_n
            remaining = 0.0
            for task_id, row in self._active.items():
                estimate = self.estimates.get(task_id, fallback)
                if estimate is None:
                    return None
                remaining += self._left(row, estimate, now)
            if self._queued_unestimated:
                if fallback is None:
                    return None
                remaining += self._queued_unestimated * fallback
            remaining += self._queued_estimated
            return remaining / max(len(self._active), 1)

    @staticmethod
    def _left(row: Row, estimate: float, now: float) -> float:
        """What an active task has left: its estimate less the time its attempt has run; a retry's attempt
        runs whole again, after the wait before it (not `ETA 0.0s` for as long as the retries take)."""
        if row.state == "retrying":
            waited = now - row.since
            return max((row.retry_in or 0.0) - waited, 0.0) + estimate
        since = row.since if row.attempt > 1 else (row.started or row.since)
        return max(estimate - (now - since), 0.0)
