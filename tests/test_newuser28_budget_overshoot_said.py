"""A spend over the budget by less than a rounding was said as none: `budget: $0.0001 spent against a $0.0001
budget: ...` (two calls of $0.000051 each, `--budget 0.0001`), beside a summary line of $0.000102. When the
two amounts read alike, both are said with six decimals (newuser28)."""

from __future__ import annotations

from agentmake.display.base import summary_lines
from agentmake.scheduler.events import BuildResult, TaskOutcome


def _over(spent: float, budget: float) -> str:
    result = BuildResult(1, budget_reached=True, budget=budget)
    result.outcomes["a"] = TaskOutcome("a", "done", attempts=1, started_at=1.0, ended_at=2.0, cost_usd=spent)
    said = [line for line in summary_lines(result) if "spent against" in line]
    assert len(said) == 1, summary_lines(result)
    return said[0]


def test_an_excess_smaller_than_a_rounding_is_said_in_six_decimals() -> None:
    assert _over(0.000102, 0.0001).startswith("budget: $0.000102 spent against a $0.000100 budget: "), _over
    assert _over(0.5012, 0.5).startswith("budget: $0.501200 spent against a $0.500000 budget: ")


def test_amounts_that_differ_as_said_keep_usd_s_rule() -> None:
    assert _over(0.75, 0.5).startswith("budget: $0.75 spent against a $0.50 budget: ")
