"""An agent whose whole answer came within its time limit, but whose process did not exit in time (a CLI's
slow teardown), is not paid for again: its answer, proved complete by the result record it printed last, is
used, and the time limit only ends the process."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch) -> E2E:
    monkeypatch.setenv("AGENTMAKE_BACKOFF", "0.05")
    return E2E(tmp_path / "proj", fake_agents)


def test_an_answer_delivered_before_the_timeout_is_used_not_asked_again(e2e: E2E) -> None:
    # (5 s: room for the fake to start and answer on a loaded runner, ~0.4 s at load 12)
    e2e.write(
        "Agentfile",
        """\
        agent a:
            outputs = a.txt
            timeout = 5s
            prompt = \"\"\"
                FAKE: label=a linger=30
                Say hello.
                \"\"\"
        """,
    )
    run = e2e.am()
    assert e2e.calls() == ["a"], run  # one call, paid once
    assert run.code == 0 and run.with_state("done") == {"a"}, run
    assert e2e.read("a.txt").rstrip() == "ANSWER:\nSay hello."


def test_an_answer_not_delivered_before_the_timeout_is_still_a_timeout(e2e: E2E) -> None:
    e2e.write(
        "Agentfile",
        """\
        agent a:
            outputs = a.txt
            timeout = 300ms
            retries = 0
            prompt = "FAKE: label=a sleep=30"
        """,
    )
    run = e2e.am()
    assert run.code == 1 and run.with_state("failed") == {"a"}, run
    assert "timed out after 0.3s" in run.err, run
    assert not e2e.exists("a.txt")
