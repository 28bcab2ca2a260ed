"""`.agentmake/status.md`: a Markdown view of the current build kept up to date on disk while it runs.

Each write replaces the file atomically (temporary file + `os.replace`), at most every `interval` seconds, but
always on a failure, a retry and at `close()`. Readers (a person, an editor, an agent) never see half a file.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from agentmake.display.fmt import agent_name, fmt_cost, fmt_duration, fmt_tokens, md_table
from agentmake.scheduler.events import BuildResult, TaskEvent

URGENT = frozenset({"failed", "retrying", "interrupted"})


@dataclass
class _Task:
    state: str
    attempts: int = 0
    started: float | None = None
    ended: float | None = None
    cost: float | None = None
    tokens: str = ""
    message: str | None = None


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
    tasks: dict[str, _Task] = field(default_factory=dict)
    errors: list[_Error] = field(default_factory=list)
    started_at: float | None = None
    _result: BuildResult | None = None
    _last_write: float | None = None
    _dirty: bool = False

    def __call__(self, event: TaskEvent) -> None:
        if self.started_at is None:
            self.started_at = event.time
        task = self.tasks.setdefault(event.task_id, _Task(event.state))
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
        return self._last_write is None or self.clock() - self._last_write >= self.interval

    def flush(self) -> None:
        """Write the file now (atomically)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = self.render()
        fd, tmp = tempfile.mkstemp(prefix=".status-", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._last_write = self.clock()
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
        lines += ["", "## Tasks", ""]
        rows: list[list[object]] = []
        for task_id, task in self.tasks.items():
            duration = None
            if task.started is not None and task.ended is not None:
                duration = task.ended - task.started
            rows.append(
                [
                    task_id,
                    task.state,
                    task.attempts or "",
                    fmt_duration(duration),
                    fmt_cost(task.cost),
                    task.tokens,
                ]
            )
        lines.append(md_table(["task", "state", "attempts", "duration", "cost", "tokens"], rows))
        lines += ["", "## Error log", ""]
        if self.errors:
            lines.append(
                md_table(
                    ["time", "agent", "task", "error type", "description", "action taken"],
                    [
                        [
                            _clock(e.time),
                            agent_name(e.task_id),
                            e.task_id,
                            e.error_type,
                            e.description,
                            e.action,
                        ]
                        for e in self.errors
                    ],
                )
            )
        else:
            lines.append("No errors.")
        failed = [(t, task) for t, task in self.tasks.items() if task.state == "failed" and task.message]
        if failed:
            lines += ["", "## Failures", ""]
            for task_id, task in failed:
                lines += [f"### {task_id}", "", _fence((task.message or "").strip()), ""]
        return "\n".join(lines).rstrip("\n") + "\n"


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
