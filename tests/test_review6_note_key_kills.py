"""A kill -9 at each step of an attempt's replacing of the older logs at its stem (`salvage._note_key`: the
old .done, .out, .err, .salvage removed, then the key written to ``.key.part`` and renamed over the old one)
leaves the answer a killed build paid for at the next stem found: the build after it salvages it (no call),
says its spend once, and the one after that has nothing to do. Build A's first attempt fails, its second
answers (paid) and A is killed; build B (-B) is killed at the step; build C salvages (see
test_money24_key_replaced_whole, which kills B at the first of these steps)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from crash_helpers import crash_at
from e2e_helpers import E2E
from test_money24_key_replaced_whole import RETRIED, _second_attempt_paid_then_killed

STEPS = [
    ("os.remove", "bad.1.done"),
    ("os.remove", "bad.1.err"),
    ("shutil.rmtree", "bad.1.salvage"),
    ("open", "bad.1.key.part"),
    ("os.rename", "bad.1.key.part"),
]


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


@pytest.mark.parametrize("step", STEPS, ids=[f"{e}-{n.split('.', 2)[2]}" for e, n in STEPS])
def test_killed_at_each_step_of_replacing_an_attempts_logs(e2e: E2E, step: tuple[str, str]) -> None:
    e2e.write("Agentfile", RETRIED)
    e2e.write("docs/a.md", "one\n")
    _second_attempt_paid_then_killed(e2e)
    crash_at(e2e, *step, "-j1", "-B")  # B: killed at that step of its first attempt, at bad.1
    assert (e2e.root / ".agentmake" / "logs" / "bad.1.key").exists()
    e2e.reset_calls()
    run = e2e.am("-j1")
    assert run.code == 0 and e2e.calls() == [], run  # A's answer at bad.2, salvaged
    assert e2e.exists("build/bad.md")
    assert "counted what a killed agentmake spent and never reported (1): bad" in run.text, run  # (B's find)
    again = e2e.am("-j1")
    assert again.code == 0 and again.summary.up_to_date == 1 and again.summary.cost is None, again
    assert "interrupted run" not in again.out and "killed agentmake" not in again.text, again
