"""What the live view draws (`display.live`): a finished task's permanent line, the table of active and
queued tasks, and the progress line with its counts and ETA; each from the rows it is given, none of them
keeping state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import islice

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.measure import Measurement
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from agentmake.display.base import NARROWEST_TASK_COLUMN
from agentmake.display.fmt import (
    FINISHED,
    SYMBOLS,
    cell_width,
    cut_middle,
    fmt_duration,
    message_shown,
    state_words,
    term_safe,
)
from agentmake.display.plain import describe
from agentmake.scheduler.events import TaskEvent

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
KEPT_OF_ID = 30  # columns of a task id a finished line keeps before it lets a detail after it wrap


@dataclass
class Row:
    """A task as the live view knows it, from its latest event."""

    state: str
    since: float  # when it entered `state`
    started: float | None = None  # first time it ran
    attempt: int = 0
    max_attempts: int = 0
    retry_in: float | None = None
    message: str | None = None
    ran: float | None = None  # a finished task's time (`TaskEvent.ran`)
    seq: int = 0  # order of first news (the order of the queued rows in the table)


def one_line(text: str, style: str = "") -> Text:
    """A table cell that is cut short (`…`) rather than wrapped: `task_table` counts a row as one line, and a
    wrapped retry message would push the progress line out of the terminal (Live crops what is too tall)."""
    return Text(text, style=style, no_wrap=True, overflow="ellipsis")


class TaskCell:
    """A task id as a table cell: cut in the middle (`cut_middle`) to the width its column is given, not at
    its end, so that the tasks of one fan-out (`translate:a_very_long_name_1`, `_2`) stay apart when the
    terminal is narrow; on one line, as `one_line`."""

    def __init__(self, text: str, style: str = "") -> None:
        self.text, self.style = text, style

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(1, cell_width(self.text))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield Text(cut_middle(self.text, options.max_width), style=self.style, no_wrap=True, overflow="crop")


def finished_line(task_id: str, row: Row, console: Console) -> Text:
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
    if console.is_terminal:
        room = console.size.width - text.cell_len - len(took)
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


def row_detail(row: Row, now: float) -> str:
    """What an active row shows after its id: how long it has run, its attempt, its retry's wait."""
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
            text += f": {message_shown(row.state, row.message)}"
        return text
    return ""


def task_table(active: Mapping[str, Row], queued: Mapping[str, Row], height: int, now: float) -> Table:
    """The table: the active tasks (by when they started), then as many queued ones (in `queued`'s order)
    as fit in `height` rows: the work is in the rows shown, not in the number of tasks."""
    order = sorted(active, key=lambda t: (active[t].started or active[t].since, t))
    table = Table.grid(padding=(0, 1))
    # the task and detail columns are narrowed to fit, their texts cut short; the symbol and state
    # columns never are (`no_wrap`: rich narrows the others first, down to nothing if it must)
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column()
    table.add_column()
    for task_id in order:
        row = active[task_id]
        symbol = SPINNER[int(now * 10) % len(SPINNER)] if row.state == "running" else SYMBOLS[row.state]
        table.add_row(
            Text(symbol, style=STYLES[row.state]),
            Text(state_words(row.state), style=STYLES[row.state]),
            TaskCell(term_safe(task_id)),
            one_line(row_detail(row, now), style="dim"),
        )
    waiting = len(queued)
    room = max(height - len(order), 0)
    shown = room if waiting <= room else max(room - 1, 0)
    for task_id, row in islice(queued.items(), shown):
        table.add_row(
            Text(SYMBOLS[row.state], style="dim"),
            Text(row.state, style="dim"),
            TaskCell(term_safe(task_id), style="dim"),
            "",
        )
    if shown < waiting:  # (in the task column: in the state column it would widen it for every row)
        table.add_row("", "", one_line(f"… {waiting - shown} more queued", style="dim"), "")
    return table


def progress_line(
    counts_by_state: Mapping[str, int], total: int, eta: float | None, width: int
) -> RenderableType:
    """The bar, `finished/total`, the count of each state there is, and the ETA, on one line of `width`."""
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
    if eta is not None and finished < total:
        counts.append(f"  ETA {fmt_duration(eta)}", style="bold")
    counts.no_wrap, counts.overflow = True, "ellipsis"
    # one line too: the bar gives up columns to the counts on a narrow terminal
    bar = min(30, max(width - counts.cell_len - 1, 10))
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=bar)
    grid.add_column()
    grid.add_row(ProgressBar(total=max(total, 1), completed=finished, width=bar), counts)
    return grid
