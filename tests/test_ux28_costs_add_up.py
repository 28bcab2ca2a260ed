"""The end-of-build table's costs add up to the total on the summary line under it: three tasks of $0.014
each were `$0.01` three times beside a `$0.04` total. A table whose rows would not add up at `usd`'s own
rounding says every cost, and the total, with the decimals that make them add up (4, else 6: still `usd`,
the one formatter of money); costs that add up at none of those (more than six decimals, as claude's) are
said as `usd` says them, and a line under the table says what the rows add up to (ux28)."""

from __future__ import annotations

import io
from decimal import Decimal

from agentmake.display import PlainDisplay
from agentmake.display.base import summary_lines
from agentmake.scheduler.events import BuildResult, TaskOutcome
from agentmake.scheduler.summary import usd

T0 = 1_700_000_000.0


def _result(*costs: float) -> BuildResult:
    outcomes = {
        f"t{n}": TaskOutcome(f"t{n}", "done", T0 + n, T0 + n + 1, 1, cost)
        for n, cost in enumerate(costs, start=1)
    }
    return BuildResult(run_id=1, outcomes=outcomes, started_at=T0, ended_at=T0 + 9.0)


def _shown(result: BuildResult) -> tuple[list[Decimal], Decimal, str]:
    err, out = io.StringIO(), io.StringIO()
    display = PlainDisplay(err, summary_stream=out)
    display.close(result)
    rows = [line.split()[-1] for line in err.getvalue().splitlines() if line[:2] in ("t1", "t2", "t3")]
    total = out.getvalue().strip().rsplit(", ", 1)[-1]
    return [Decimal(r.lstrip("$")) for r in rows], Decimal(total.lstrip("$")), err.getvalue()


def test_rows_of_a_cent_and_a_half_add_up_to_the_total_shown() -> None:
    rows, total, _ = _shown(_result(0.014, 0.014, 0.014))
    assert rows == [Decimal("0.0140")] * 3 and total == Decimal("0.0420"), (rows, total)


def test_rows_that_add_up_at_two_decimals_keep_them() -> None:
    rows, total, _ = _shown(_result(0.25, 0.5))
    assert rows == [Decimal("0.25"), Decimal("0.50")] and str(total) == "0.75"


def test_a_cheap_row_beside_dear_ones_is_said_to_six_decimals_alike() -> None:
    rows, total, _ = _shown(_result(0.00002, 0.5))
    assert sum(rows) == total == Decimal("0.500020"), (rows, total)


def test_rows_past_six_decimals_say_what_they_add_up_to() -> None:
    rows, total, text = _shown(_result(0.0123456, 0.0123456, 0.0123456))
    assert rows == [Decimal("0.01")] * 3 and total == Decimal("0.04"), (rows, total)
    assert f"(each cost rounded: the rows add up to ${sum(rows)}, the total is ${total})" in text, text
    assert summary_lines(_result(0.014, 0.014))[-1].split()[-1] == "$0.0140"
    assert usd(0.014) == "$0.01"  # (`usd` alone says a cost as before)
