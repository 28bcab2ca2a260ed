"""A changed `check` that cannot finish on the outputs in place within the time limit says nothing of them:
the agent is not paid for an answer that check could not judge either, and the attempt ends at its time limit
instead of running the check a second time on the new answer."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """\
agent a:
    outputs = a.txt
    prompt = "FAKE: label=a\\nSay hello."
    check = "{check}"
    timeout = 2s
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch) -> E2E:
    monkeypatch.setenv("AGENTMAKE_BACKOFF", "0.05")
    return E2E(tmp_path / "proj", fake_agents)


def test_a_new_check_that_times_out_on_the_outputs_in_place_calls_no_agent(e2e: E2E) -> None:
    e2e.write("Agentfile", AGENTFILE.format(check="true"))
    first = e2e.am()
    assert first.code == 0 and e2e.calls() == ["a"], first
    e2e.reset_calls()
    e2e.write("Agentfile", AGENTFILE.format(check="echo >> checks.log; sleep 30"))
    run = e2e.am()
    assert e2e.calls() == [], run  # nothing paid for
    assert run.code == 1 and run.with_state("failed") == {"a"}, run
    assert "check timed out" in run.err and "outputs in place" in run.err, run
    # one time limit: the check ran once (a retry would only call), ended at its limit, not its 30 s sleep
    assert e2e.read("checks.log") == "\n" and run.summary.seconds < 20, run
    assert e2e.read("a.txt").rstrip() == "ANSWER:\nSay hello."  # kept as it is


def test_a_new_check_the_outputs_in_place_fail_still_calls_the_agent(e2e: E2E) -> None:
    e2e.write("Agentfile", AGENTFILE.format(check="true"))
    assert e2e.am().code == 0
    e2e.reset_calls()
    # fails the first time it runs (on the outputs in place), passes after (on the new answer)
    e2e.write("Agentfile", AGENTFILE.format(check="test -e seen || (touch seen; false)"))
    run = e2e.am()
    assert e2e.calls() == ["a"], run
    assert run.code == 0 and run.with_state("done") == {"a"}, run
