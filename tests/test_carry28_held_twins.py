"""Whether a task's next attempt is held back as it starts (`Starting._launch`: its runner refused, the budget
reached) and whether a retry in backoff is due at once because it would be (`Results._retry_due`, so that it
is failed now, not after its backoff) are one question (`Starting._held_why`), asked by both; only `_launch`
records that the budget held it (`_budget_spent`). Before, `_retry_due` asked its own copy
(`Results._call_refused`), which left out what `_launch` lets through: a first attempt that may use an
answer already paid for (`may_salvage`), which calls nothing."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import pytest

from agentmake.graph import Task
from agentmake.model import AgentSpec, Prompt
from agentmake.plan import Decision
from agentmake.scheduler.events import TaskOutcome
from agentmake.scheduler.gate import CallGate
from agentmake.scheduler.results import Results
from agentmake.scheduler.tasks import TaskState


class Launched(Exception):
    """`_launch` went past its held-back check."""


class _Build(Results):
    """A build's starting half, no loop: `_launch` either holds the task back or reaches its slot."""

    def __init__(self, gate: CallGate, salvages: bool) -> None:
        self.gate = gate
        self.executor = SimpleNamespace(may_salvage=lambda task, decision: salvages)
        self.result = SimpleNamespace(budget_reached=False)
        self.held: list[str] = []

    def _gone(self, t: TaskState, sources: bool) -> dict[str | None, list[str]]:
        return {}

    def _not_run(self, t: TaskState, reason: str) -> None:
        self.held.append(reason)

    def _fail(self, t: TaskState, *args: Any, **kw: Any) -> None:
        self.held.append(args[2])

    def _waited_for(self, t: TaskState) -> tuple[str, str] | None:
        raise Launched

    @property
    def limits(self) -> Any:
        raise Launched


def _task(llm: bool, attempt: int, recheck: bool) -> TaskState:
    spec = AgentSpec("t", ("docs/a.md",), ("build/a.md",), prompt=Prompt("do it"))
    task = Task("t", "t", "agent", ("docs/a.md",), ("build/a.md",), spec)
    decision = Decision("t", "run", key="k", recorded=True, recheck={"build/a.md": "x"} if recheck else None)
    outcome = TaskOutcome("t", "running", message="rate limited")
    return TaskState(task, "claude", llm, 3, 0, outcome, decision=decision, attempt=attempt)


def _launch_holds(build: _Build, t: TaskState) -> bool:
    try:
        build._launch(t)
    except Launched:
        return False
    assert build.held
    return True


@pytest.mark.parametrize("why", ["refused", "budget", None])
@pytest.mark.parametrize("salvages", [True, False])
@pytest.mark.parametrize("attempt", [0, 1])
@pytest.mark.parametrize(("llm", "recheck"), [(True, False), (True, True), (False, False)])
def test_a_retry_is_due_at_once_exactly_when_its_start_would_be_held(
    why: str | None, salvages: bool, attempt: int, llm: bool, recheck: bool
) -> None:
    gate = CallGate(0.0 if why == "budget" else None)
    if why == "refused":
        gate.refuse("claude", "quota spent")
    asked = _Build(gate, salvages)
    before = time.monotonic()
    due = asked._retry_due(_task(llm, attempt, recheck), 30.0)
    assert not asked.result.budget_reached  # (asking records nothing)
    held = _launch_holds(_Build(gate, salvages), _task(llm, attempt, recheck))
    assert (due - before < 15.0) == held
    expected = why is not None and llm and not recheck and not (attempt == 0 and salvages)
    assert held == expected


def test_only_the_start_records_that_the_budget_held_it() -> None:
    gate = CallGate(0.0)
    build = _Build(gate, salvages=False)
    build._retry_due(_task(True, 1, False), 30.0)
    assert not build.result.budget_reached
    assert _launch_holds(build, _task(True, 1, False))
    assert build.result.budget_reached
    assert [h.split(" of ")[0] for h in build.held] == ["not retried: budget"]
