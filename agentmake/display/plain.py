"""Line-per-change output for pipes, CI and dumb terminals (no control codes), and the silent mode.

Lines to a real file (stderr, a pipe) are buffered and written at most every `FLUSH_INTERVAL` seconds, at
once on a failure or retry, and at close: one write per line with a flush each costs about a millisecond per
task on a fast build (and holds the GIL the workers need). In-memory streams get each line at once, and so
does every stream under `-v`, whose agents' output is streamed to stderr as it comes: a batched line would
reach it after the output it announces.

Tasks up to date are not named one by one, as make names none: those found up to date before the build
starts are told as one line, `[   0.0s] 998 up to date`, written before the next line (a build with nothing
else to say, a whole no-op, leaves it to its summary line, as the build stamp's no-op does), and one found up
to date later says so only when it has something to tell (`its outputs in place pass the new check`). `-v`
names each.
"""

from __future__ import annotations

import atexit
import io
import re
import sys
import time
import weakref
from collections.abc import Sequence
from typing import TextIO

from agentmake.display.base import cost_places, logs_line, prompt_line, summary_lines
from agentmake.display.fmt import (
    fmt_duration,
    is_term_safe,
    message_shown,
    state_words,
    term_lines,
    term_safe,
)
from agentmake.natorder import natural_key
from agentmake.scheduler.events import BuildResult, TaskEvent

FLUSH_INTERVAL = 0.1  # seconds
_URGENT = frozenset({"failed", "retrying", "interrupted"})
# every task starts pending, and waiting only says it has dependencies: lines for them are written with -v
QUIET = frozenset({"pending", "waiting"})
_CAP = re.compile(r"cap for (\S+) (lowered|raised) to (\d+)")


def cap_change(event: TaskEvent) -> str | None:
    """`cap for claude lowered to 2` when the event's action reports a change of a runner's parallel cap."""
    if not event.action:  # (nearly every event: no action to search)
        return None
    match = _CAP.search(event.action)
    return term_safe(match.group(0)) if match else None


def describe(event: TaskEvent) -> str:
    """What follows the task id on a state-change line: attempt, retry delay, the first line of the failure
    message (made safe for a terminal: `term_safe`), or of what kept a task that was started up to date (its
    outputs in place passed its new check: `Decision.recheck`)."""
    parts: list[str] = []
    if event.state == "running" and event.attempt > 1:
        parts.append(f"attempt {event.attempt}/{event.max_attempts or '?'}")
    if event.state == "retrying":
        nxt = f"attempt {event.attempt + 1}/{event.max_attempts or '?'}"
        if event.retry_in is not None:
            nxt += f", next in {fmt_duration(event.retry_in)}"
        parts.append(nxt)
    if event.message and event.state in (
        "retrying",
        "failed",
        "not-run",
        "interrupted",
        "done",
        "up-to-date",
    ):
        first = message_shown(event.state, event.message)
        if first != state_words(event.state):  # (`interrupted translate:a`, not `… translate:a  interrupted`)
            parts.append(first)
    if not parts:  # (a first attempt's start, a success: nothing to add)
        return ""
    return ": ".join(p for p in parts if p)


