"""Spend against `--budget`, as the build reports it: calls already under way when the budget is reached
finish (and are paid for), so a build may spend more than its budget; the summary says by how much."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.display.base import summary_lines
from agentmake.scheduler.events import BuildResult, TaskOutcome

AGENTFILE = """\
jobs = 3
agent a:
    inputs = docs/{name}.md
    outputs = out/{name}.md
    prompt = "FAKE: label={{ name }} sleep=0.3\\n{{ read(input) }}"
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def test_parallel_calls_past_the_budget_are_said_with_what_was_spent(e2e: E2E) -> None:
    e2e.write("Agentfile", AGENTFILE)
    for name in "xyz":
        e2e.write(f"docs/{name}.md", f"doc {name}\n")
    run = e2e.am("--budget", "0.00001")  # below one call's cost: the three calls in flight all finish
    assert sorted(e2e.calls()) == ["x", "y", "z"], run
    spent = run.summary.cost
    assert spent is not None and spent > 0.00001, run
    assert "budget reached: no further paid tasks were started" in run.err, run
    assert "$0.000010 budget" in run.err and "calls already under way" in run.err, run


def _result(spent: float, budget: float) -> BuildResult:
    result = BuildResult(1, budget_reached=True, budget=budget)
    result.outcomes["a"] = TaskOutcome("a", "done", attempts=1, started_at=1.0, ended_at=2.0, cost_usd=spent)
    return result


def test_a_budget_reached_exactly_is_not_called_overspent() -> None:
    lines = summary_lines(_result(0.5, 0.5))
    assert "budget reached: no further paid tasks were started" in lines
    assert not any("under way" in line for line in lines), lines


def test_spend_over_the_budget_is_said_with_both_amounts() -> None:
    lines = summary_lines(_result(0.75, 0.5))
    over = [line for line in lines if "under way" in line]
    assert over and "$0.75" in over[0] and "$0.50" in over[0], lines


def test_a_budget_reached_says_what_to_do_next() -> None:
    """(newuser3) The summary said the budget was reached, not what then: build again (the budget is per
    build: it goes on with what is left), or raise it."""
    lines = summary_lines(_result(0.5, 0.5))
    at = lines.index("budget reached: no further paid tasks were started")
    assert "next build goes on with what is left" in lines[at + 1] and "--budget" in lines[at + 1], lines


def test_a_budget_passed_by_salvaged_answers_alone_is_not_blamed_on_calls() -> None:
    """Answers salvaged from a killed run that no build reported count against the budget
    (`scheduler.outcomes._add_cost`): when they alone pass it, no call was under way, and the summary says
    only what they cost, not that calls in flight finished past the budget."""
    result = _result(0.0, 0.000001)
    result.outcomes["a"] = TaskOutcome("a", "cached", attempts=1, cost_usd=0.0002, paid_earlier=0.0002)
    lines = summary_lines(result)
    assert not any("under way" in line for line in lines), lines
    assert any("salvaged from an interrupted run" in line for line in lines), lines
    result.outcomes["b"] = TaskOutcome("b", "done", attempts=1, started_at=1.0, ended_at=2.0, cost_usd=0.001)
    assert any("under way" in line for line in summary_lines(result))  # (a call of its own passed it too)
