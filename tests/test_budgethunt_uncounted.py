"""Under a budget, a call ended before it said what it cost (a timeout) is told as such: not as its runner
"reported no cost", which says that runner (claude here, which reports every call's cost) never does."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch) -> E2E:
    monkeypatch.setenv("AGENTMAKE_BACKOFF", "0.05")
    return E2E(tmp_path / "proj", fake_agents)


def test_a_call_cut_short_is_not_told_as_a_runner_that_reports_no_cost(e2e: E2E) -> None:
    e2e.write(
        "Agentfile",
        """\
        agent h:
            outputs = h.txt
            prompt = "FAKE: label=h hang times=1\\nH"
            timeout = 1500ms
        """,
    )  # (long enough for the fake's second call, which answers, to start and answer on a loaded machine)
    run = e2e.am("--budget", "1")
    assert run.code == 0 and e2e.calls() == ["h", "h"], run
    assert "claude reported no cost" not in run.text, run
    told = "budget: 1 call of claude ended before it reported its cost (h: timed out after 1.5s)"
    assert f"{told}, so the budget could not count it" in run.err, run


def test_a_runner_that_reports_no_cost_is_still_named(e2e: E2E) -> None:
    e2e.write(
        "Agentfile",
        """\
        agent o:
            runner = ollama
            model = "llama3"
            outputs = o.txt
            prompt = "FAKE: label=o\\nO"
        """,
    )
    run = e2e.am("--budget", "1")
    assert "budget: ollama reported no cost, so the budget could not count those calls" in run.err, run
    assert "ended before it reported" not in run.err, run