class PlainDisplay:
    """`[  3.2s] done        translate:intro`: one line per state change, written as it happens, the state
    in words (`up to date`, `not run`: `state_words`); the `QUIET` states (pending, waiting) and a line per
    task up to date only when `verbose` (else one `[   0.0s] 998 up to date` line: see the module's)."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        summary_stream: TextIO | None = None,
        start: float | None = None,
        verbose: bool = False,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.summary_stream = summary_stream if summary_stream is not None else sys.stdout
        self.start = start
        self._quiet = frozenset() if verbose else QUIET
        self._each = verbose  # a line per task up to date, not one line counting them
        self._held: str | None = None  # that line, until another is written (`_write`)
        self._last: dict[str, tuple[str, int]] = {}
        batched = _is_file(self.stream) and not verbose  # (-v: in order with the agents' streamed lines)
        self._buffer: list[str] | None = [] if batched else None
        self._flushed = time.monotonic()
        self._latest = 0.0  # the latest time a line said: a line never says an earlier one (`_seconds`)
        if self._buffer is not None:
            atexit.register(_flush_at_exit, weakref.ref(self))

    def __call__(self, event: TaskEvent) -> None:
        if self.start is None:
            self.start = event.time
        if event.state in self._quiet:
            return
        mark = (event.state, event.attempt)
        if self._last.get(event.task_id) == mark:
            return
        self._last[event.task_id] = mark
        extra = describe(event)
        if event.state == "up-to-date" and not (extra or self._each):  # (nothing to tell: see the module's)
            return
        stamp = f"[{self._seconds(event.time):6.1f}s]"
        line = f"{stamp} {state_words(event.state):<11} {term_safe(event.task_id)}"
        self._write(line + (f"  ({extra})" if extra else ""))
        cap = cap_change(event)
        if cap is not None:  # (a server's overload lowers the cap too: said as what it was)
            why = "overloaded" if event.error_type == "overloaded" else "rate limit"
            self._write(f"{stamp} {why:<11} {cap}")
        if event.state in _URGENT:
            self.flush()

    def _seconds(self, when: float) -> float:
        """The seconds since the start a line says of an event at `when`: never fewer than the line before
        said. Events reach the display in the order they are told, which is not always the order of their
        times (a start is timed before its process is spawned, and a worker's end may be told meanwhile): a
        log whose times went back (`[0.4s] done a`, then `[0.3s] running b`) read as out of order."""
        assert self.start is not None
        self._latest = max(self._latest, when - self.start)
        return self._latest

    def up_to_date(self, task_ids: Sequence[str], when: float) -> None:
        """Tasks found up to date before the build starts: one line counting them, held until another line
        is written (`[   0.0s] 998 up to date`); when verbose, the lines of a "pending" and an "up-to-date"
        event for each task, as one batch (`pending`, `up to date`)."""
        if self.start is None:
            self.start = when
        stamp = f"[{self._seconds(when):6.1f}s]"
        if not self._each:
            self._release()  # (an earlier count, if any: each is said as it was)
            self._held = f"{stamp} {len(task_ids)} up to date" if task_ids else None
            return
        last = self._last
        lines = []
        safe = _safe_ids(task_ids)
        for state in ("pending", "up-to-date"):
            if state in self._quiet:
                continue
            mark = (state, 0)
            for task_id, shown in zip(task_ids, safe, strict=True):
                if last.get(task_id) != mark:
                    last[task_id] = mark
                    lines.append(f"{stamp} {state_words(state):<11} {shown}")
        if self._buffer is None:
            self.stream.write("".join(line + "\n" for line in lines))
            self.stream.flush()
        else:
            self._buffer.extend(lines)

    def tick(self) -> None:
        """Write buffered lines once they are `FLUSH_INTERVAL` old."""
        if self._buffer and time.monotonic() - self._flushed >= FLUSH_INTERVAL:
            self.flush()

    def close(self, result: BuildResult) -> None:
        for line in summary_lines(result):
            self._write(line)
        self.flush()
        # (its total with the table's decimals: the rows above add up to it)
        print(result.summary_line(cost_places(result)[0]), file=self.summary_stream, flush=True)

    def abort(self, why: str) -> None:
        """The build ended with an error before it had a result (`Fanout.abort`): the lines buffered so far
        (and the count of tasks up to date) are written now, before the error that is printed next (not
        after it, when the process exits)."""
        self._release()
        self.flush()

    def flush(self) -> None:
        """Write every buffered line now."""
        self._flushed = time.monotonic()
        if self._buffer:
            text = "\n".join(self._buffer) + "\n"
            self._buffer.clear()
            self.stream.write(text)
        self.stream.flush()

    def _release(self) -> None:
        """Write the held count of tasks up to date (`up_to_date`), if any."""
        held, self._held = self._held, None
        if held is not None:
            self._write(held)

    def _write(self, line: str) -> None:
        if self._held is not None:
            self._release()
        if self._buffer is None:
            self.stream.write(line + "\n")
            self.stream.flush()
            return
        self._buffer.append(line)
        if time.monotonic() - self._flushed >= FLUSH_INTERVAL:
            self.flush()


def _safe_ids(task_ids: Sequence[str]) -> Sequence[str]:
    """`task_ids` made safe for a terminal (`term_safe`), checked at once (nearly always nothing to do)."""
    if is_term_safe("".join(task_ids)):
        return task_ids
    return [term_safe(task_id) for task_id in task_ids]


def _flush_at_exit(ref: weakref.ReferenceType[PlainDisplay]) -> None:
    display = ref()
    if display is not None:
        display.flush()


def _is_file(stream: TextIO) -> bool:
    """Whether `stream` writes to a file descriptor (then writes are syscalls worth batching)."""
    try:
        stream.fileno()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return False
    return True


class SilentDisplay:
    """`-s`: nothing but failures (as they happen, with their message) and the final summary line."""

    def __init__(self, stream: TextIO | None = None, *, summary_stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.summary_stream = summary_stream if summary_stream is not None else sys.stdout
        self._reported: set[str] = set()

    def __call__(self, event: TaskEvent) -> None:
        if event.state != "failed" or event.task_id in self._reported:
            return
        self._reported.add(event.task_id)
        self.stream.write(f"agentmake: {term_safe(event.task_id)} failed: {_message(event.message)}\n")
        self.stream.flush()

    def up_to_date(self, task_ids: Sequence[str], when: float) -> None:
        """Nothing to say about tasks that are up to date."""

    def tick(self) -> None:
        """Nothing to refresh."""

    def close(self, result: BuildResult) -> None:
        for task_id in sorted(result.outcomes, key=natural_key):
            if result.outcomes[task_id].state == "failed" and task_id not in self._reported:
                message = _message(result.outcomes[task_id].message)
                self.stream.write(f"agentmake: {term_safe(task_id)} failed: {message}\n")
        for task_id in sorted(
            result.outcomes, key=natural_key
        ):  # (once the build ended: where to look at what they printed)
            outcome = result.outcomes[task_id]
            logs = logs_line(result, outcome) if outcome.state == "failed" else None
            if logs:
                self.stream.write(f"agentmake: {term_safe(task_id)} {logs}\n")
            prompt = prompt_line(result, outcome) if outcome.state == "failed" else None
            if prompt:
                self.stream.write(f"agentmake: {term_safe(task_id)} {prompt}\n")
        self.stream.flush()
        print(result.summary_line(), file=self.summary_stream, flush=True)


def _message(message: str | None) -> str:
    """A failure message as silent mode shows it: its lines, each made safe for a terminal."""
    return "\n".join(term_lines((message or "failed").strip())) or "failed"
