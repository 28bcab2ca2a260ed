"""A report's run cost is what its build's summary line said was paid: what the build's tasks cost before the
report, and what it said killed builds paid (their history rows, what was found in their logs:
`Journal.spend_said_by`), each dollar once. Real CLI runs with the fake agents, killed with -9
(`crash_at`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from crash_helpers import crash_at
from e2e_helpers import E2E, Run
from test_money21_killed_spend import CHAIN

from agentmake.scheduler.summary import usd

REPORT = """
report r:
    inputs = build/a.md build/b.md
    output = R.md
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def _line(run: Run) -> str:
    return next(ln for ln in run.out.splitlines() if ln.startswith("agentmake: "))


def _report_cost(e2e: E2E) -> str:
    """The run cost in the report `R.md` as written by the build that rendered it."""
    return _cost_of(e2e.read("R.md"))


def _summary_cost(e2e: E2E) -> str:
    """The run cost a report's run summary of the latest run gives, rendered now."""
    from agentmake.graph import build_graph
    from agentmake.report.summary import render_summary
    from agentmake.store import Store
    from agentmake.syntax import load_agentfile

    graph = build_graph(load_agentfile(e2e.root / "Agentfile"))
    with Store.open(e2e.root) as store:
        return _cost_of(render_summary(graph, store))


def _cost_of(text: str) -> str:
    row = next(line for line in text.splitlines() if line.startswith("| cost "))
    return row.strip("|").split("|")[1].strip()


def _paid(e2e: E2E) -> tuple[float, int, int]:
    """What the history rows of the (killed) builds so far cost: dollars, tokens in, tokens out."""
    from agentmake.store import Store

    with Store.open(e2e.root) as store:
        rows = [a for a in store.attempts() if a.cost_usd is not None]
    return (
        sum(a.cost_usd or 0.0 for a in rows),
        sum(a.tokens_in or 0 for a in rows),
        sum(a.tokens_out or 0 for a in rows),
    )


def test_a_report_counts_the_killed_build_s_recorded_spend_its_build_s_line_said(e2e: E2E) -> None:
    """Killed with -9 once `first` is renamed and `second` recorded: `agentmake report` takes the killed
    build over, says what it spent on its line, and renders the report, whose run cost says it too (it said
    `$0.00 (no LLM call)`: the killed build's found rows counted, its recorded rows not)."""
    e2e.write("Agentfile", CHAIN + REPORT)
    e2e.write("docs/a.md", "one\n")
    crash_at(e2e, "os.rename", "build/b.md", "-j1")
    paid, tin, tout = _paid(e2e)
    assert paid > 0 and tin > 0, paid
    run = e2e.am("report", "-j1")
    assert run.code == 0 and f"{usd(paid)} (paid by an interrupted run)" in _line(run), run
    assert f"{tin} tokens in / {tout} out" in _line(run), run
    assert _report_cost(e2e) == usd(paid), e2e.read("R.md")
    assert f"| tokens | {tin} in / {tout} out |" in e2e.read("R.md")
    assert _summary_cost(e2e) == usd(paid)  # (rendered after the build ended: the same)
