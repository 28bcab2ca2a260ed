"""Line-per-change output for pipes, CI and dumb terminals (no control codes), and the silent mode."""

from __future__ import annotations

import sys
from typing import TextIO

from agentmake.display.base import summary_lines
from agentmake.display.fmt import fmt_duration
from agentmake.scheduler.events import BuildResult, TaskEvent


def describe(event: TaskEvent) -> str:
    """What follows the task id on a state-change line: attempt, retry delay, failure message."""
    parts: list[str] = []
    if event.state == "running" and event.attempt > 1:
        parts.append(f"attempt {event.attempt}/{event.max_attempts or '?'}")
    if event.state == "retrying":
        nxt = f"attempt {event.attempt + 1}/{event.max_attempts or '?'}"
        if event.retry_in is not None:
            nxt += f", next in {fmt_duration(event.retry_in)}"
        parts.append(nxt)
    if event.message and event.state in ("retrying", "failed", "not-run", "interrupted"):
        parts.append(event.message.strip().splitlines()[0] if event.message.strip() else "")
    return ": ".join(p for p in parts if p)


class PlainDisplay:
    """`[  3.2s] done        translate:intro`: one line per state change, written as it happens."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        summary_stream: TextIO | None = None,
        start: float | None = None,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.summary_stream = summary_stream if summary_stream is not None else sys.stdout
        self.start = start
        self._last: dict[str, tuple[str, int]] = {}

    def __call__(self, event: TaskEvent) -> None:
        if self.start is None:
            self.start = event.time
        mark = (event.state, event.attempt)
        if self._last.get(event.task_id) == mark:
            return
        self._last[event.task_id] = mark
        line = f"[{event.time - self.start:6.1f}s] {event.state:<11} {event.task_id}"
        extra = describe(event)
        self._write(line + (f"  ({extra})" if extra else ""))

    def tick(self) -> None:
        """Nothing to refresh: plain output only changes on events."""

    def close(self, result: BuildResult) -> None:
        for line in summary_lines(result):
            self._write(line)
        print(result.summary_line(), file=self.summary_stream, flush=True)

    def _write(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()


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
        message = (event.message or "failed").strip() or "failed"
        self.stream.write(f"agentmake: {event.task_id} failed: {message}\n")
        self.stream.flush()

    def tick(self) -> None:
        """Nothing to refresh."""

    def close(self, result: BuildResult) -> None:
        for task_id in sorted(result.outcomes):
            if result.outcomes[task_id].state == "failed" and task_id not in self._reported:
                self.stream.write(
                    f"agentmake: {task_id} failed: {result.outcomes[task_id].message or 'failed'}\n"
                )
        self.stream.flush()
        print(result.summary_line(), file=self.summary_stream, flush=True)
