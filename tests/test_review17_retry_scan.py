"""Retries in backoff and a runner refused (or the budget reached) for the whole build (`Results.
_release_due_retries`, 9c57411): those it holds back are failed at once, not after their backoff; but the
look that finds them asked `CallGate.why_not` of every retry waiting, on every turn of the build loop (each
decision, each start, each result): 10,000 retries of a 429 storm cost ~17 ms a turn, with no runner refused
at all. The retries are looked at again only when what the gate answers from changed (`CallGate.held`); a
retry pushed once its runner is refused is due at once (`_retry_due`)."""

from __future__ import annotations

import heapq
import subprocess
import time
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.graph import Task
from agentmake.model import AgentSpec, Prompt
from agentmake.plan import Decision
from agentmake.scheduler.events import TaskOutcome
from agentmake.scheduler.gate import CallGate
from agentmake.scheduler.results import Results
from agentmake.scheduler.tasks import TaskState


class _CountingGate(CallGate):
    def __init__(self, budget: float | None) -> None:
        super().__init__(budget)
        self.asked = 0

    def why_not(self, runner: str | None) -> str | None:
        self.asked += 1
        return super().why_not(runner)


def _task(name: str, runner: str) -> TaskState:
    spec = AgentSpec(name, (), (f"out/{name}.md",), prompt=Prompt("do it"))
    task = Task(name, name, "agent", (), (f"out/{name}.md",), spec)
    decision = Decision(name, "run", key="k", recorded=True)
    outcome = TaskOutcome(name, "running")
    return TaskState(task, runner, True, 3, 0, outcome, decision=decision, attempt=1)


class _Retries(Results):
    """The retries in backoff of a build (no loop): `n` of claude's and `n` of gemini's, due in a minute."""

    def __init__(self, n: int, budget: float | None = None) -> None:
        self.gate = _CountingGate(budget)
        self.stop_reason = None
        self.tasks = {f"{r}{i}": _task(f"{r}{i}", r) for r in ("claude", "gemini") for i in range(n)}
        self.keys = {tid: (i,) for i, tid in enumerate(self.tasks)}  # type: ignore[misc]
        self.parked = {}
        due = time.monotonic() + 60
        self.delayed = [(due, i, tid) for i, tid in enumerate(self.tasks)]
        heapq.heapify(self.delayed)

    def released(self) -> set[str]:
        return {tid for q in self.parked.values() for tid in q.drain()}


def test_retries_waiting_are_not_asked_of_on_every_turn() -> None:
    build = _Retries(500)
    for _ in range(20):  # (20 turns of the loop: decisions, starts, results)
        build._release_due_retries()
    assert build.released() == set()
    assert build.gate.asked <= 1000, f"{build.gate.asked} looks at 1000 retries in 20 turns"


def test_a_refusal_releases_its_runners_retries_at_once() -> None:
    build = _Retries(3)
    build._release_due_retries()
    build.gate.refuse("claude", "quota")
    build._release_due_retries()
    assert build.released() == {"claude0", "claude1", "claude2"}
    assert len(build.delayed) == 3  # (gemini's wait out their backoff)


def test_the_budget_reached_releases_every_llm_retry_at_once() -> None:
    build = _Retries(2, budget=1.0)
    build._release_due_retries()
    build.gate.spend(1.0)
    build._release_due_retries()
    assert build.released() == {"claude0", "claude1", "gemini0", "gemini1"}


REFUSED_FIRST = """\
backoff = 60s

agent broke:
    prompt = "FAKE: fail=quota\\nhello"
    outputs = b.md

agent limited:
    prompt = "FAKE: sleep=2 fail=429\\nhello"
    outputs = a.md
"""


def test_a_retry_pushed_once_its_runner_is_refused_is_not_waited_for(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    """`broke`'s quota refuses claude before `limited`'s 429 (it sleeps 2 s): its retry, pushed then, is
    failed at once."""
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", REFUSED_FIRST)
    try:
        run = e2e.am("-k", "-j", "2", timeout=25)
    except subprocess.TimeoutExpired:
        pytest.fail("the build waited out the backoff of a retry pushed after its runner was refused")
    assert run.code == 1, run
    assert "not retried: runner claude failed for another task" in run.err, run.err
