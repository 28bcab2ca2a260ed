"""A retry the budget holds back does not stop the build without -k: the budget stops paid calls only, so free
work (a shell task) still runs, as it does when the budget holds back a task's first attempt."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """\
agent a:
    outputs = a.json
    check = json
    prompt = "FAKE: label=a invalid-json-answer times=1\\nA"

agent slow:
    run = "sleep 1; echo slow > {output}"
    outputs = slow.txt

agent after:
    run = "cat {input} > {output}"
    inputs = slow.txt
    outputs = after.txt
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch) -> E2E:
    monkeypatch.setenv("AGENTMAKE_BACKOFF", "0.05")
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE)
    return e2e


def test_a_retry_held_by_the_budget_lets_free_work_go_on(e2e: E2E) -> None:
    run = e2e.am("--budget", "0.00000001")  # a's answer, which fails its check, is paid for and reaches it
    assert e2e.calls() == ["a"], run
    assert run.with_state("failed") == {"a"}, run
    assert "not retried: budget of" in run.err, run
    assert run.with_state("done") == {"slow", "after"}, run  # not "build stopped after failure of a"
    assert e2e.read("after.txt") == "slow\n"
    assert run.code == 1, run


def test_a_failure_that_is_not_retried_still_stops_the_build(e2e: E2E) -> None:
    e2e.write("Agentfile", AGENTFILE.replace("invalid-json-answer times=1", "fail=401"))
    run = e2e.am()
    assert run.with_state("failed") == {"a"}, run
    assert "after" in run.with_state("not-run"), run
    assert "build stopped after failure of a" in run.err, run
