"""A build killed after it wrote its report, before its summary line: that report counted the build's spend,
and the build that takes it over says that spend on its line. The next report written must not count it
again (`report.summary.last_write`, `Journal.spend_between`): each dollar in one report, once."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from crash_helpers import crash_at_summary
from e2e_helpers import E2E
from test_money21_killed_spend import CHAIN
from test_money26_report_ledger import _cost_of

REPORT = """
report r:
    inputs = build/a.md build/b.md notes.md
    output = R.md
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


@pytest.mark.parametrize("between", [True, False])
def test_a_killed_build_s_spend_its_report_counted_is_not_counted_again(e2e: E2E, between: bool) -> None:
    """`between`: an up-to-date build takes the killed one over and says its spend, then the report is
    written again (the spend comes through `spend_between`); else the report's next build takes it over
    itself (through its own line's `spend_said_by`)."""
    e2e.write("Agentfile", CHAIN + REPORT)
    e2e.write("docs/a.md", "one\n")
    e2e.write("notes.md", "n1\n")
    crash_at_summary(e2e, "report")  # (R.md rendered and recorded; the line never said)
    first = _cost_of(e2e.read("R.md"))
    assert first.startswith("$0.0") and "no LLM call" not in first, first
    if between:
        taker = e2e.am()
        assert taker.code == 0 and "paid by an interrupted run" in taker.out, taker
    e2e.write("notes.md", "n2\n")  # (the report alone is stale: no call)
    e2e.reset_calls()
    again = e2e.am("report")
    assert again.code == 0 and e2e.calls() == [], again
    assert ("paid by an interrupted run" in again.out) != between, again  # (the line says it, once)
    assert _cost_of(e2e.read("R.md")) == "$0.00 (no LLM call)", (first, e2e.read("R.md"))
