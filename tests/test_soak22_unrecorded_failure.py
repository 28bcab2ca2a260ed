"""A failure the agent was paid for (claude stopped at its turn limit: the turns it took are billed) that a
build killed with -9 never recorded (killed after the agent printed its error result, before the build saw
it exit) is reported once, by the next build, as paid by an interrupted run: its log proves it finished and
says what it cost (`SalvageAttempts._paid_failures`), as a rejected salvaged answer's does. Before, no build
reported it (no history row holds it: `Journal.spend_unsummed`). Found by benchmarks/soak_kill9.py
--faults. A real CLI run with the fake claude, which prints its error result and then lingers (`linger=`),
killed once its log says it ended."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E, wait_for

from agentmake.scheduler.summary import usd

FAILS_ONCE = '''\
agent bad:
    inputs = docs/a.md
    outputs = build/bad.md
    prompt = """
        FAKE: label=bad stopped=error_max_turns times=1 linger=60
        Fail: {{ read(input) }}
        """
'''
STOPPED_COST = 0.0421  # what the fake claude's error result for a turn limit says it cost


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def test_a_paid_failure_a_killed_build_never_recorded_is_reported_once_by_the_next(e2e: E2E) -> None:
    e2e.write("Agentfile", FAILS_ONCE)
    e2e.write("docs/a.md", "one\n")
    build = e2e.spawn("-j1")
    wait_for(lambda: any(ev == "end" for ev, *_ in e2e.fake.log_lines()), what="the failure printed")
    build.send_signal(signal.SIGKILL)  # (the agent lingers: the build has not seen it exit)
    killed = e2e.finish(build)
    assert "agentmake: " not in killed.out, killed
    (e2e.fake.state / "stop-lingering").touch()
    e2e.reset_calls()
    run = e2e.am("-j1")
    assert run.code == 0 and e2e.calls() == ["bad"], run  # (asked again: its answer is this build's own)
    line = next(ln for ln in run.out.splitlines() if ln.startswith("agentmake: "))
    assert f"({usd(STOPPED_COST)} of it paid by an interrupted run)" in line, line
    again = e2e.am("-j1")
    assert again.code == 0 and "interrupted run" not in again.out, again
