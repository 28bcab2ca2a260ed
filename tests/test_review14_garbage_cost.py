"""A cost a CLI reports that is no amount of money (`NaN`, `Infinity`, negative: Python's JSON reads each) was
taken as it was: every table, the summary line and the report said `$nan`, and a `NaN` spend never reaches a
budget (`spent >= budget` is false for NaN), so `--budget` let every later call start. Such a cost is read as
none reported (review14)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.runners.parse import parse_claude_json

RESULT = '{"type": "result", "subtype": "success", "is_error": false, "result": "hi", "total_cost_usd": %s}'


@pytest.mark.parametrize("cost", ["NaN", "Infinity", "-Infinity", "-0.5"])
def test_a_cost_that_is_no_amount_is_no_cost(cost: str) -> None:
    parsed = parse_claude_json(RESULT % cost, "")
    assert parsed.answer == "hi" and parsed.cost_usd is None


@pytest.mark.parametrize("cost", ["0", "0.000021", "3"])
def test_a_real_cost_is_kept(cost: str) -> None:
    assert parse_claude_json(RESULT % cost, "").cost_usd == float(cost)


def test_a_nan_cost_does_not_lift_the_budget(tmp_path: Path, fake_agents: FakeAgents) -> None:
    """a reports NaN, b a dollar: against a $0.50 budget, c is not started (on s27 the spend was NaN after
    a, never reaching the budget, and c ran: paid for past the budget)."""
    e2e = E2E(tmp_path / "p", fake_agents)
    cli = e2e.root / "cli.py"
    cost = "'1.0' if 'costly' in sys.stdin.read() else 'NaN'"
    script = f"import sys\ncost = {cost}\nprint({RESULT!r} % cost)\n"
    e2e.write("cli.py", script, dedent=False)
    agentfile = f"""\
runner weird:
    command = {sys.executable} {cli}
    format = claude-json

agent a:
    runner = weird
    outputs = a.md
    prompt = "cheap"

agent b:
    runner = weird
    inputs = a.md
    outputs = b.md
    prompt = "costly"

agent c:
    runner = weird
    inputs = b.md
    outputs = c.md
    prompt = "cheap"
"""
    e2e.write("Agentfile", agentfile, dedent=False)
    run = e2e.am("--budget", "0.5")
    assert run.summary.ran == 2 and run.summary.not_run == 1 and not (e2e.root / "c.md").exists(), run
    assert "nan" not in run.err.lower() and "nan" not in run.out.lower(), run
