"""`.agentmake/status.md`: a Markdown view of the current build kept up to date on disk while it runs.

Each write replaces the file atomically (temporary file + `os.replace`), at most every `interval` seconds and
never more often than `cost_factor` times what the last write took (so on a huge build it costs a bounded
share of the time), but always on a failure, a retry and at `close()`. Readers (a person, an editor, an agent)
never see half a file. Rendering is incremental: a task's table row is formatted again only when it changes.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from agentmake.display.fmt import agent_name, fmt_cost, fmt_duration, fmt_tokens, md_cell, md_table
from agentmake.scheduler.events import BuildResult, TaskEvent

URGENT = frozenset({"failed", "retrying", "interrupted"})
_TASK_HEADER = md_table(["task", "state", "attempts", "duration", "cost", "tokens"], [])
_ERROR_HEADER = md_table(["time", "agent", "task", "error type", "description", "action taken"], [])


@dataclass
class _Task:
    state: str
    attempts: int = 0
    started: float | None = None
    ended: float | None = None
    cost: float | None = None
    tokens: str = ""
    message: str | None = None
    row: str | None = None  # the formatted table row; None when it must be formatted again

    def format_row(self, task_id: str) -> str:
        if self.row is None:
            duration = None
            if self.started is not None and self.ended is not None:
                duration = self.ended - self.started
            cells = [task_id, self.state, self.attempts or "", fmt_duration(duration), fmt_cost(self.cost)]
            self.row = _md_row([*cells, self.tokens])
        return self.row


@dataclass
class _Error:
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

    def __call__(self, event: TaskEvent) -> None:
        if self.started_at is None:
            self.started_at = event.time
        task = self.tasks.setdefault(event.task_id, _Task(event.state))
        task.row = None
        task.state = event.state
        task.attempts = max(task.attempts, event.attempt)
        if event.state == "running" and task.started is None:
            task.started = event.time
        if event.state in ("done", "failed", "interrupted") and task.started is not None:
            task.ended = event.time
        if event.message and event.state in ("failed", "retrying", "not-run", "interrupted"):
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
        if event.state in URGENT or self._due():
            self.flush()

    def tick(self) -> None:
        if self._dirty and self._due():
            self.flush()

    def close(self, result: BuildResult) -> None:
        self._result = result
        for task_id, outcome in result.outcomes.items():
            task = self.tasks.setdefault(task_id, _Task(outcome.state))
            task.row = None
            task.state = outcome.state
            task.attempts = max(task.attempts, outcome.attempts)
            task.started = outcome.started_at if outcome.started_at is not None else task.started
            task.ended = outcome.ended_at if outcome.ended_at is not None else task.ended
            task.cost = outcome.cost_usd
            task.tokens = fmt_tokens(outcome.tokens_in, outcome.tokens_out)
            task.message = outcome.message or task.message
        if self.started_at is None:
            self.started_at = result.started_at
        self.flush()

    def _due(self) -> bool:
        if self._last_write is None:
            return True
        return self.clock() - self._last_write >= max(self.interval, self.cost_factor * self._last_cost)

    def flush(self) -> None:
        """Write the file now (atomically)."""
        began = time.perf_counter()
        if not self._dir_made:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._dir_made = True
        text = self.render()
        try:
            fd, tmp = tempfile.mkstemp(prefix=".status-", suffix=".tmp", dir=self.path.parent)
        except FileNotFoundError:  # the directory was removed during the build
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".status-", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._last_write = self.clock()
        self._last_cost = time.perf_counter() - began
        self._dirty = False

    def render(self) -> str:
        result = self._result
        lines = ["# agentmake status", ""]
        if self.started_at is not None:
            lines.append(f"Build started {_clock(self.started_at)}.")
        if result is not None:
            lines.append(f"Finished: {result.summary_line().removeprefix('agentmake: ')}.")
        else:
            counts: dict[str, int] = {}
            for task in self.tasks.values():
                counts[task.state] = counts.get(task.state, 0) + 1
            lines.append("Running: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) + ".")
        lines += ["", "## Tasks", "", _TASK_HEADER]
        lines += [task.format_row(task_id) for task_id, task in self.tasks.items()]
        lines += ["", "## Error log", ""]
        if self.errors:
            for e in self.errors[len(self._error_rows) :]:
                cells = [_clock(e.time), agent_name(e.task_id), e.task_id, e.error_type, e.description]
                self._error_rows.append(_md_row([*cells, e.action]))
            lines += [_ERROR_HEADER, *self._error_rows]
        else:
            lines.append("No errors.")
        failed = [(t, task) for t, task in self.tasks.items() if task.state == "failed" and task.message]
        if failed:
            lines += ["", "## Failures", ""]
            for task_id, task in failed:
                lines += [f"### {task_id}", "", _fence((task.message or "").strip()), ""]
        return "\n".join(lines).rstrip("\n") + "\n"


def _md_row(cells: list[object]) -> str:
    """One row of `md_table` (same escaping)."""
    return "| " + " | ".join(md_cell(c) for c in cells) + " |"


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
