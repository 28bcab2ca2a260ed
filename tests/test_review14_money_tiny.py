"""A positive cost too small for six decimals (a few tokens of a cheap model: 4e-7 dollars) read `$0.000000`
in the build's table, `status`, the summary line and the report once ux27 made every place say money as
`usd` does: a cost that was paid for, shown as free. It is `<$0.000001` now (review14)."""

from __future__ import annotations

import pytest

from agentmake.display.fmt import fmt_cost
from agentmake.scheduler.summary import summary_line, usd


@pytest.mark.parametrize("amount", [4e-7, 1e-9, 4.9e-7])
def test_a_tiny_positive_cost_never_reads_as_zero(amount: float) -> None:
    for said in (usd(amount), fmt_cost(amount), summary_line({"done": 1}, 1.0, cost=amount)):
        assert "$0.000000" not in said and "<$0.000001" in said, said


@pytest.mark.parametrize(
    ("amount", "said"),
    [(0.0, "$0.00"), (0.000001, "$0.000001"), (0.000021, "$0.000021"), (0.0012, "$0.0012"), (0.5, "$0.50")],
)
def test_amounts_six_decimals_can_say_are_said_in_figures(amount: float, said: str) -> None:
    assert usd(amount) == said
