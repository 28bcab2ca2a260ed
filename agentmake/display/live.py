"""The interactive terminal view: a bounded live table of active tasks, a progress bar with an ETA, and a
permanent line above it for every finished task.

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
from dataclasses import dataclass
from itertools import islice
from typing import Any, TextIO

from rich.console import Console, ConsoleOptions, ConsoleRenderable, Group, RenderableType, RenderResult
from rich.live import Live
from rich.measure import Measurement
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from agentmake.display.base import NARROWEST_TASK_COLUMN, summary_lines
from agentmake.display.fmt import (
    ACTIVE,
    FINISHED,
    SYMBOLS,
    cell_width,
    cut_middle,
    fmt_duration,
    state_words,
    term_safe,
)
from agentmake.display.plain import cap_change, describe
from agentmake.runners import suspend
from agentmake.scheduler.events import BuildResult, TaskEvent

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
STYLES = {
    "pending": "dim",
    "waiting": "dim",
    "running": "bold blue",
    "retrying": "yellow",
    "done": "green",
    "failed": "bold red",
    "cached": "cyan",
    "up-to-date": "dim green",
    "not-run": "yellow",
    "interrupted": "magenta",
}
QUEUED = frozenset({"pending", "waiting"})  # events in these states never draw
SHOW_CURSOR = b"\x1b[?25h"  # (DECTCEM, as rich's Control.show_cursor writes it)
KEPT_OF_ID = 30  # columns of a task id a finished line keeps before it lets a detail after it wrap
REFRESH_INTERVAL = 0.2  # seconds: the least time between two drawings caused by events (ticks always draw)


@dataclass
class _Row:
    state: str
    since: float  # when it entered `state`
    started: float | None = None  # first time it ran
    attempt: int = 0
    max_attempts: int = 0
    retry_in: float | None = None
    message: str | None = None
    ran: float | None = None  # a finished task's time (`TaskEvent.ran`)
    seq: int = 0  # order of first news (the order of the queued rows in the table)


def _one_line(text: str, style: str = "") -> Text:
    """A table cell that is cut short (`…`) rather than wrapped: `_render` counts a row as one line, and a
    wrapped retry message would push the progress line out of the terminal (Live crops what is too tall)."""
    return Text(text, style=style, no_wrap=True, overflow="ellipsis")


class _TaskCell:
    """A task id as a table cell: cut in the middle (`cut_middle`) to the width its column is given, not at
    its end, so that the tasks of one fan-out (`translate:a_very_long_name_1`, `_2`) stay apart when the
    terminal is narrow; on one line, as `_one_line`."""

    def __init__(self, text: str, style: str = "") -> None:
        self.text, self.style = text, style

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(1, cell_width(self.text))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield Text(cut_middle(self.text, options.max_width), style=self.style, no_wrap=True, overflow="crop")


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
        self.rows: dict[str, _Row] = {}
        self._lock = threading.RLock()
        # kept up to date by `_enter` and `_leave` (so that nothing scans `rows`)
        self._counts: dict[str, int] = {}
        self._active: dict[str, _Row] = {}  # running or retrying
        self._queued: dict[str, _Row] = {}  # neither active nor finished (pending, waiting), by `seq`
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
                    row = self.rows[task_id] = _Row("pending", now, seq=len(self.rows))
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
                    row = self.rows[task_id] = _Row("up-to-date", when, seq=len(self.rows))
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
                row = self.rows[task_id] = _Row(event.state, event.time, seq=len(self.rows))
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
                self._lines.append(self._finished_line(task_id, row))
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
        print(result.summary_line(), file=self.summary_stream, flush=True)

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

    def _enter(self, task_id: str, row: _Row) -> None:
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

    def _leave(self, task_id: str, row: _Row) -> None:
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

    def _finished_line(self, task_id: str, row: _Row) -> Text:
        """`✓ done        translate:intro,fr  2.0s`, the id cut in the middle when the line would not fit
        the terminal (a word too long for its line, it would be wrapped whole onto the next one, under
        nothing): cut to leave room for a short detail after it (`build interrupted`) too, while the id
        keeps `KEPT_OF_ID` columns; a longer detail (a failure's message) wraps as usual."""
        text = Text()
        text.append(f"{SYMBOLS[row.state]} {state_words(row.state):<11} ", style=STYLES[row.state])
        took = ""
        if row.started is not None and row.state in ("done", "failed"):
            took = f"  {fmt_duration(row.ran if row.ran is not None else row.since - row.started)}"
        detail = describe(
            TaskEvent(task_id, row.state, row.since, row.attempt, row.max_attempts, row.retry_in, row.message)
        )
        shown = term_safe(task_id)
        if self.console.is_terminal:
            room = self.console.size.width - text.cell_len - len(took)
            beside = room - (cell_width(detail) + 2 if detail else 0)
            room = beside if beside >= min(cell_width(shown), KEPT_OF_ID) else room
            if cell_width(shown) > room:
                shown = cut_middle(shown, max(room, NARROWEST_TASK_COLUMN))
        text.append(shown)
        if took:
            text.append(took, style="dim")
        if detail:
            text.append(f"  {detail}", style=STYLES[row.state] if row.state == "failed" else "dim")
        return text

    def _detail(self, row: _Row, now: float) -> str:
        if row.state == "running":
            elapsed = fmt_duration(now - (row.started or row.since)) if row.started else ""
            if row.attempt > 1:
                return f"{elapsed}  attempt {row.attempt}/{row.max_attempts or '?'}"
            return elapsed
        if row.state == "retrying":
            text = f"attempt {row.attempt + 1}/{row.max_attempts or '?'}"
            if row.retry_in is not None:
                text += f", next in {fmt_duration(max(row.retry_in - (now - row.since), 0.0))}"
            if row.message:
                text += f": {term_safe(row.message.strip().splitlines()[0]) if row.message.strip() else ''}"
            return text
        return ""

    def _render(self) -> RenderableType:
        """The table (active tasks, then as many queued ones as fit) and the progress line: the work is in
        the rows shown, not in the number of tasks."""
        with self._lock:
            now = self.clock()
            height = self.max_rows if self.max_rows is not None else max(self.console.size.height - 4, 3)
            rows = self._active
            active = sorted(rows, key=lambda t: (rows[t].started or rows[t].since, t))
            table = Table.grid(padding=(0, 1))
            # the task and detail columns are narrowed to fit, their texts cut short; the symbol and state
            # columns never are (`no_wrap`: rich narrows the others first, down to nothing if it must)
            table.add_column(no_wrap=True)
            table.add_column(no_wrap=True)
            table.add_column()
            table.add_column()
            for task_id in active:
                row = rows[task_id]
                symbol = (
                    SPINNER[int(now * 10) % len(SPINNER)] if row.state == "running" else SYMBOLS[row.state]
                )
                table.add_row(
                    Text(symbol, style=STYLES[row.state]),
                    Text(state_words(row.state), style=STYLES[row.state]),
                    _TaskCell(term_safe(task_id)),
                    _one_line(self._detail(row, now), style="dim"),
                )
            queued = len(self._queued)
            room = max(height - len(active), 0)
            shown = room if queued <= room else max(room - 1, 0)
            for task_id, row in islice(self._queued.items(), shown):
                table.add_row(
                    Text(SYMBOLS[row.state], style="dim"),
                    Text(row.state, style="dim"),
                    _TaskCell(term_safe(task_id), style="dim"),
                    "",
                )
            if shown < queued:  # (in the task column: in the state column it would widen it for every row)
                table.add_row("", "", _one_line(f"… {queued - shown} more queued", style="dim"), "")
            return Group(table, self._progress(now))

    def _progress(self, now: float) -> RenderableType:
        counts_by_state = self._counts
        total = len(self.rows)
        finished = sum(counts_by_state.get(state, 0) for state in FINISHED)
        counts = Text()
        counts.append(f"{finished}/{total}")
        for state in ("done", "cached", "up-to-date", "failed", "not-run", "interrupted"):
            n = counts_by_state.get(state, 0)
            if n:
                counts.append(f"  {SYMBOLS[state]} {n} {state_words(state)}", style=STYLES[state])
        for state in ("running", "retrying"):
            n = counts_by_state.get(state, 0)
            if n:
                counts.append(f"  {n} {state}", style=STYLES[state])
        eta = self.eta(now)
        if eta is not None and finished < total:
            counts.append(f"  ETA {fmt_duration(eta)}", style="bold")
        counts.no_wrap, counts.overflow = True, "ellipsis"
        # one line too: the bar gives up columns to the counts on a narrow terminal
        bar = min(30, max(self.console.size.width - counts.cell_len - 1, 10))
        grid = Table.grid(padding=(0, 1))
        grid.add_column(width=bar)
        grid.add_column()
        grid.add_row(ProgressBar(total=max(total, 1), completed=finished, width=bar), counts)
        return grid

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
    def _left(row: _Row, estimate: float, now: float) -> float:
        """What an active task has left: its estimate less the time its attempt has run; a retry's attempt
        runs whole again, after the wait before it (not `ETA 0.0s` for as long as the retries take)."""
        if row.state == "retrying":
            waited = now - row.since
            return max((row.retry_in or 0.0) - waited, 0.0) + estimate
        since = row.since if row.attempt > 1 else (row.started or row.since)
        return max(estimate - (now - since), 0.0)
