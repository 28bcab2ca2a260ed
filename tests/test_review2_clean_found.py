"""What `clean` (and `-t`) says of spend a killed build found in the logs of one killed before it and
recorded (`Journal.record_found`, rows of state "found"): its own line, which says what it is ("an attempt
found in its logs", not "(found)", no state of a task), also when the finding build's own result of that
task is the one clean puts in place (whose "it cost" is what that result cost, not with the earlier
build's attempt added, paid by another run).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FakeAgents
from crash_helpers import crash_at
from e2e_helpers import E2E
from test_faults22_found_spend import ANSWERS, _paid_in_log, _paid_then_killed

from agentmake.scheduler.summary import usd

KILLED = "an agentmake that was killed"


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def _found_by_a_killed_build(e2e: E2E, moment: tuple[str, str]) -> float:
    """A pays for an answer and is killed; its input is edited; B records A's spend as found and is killed
    at `moment`. Returns what A paid."""
    e2e.write("Agentfile", ANSWERS)
    e2e.write("docs/a.md", "one\n")
    _paid_then_killed(e2e)
    paid = _paid_in_log(e2e)
    e2e.write("docs/a.md", "one, edited\n")
    crash_at(e2e, *moment, "-j1")
    return paid


def test_clean_says_what_found_spend_is(e2e: E2E) -> None:
    paid = _found_by_a_killed_build(e2e, ("os.remove", "bad.1.out"))  # (B: before its call)
    run = e2e.am("clean")
    assert run.code == 0, run
    line = f"bad (an attempt found in its logs) cost {usd(paid)}, paid by {KILLED}, which reported none"
    assert line in run.out, run
    assert "(found)" not in run.out, run


def test_clean_says_found_spend_apart_from_the_result_it_puts_in_place(e2e: E2E) -> None:
    paid = _found_by_a_killed_build(e2e, ("os.rename", "build/bad.md"))  # (B: its answer recorded)
    own = float(
        json.loads((e2e.root / ".agentmake/logs/bad.1.out").read_text().splitlines()[-1])["total_cost_usd"]
    )
    run = e2e.am("clean")
    assert run.code == 0, run
    assert f"finished bad's commit, which {KILLED} cut short:" in run.out, run
    assert f"; it cost {usd(own)}, paid by the interrupted run" in run.out, run
    line = f"bad (an attempt found in its logs) cost {usd(paid)}, paid by {KILLED}, which reported none"
    assert line in run.out, run
