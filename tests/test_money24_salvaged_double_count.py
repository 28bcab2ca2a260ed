"""A salvaged answer whose spend an earlier build reported (its key file noted so: `salvage.note_reported`),
found with another earlier answer no build reported whose record as found failed (`earlier.record_found`:
the database busy, a full disk), so that this build counts that one as its attempt ends
(`Spending._add_rejected`): the salvaged answer's history row ("cached") does not say this build paid for it
(`paid_earlier`). Before, any spend counted for a rejected answer marked it so: the report's cost, and the
next build's summary line if this build was killed before it ended (`Journal.spend_unsummed`), counted the
salvaged answer's spend a second time (`Outcomes._record_done`)."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from agentmake.graph import Task
from agentmake.model import AgentSpec, Prompt
from agentmake.plan import Decision
from agentmake.runners import AttemptResult
from agentmake.scheduler.events import TaskOutcome
from agentmake.scheduler.gate import CallGate
from agentmake.scheduler.outcomes import Outcomes
from agentmake.scheduler.tasks import TaskState
from agentmake.store import Store, TaskRecord

KILLED_AT = 1796631869.418779  # when the killed build's attempt that paid for the unused answer started
REPORTED = 0.02  # the salvaged answer's cost, reported by the build that recorded it
UNUSED = 0.03  # the other answer's, reported by no build


class _Build(Outcomes):
    """The ending half of a build, on a real store (no loop)."""

    def __init__(self, store: Store, run_id: int) -> None:
        self.store, self.run_id, self.root = store, run_id, store.root
        self.gate = CallGate(None)
        self.result = SimpleNamespace(budget_reached=False, cut_short={}, uncounted=set())
        self.options = SimpleNamespace(budget=None)


def _task() -> TaskState:
    spec = AgentSpec("t", ("docs/a.md",), ("build/a.md",), prompt=Prompt("do it"))
    task = Task("t", "t", "agent", ("docs/a.md",), ("build/a.md",), spec)
    decision = Decision("t", "run", key="k", recorded=True)
    return TaskState(task, "claude", True, 3, 0, TaskOutcome("t", "running"), decision=decision, attempt=1)


def _salvaged(logs: Path) -> AttemptResult:
    unused = AttemptResult(
        "retry", cost_usd=UNUSED, tokens_in=30, tokens_out=3, salvaged=True, paid_by=logs / "t.1",
        paid_at=KILLED_AT,
    )  # fmt: skip
    return AttemptResult(
        "ok", cost_usd=REPORTED, tokens_in=20, tokens_out=2, salvaged=True, paid_by=logs / "t.2",
        paid_at=None, rejected=[unused],
    )  # fmt: skip


def test_a_reported_salvaged_answer_is_not_counted_again_with_an_unrecorded_unused_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store.open(tmp_path) as store:
        monkeypatch.setattr(store, "record_found", lambda *a: False)  # (still failing as the attempt ends)
        made = store.begin_run()  # (the build that made the salvaged answer, and reported it)
        store.record_success(_record(made), {})
        store.end_run(made, {"done": 1})
        run = store.begin_run()  # (killed before it ends: its summary line never printed)
        build, t = _Build(store, run), _task()
        result = _salvaged(tmp_path)
        build._add_cost(t, result)  # (the unused answer's record as found failed: counted now)
        assert t.outcome.cost_usd == pytest.approx(UNUSED)
        assert t.outcome.paid_earlier == pytest.approx(UNUSED)
        now = time.time()
        build._record_done(t, result, {}, now, now, note=False)
    with Store.open(tmp_path) as store:
        [row] = [a for a in store.attempts(run) if a.task_id == "t"]
        assert row.state == "cached" and row.cost_usd == pytest.approx(REPORTED)
        assert not row.extra.get("paid_earlier"), row  # (before: True, counted a second time)
        assert store.spend_unsummed(None) == []  # (the next build's line: not the reported answer's spend)


def _record(run_id: int) -> TaskRecord:
    return TaskRecord("t", "k", {}, {}, "done", KILLED_AT - 10, 1.0, 1, REPORTED, 20, 2, run_id)


def test_an_unreported_salvaged_answer_still_says_this_build_paid_for_it(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        run = store.begin_run()
        build, t = _Build(store, run), _task()
        t.decision = replace(t.decision, recorded=False) if t.decision else None  # (never recorded)
        result = replace(_salvaged(tmp_path), paid_at=KILLED_AT + 5, rejected=[])  # (no build reported it)
        build._add_cost(t, result)
        assert t.outcome.salvaged_unreported and t.outcome.cost_usd == pytest.approx(REPORTED)
        now = time.time()
        build._record_done(t, result, {}, now, now, note=False)
        [row] = store.spend_unsummed(None)  # (killed: the next build's line says it)
        assert (
            row.state == "cached"
            and row.extra.get("paid_earlier")
            and row.cost_usd == pytest.approx(REPORTED)
        )
