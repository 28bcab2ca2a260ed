"""What a display sink is (events in, a result at the end), the fan-out helper and the shared end summary."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from agentmake.display.fmt import fmt_cost, fmt_duration
from agentmake.scheduler.events import BuildResult, TaskEvent


@runtime_checkable
class Sink(Protocol):
    """Receives task events (from one thread), may be ticked to refresh elapsed times, and is closed once."""

    def __call__(self, event: TaskEvent) -> None: ...

    def tick(self) -> None: ...

    def close(self, result: BuildResult) -> None: ...


class Fanout:
    """Sends every event, tick and the final result to several sinks, in order."""

    def __init__(self, *sinks: Sink) -> None:
        self.sinks: list[Sink] = list(sinks)

    def add(self, sink: Sink) -> None:
        self.sinks.append(sink)

    def __call__(self, event: TaskEvent) -> None:
        for sink in self.sinks:
            sink(event)

    def tick(self) -> None:
        for sink in self.sinks:
            sink.tick()

    def close(self, result: BuildResult) -> None:
        for sink in self.sinks:
            sink.close(result)


def failure_lines(result: BuildResult) -> list[str]:
    """One line per failed task with its message (continuation lines indented)."""
    lines: list[str] = []
    for task_id in sorted(result.outcomes):
        outcome = result.outcomes[task_id]
        if outcome.state != "failed":
            continue
        message = (outcome.message or "failed").strip().splitlines() or ["failed"]
        attempts = f" after {outcome.attempts} attempts" if outcome.attempts > 1 else ""
        lines.append(f"✗ {task_id}{attempts}: {message[0]}")
        lines.extend("    " + more for more in message[1:])
    return lines


def summary_lines(result: BuildResult) -> list[str]:
    """The full end-of-build summary shown by the live and the plain display (not the summary line itself)."""
    lines: list[str] = []
    ran = [o for o in result.outcomes.values() if o.state in ("done", "failed") and o.started_at]
    if ran:
        lines.append("")
        lines.append(f"{'task':<32} {'state':<11} {'time':>8} {'tries':>5} {'cost':>8}")
        for o in sorted(ran, key=lambda o: (o.started_at or 0.0, o.task_id)):
            duration = (o.ended_at or o.started_at or 0.0) - (o.started_at or 0.0)
            cost = fmt_cost(o.cost_usd)
            row = f"{o.task_id:<32} {o.state:<11} {fmt_duration(duration):>8} {o.attempts:>5} {cost:>8}"
            lines.append(row.rstrip())
    notices = sorted((t, o.notice) for t, o in result.outcomes.items() if o.notice)
    if notices:
        lines.append("")
        lines.extend(f"! {task_id}: {notice}" for task_id, notice in notices)
    failures = failure_lines(result)
    if failures:
        lines.append("")
        lines.append("failures:")
        lines.extend(failures)
    not_run = sorted(t for t, o in result.outcomes.items() if o.state == "not-run")
    if not_run:
        lines.append("")
        lines.append(f"not run ({len(not_run)}): " + _short_list(not_run))
    interrupted = sorted(t for t, o in result.outcomes.items() if o.state == "interrupted")
    if interrupted:
        lines.append(f"interrupted ({len(interrupted)}): " + _short_list(interrupted))
    if result.budget_reached:
        lines.append("budget reached: no further paid tasks were started")
    return lines


def _short_list(items: Iterable[str], limit: int = 10) -> str:
    items = list(items)
    text = ", ".join(items[:limit])
    return text + (f" and {len(items) - limit} more" if len(items) > limit else "")
