"""The interactive terminal view: a bounded live table of active tasks, a progress bar with an ETA, and a
permanent line above it for every finished task. Redrawn only on events and ticks (no redraw thread)."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TextIO

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from agentmake.display.base import summary_lines
from agentmake.display.fmt import ACTIVE, FINISHED, SYMBOLS, fmt_duration
from agentmake.display.plain import cap_change, describe
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
WORDS = {"up-to-date": "up to date", "not-run": "not run"}


@dataclass
class _Row:
    state: str
    since: float  # when it entered `state`
    started: float | None = None  # first time it ran
    attempt: int = 0
    max_attempts: int = 0
    retry_in: float | None = None
    message: str | None = None


class LiveDisplay:
    """A `rich.live.Live(auto_refresh=False)` redrawn by `__call__` and `tick()`. `close()` stops it and
    prints the full summary (as the plain display does) and the summary line (to `summary_stream`)."""

    def __init__(
        self,
        console: Console | None = None,
        *,
        summary_stream: TextIO | None = None,
        estimates: Mapping[str, float] | None = None,
        transient: bool = True,
        max_rows: int | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.console = console if console is not None else Console(file=sys.stderr)
        self.summary_stream = summary_stream if summary_stream is not None else sys.stdout
        self.estimates = dict(estimates or {})
        self.max_rows = max_rows
        self.clock = clock
        self.rows: dict[str, _Row] = {}
        self._lock = threading.RLock()
        self._live = Live(
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
                self.rows.setdefault(task_id, _Row("pending", now))

    def __call__(self, event: TaskEvent) -> None:
        with self._lock:
            if self._closed:
                return
            row = self.rows.get(event.task_id)
            if row is None:
                row = self.rows[event.task_id] = _Row(event.state, event.time)
            changed = row.state != event.state or row.attempt != event.attempt
            row.state, row.since = event.state, event.time
            row.attempt, row.max_attempts = event.attempt, event.max_attempts
            row.retry_in, row.message = event.retry_in, event.message
            if event.state == "running" and row.started is None:
                row.started = event.time
            if not self._started:
                self._live.start()
                self._started = True
            if changed and event.state in FINISHED and event.state != "up-to-date":
                self.console.print(self._finished_line(event.task_id, row), highlight=False)
            cap = cap_change(event)
            if changed and cap is not None:
                self.console.print(Text(f"! {cap}", style="yellow"), highlight=False)
            self._live.refresh()

    def tick(self) -> None:
        with self._lock:
            if self._started and not self._closed:
                self._live.refresh()

    def close(self, result: BuildResult) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._started:
                self._live.stop()
            for line in summary_lines(result):
                self.console.print(Text(line), highlight=False)
        print(result.summary_line(), file=self.summary_stream, flush=True)

    # rendering

    def _finished_line(self, task_id: str, row: _Row) -> Text:
        text = Text()
        text.append(f"{SYMBOLS[row.state]} {WORDS.get(row.state, row.state):<11} ", style=STYLES[row.state])
        text.append(task_id)
        if row.started is not None and row.state in ("done", "failed"):
            text.append(f"  {fmt_duration(row.since - row.started)}", style="dim")
        detail = describe(
            TaskEvent(task_id, row.state, row.since, row.attempt, row.max_attempts, row.retry_in, row.message)
        )
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
                text += f": {row.message.strip().splitlines()[0] if row.message.strip() else ''}"
            return text
        return ""

    def _render(self) -> RenderableType:
        with self._lock:
            now = self.clock()
            height = self.max_rows if self.max_rows is not None else max(self.console.size.height - 4, 3)
            active = sorted(
                (t for t, r in self.rows.items() if r.state in ACTIVE),
                key=lambda t: (self.rows[t].started or self.rows[t].since, t),
            )
            queued = [t for t, r in self.rows.items() if r.state in ("pending", "waiting")]
            table = Table.grid(padding=(0, 1))
            for _ in range(4):
                table.add_column()
            for task_id in active:
                row = self.rows[task_id]
                symbol = (
                    SPINNER[int(now * 10) % len(SPINNER)] if row.state == "running" else SYMBOLS[row.state]
                )
                table.add_row(
                    Text(symbol, style=STYLES[row.state]),
                    Text(WORDS.get(row.state, row.state), style=STYLES[row.state]),
                    Text(task_id),
                    Text(self._detail(row, now), style="dim"),
                )
            room = max(height - len(active), 0)
            shown = queued[:room] if len(queued) <= room else queued[: max(room - 1, 0)]
            for task_id in shown:
                row = self.rows[task_id]
                table.add_row(
                    Text(SYMBOLS[row.state], style="dim"),
                    Text(row.state, style="dim"),
                    Text(task_id, style="dim"),
                    "",
                )
            if len(shown) < len(queued):
                table.add_row("", Text(f"… {len(queued) - len(shown)} more queued", style="dim"), "", "")
            return Group(table, self._progress(now, active))

    def _progress(self, now: float, active: list[str]) -> RenderableType:
        total = len(self.rows)
        finished = sum(1 for r in self.rows.values() if r.state in FINISHED)
        counts = Text()
        counts.append(f"{finished}/{total}")
        for state in ("done", "cached", "up-to-date", "failed", "not-run"):
            n = sum(1 for r in self.rows.values() if r.state == state)
            if n:
                counts.append(f"  {SYMBOLS[state]} {n} {WORDS.get(state, state)}", style=STYLES[state])
        for state in ("running", "retrying"):
            n = sum(1 for t in active if self.rows[t].state == state)
            if n:
                counts.append(f"  {n} {state}", style=STYLES[state])
        eta = self.eta(now)
        if eta is not None and finished < total:
            counts.append(f"  ETA {fmt_duration(eta)}", style="bold")
        grid = Table.grid(padding=(0, 1))
        grid.add_column(width=30)
        grid.add_column()
        grid.add_row(ProgressBar(total=max(total, 1), completed=finished, width=30), counts)
        return grid

    def eta(self, now: float) -> float | None:
        """Remaining seconds from recorded mean durations (`estimates`), spread over the tasks running now."""
        with self._lock:
            known = list(self.estimates.values())
            observed = [
                r.since - r.started for r in self.rows.values() if r.state == "done" and r.started is not None
            ]
            fallback_pool = known or observed
            fallback = sum(fallback_pool) / len(fallback_pool) if fallback_pool else None
            remaining = 0.0
            running = 0
            for task_id, row in self.rows.items():
                if row.state in FINISHED:
                    continue
                estimate = self.estimates.get(task_id, fallback)
                if estimate is None:
                    return None
                if row.state in ACTIVE:
                    running += 1
                    remaining += max(estimate - (now - (row.started or row.since)), 0.0)
                else:
                    remaining += estimate
            return remaining / max(running, 1)
