"""The state every ending of a task touches (`Ending`, the base of `outcomes.Outcomes` and of `failing` and
`spending`), and how an ending is told: its attempt row (`_record`) and its event (`_finish`, `_emit`).
All of it runs on the scheduler thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentmake.scheduler.events import TaskEvent
from agentmake.store import AttemptRecord
from agentmake.store.records import runs_extra

if TYPE_CHECKING:
    from agentmake.graph import Graph
    from agentmake.plan import Hasher
    from agentmake.scheduler.control import BuildControl
    from agentmake.scheduler.discard import Discard
    from agentmake.scheduler.events import BuildResult
    from agentmake.scheduler.gate import CallGate
    from agentmake.scheduler.limits import Limits
    from agentmake.scheduler.ready import ReadyQueue
    from agentmake.scheduler.run import BuildOptions
    from agentmake.scheduler.tasks import TaskState
    from agentmake.store import Store


class Ending:
    """What every ending of a task reads and writes; `loop.Build` sets it."""

    graph: Graph
    store: Store
    options: BuildOptions
    sink: Callable[[TaskEvent], None]
    control: BuildControl | None
    tasks: dict[str, TaskState]
    undecided: ReadyQueue
    result: BuildResult
    run_id: int
    stop_reason: str | None
    stopped_by: str  # the first signal that stopped the build, as status tells it: "Ctrl-C", "SIGTERM"...
    replanned: str | None  # why watch mode stopped the build for a new plan (`BuildControl.replan`)
    root: Path
    hasher: Hasher
    limits: Limits
    discard: Discard  # old outputs replaced by results, unlinked off this thread
    gate: CallGate  # whether LLM agents may still be called: the budget, runners refused (`RUNNER_WIDE`)
    deferred: list[TaskEvent] | None = None  # events held back from the sink meanwhile (`_handle_all`)
    not_run: list[TaskEvent] | None = None  # not-run events told together, in order (`_emit`; `Build`'s)

    def _record(self, t: TaskState, state: str, now: float, **extra: Any) -> None:
        out = t.outcome
        started = out.started_at if out.started_at is not None else now
        record = AttemptRecord(
            self.run_id, t.id, state, started, now, t.attempt, out.cost_usd, out.tokens_in, out.tokens_out,
            **extra,
        )  # fmt: skip
        if len(out.runs) > 1:  # (its span holds waits between attempts: what ran is kept beside it)
            record.extra["runs"] = runs_extra(out.runs)
        if t.after is not None:  # (what it waited for: the report's critical path, `report.summary`)
            record.extra["after"] = list(t.after)
        self.store.record_attempt(record)

    def _finish(self, t: TaskState, state: str, **fields: Any) -> None:
        if t.outcome.ended_at is None or state != "cached":
            t.outcome.ended_at = time.time()
        if t.outcome.runs and state in ("done", "failed", "interrupted"):
            fields.setdefault("ran", t.outcome.run_time)
        if fields.get("message") is not None:
            t.outcome.message = fields["message"]
        self._emit(t, state, **fields)

    def _emit(self, t: TaskState, state: str, **fields: Any) -> None:
        t.outcome.state = state
        event = TaskEvent(t.id, state, time.time(), **fields)
        if self.deferred is not None:
            self.deferred.append(event)
        elif state == "not-run" and self.not_run is not None:
            self.not_run.append(event)  # (told with the next other event, or as the build waits or ends)
        else:
            if self.not_run:
                self._tell_not_run()
            self.sink(event)

    def _tell_not_run(self) -> None:
        """The not-run events held (`_emit`), in natural order of their tasks, as the summary names them:
        a budget refusing tasks one by one, or the final sweep, told them in the order of the ready queue
        or of the task table (`review:mod11` before `review:mod3`). Each run of them is sorted once."""
        from agentmake.natorder import natural_key

        held, self.not_run = self.not_run or [], []
        held.sort(key=lambda event: natural_key(event.task_id))
        for event in held:
            self.sink(event)
