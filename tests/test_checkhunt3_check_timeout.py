"""A check command has its own bounded time: at most `CHECK_TIMEOUT` (10 minutes; env
AGENTMAKE_CHECK_TIMEOUT, a duration, sets another), or the agent's time limit when that is shorter. It got
the agent's whole limit: an hour by default for an LLM agent, and none at all for a shell agent, so a hung
check held its slot for an hour, or for ever."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.runners.check import CHECK_TIMEOUT, check_timeout

SHELL = """\
agent a:
    run = "echo hi > {output}"
    outputs = a.txt
    check = "sleep 30"
    retries = 0
"""


def test_the_rule() -> None:
    assert CHECK_TIMEOUT == 600.0
    assert check_timeout(None) == CHECK_TIMEOUT  # (a shell agent without a time limit)
    assert check_timeout(3600.0) == CHECK_TIMEOUT  # (an LLM agent's default hour)
    assert check_timeout(5.0) == 5.0  # (a shorter limit of the agent's)


def test_the_environment_sets_another(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTMAKE_CHECK_TIMEOUT", "2h")
    assert check_timeout(None) == 7200.0
    assert check_timeout(3600.0) == 3600.0


def test_a_hung_check_of_a_shell_agent_without_a_time_limit_ends(
    tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTMAKE_CHECK_TIMEOUT", "500ms")
    e = E2E(tmp_path / "p", fake_agents)
    e.write("Agentfile", SHELL, dedent=False)
    run = e.am()
    assert run.code == 1 and run.with_state("failed") == {"a"}, run
    assert "check timed out after 0.5s" in run.err, run
    assert not e.exists("a.txt")


def test_a_malformed_value_is_a_usage_error(
    tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTMAKE_CHECK_TIMEOUT", "soon")
    e = E2E(tmp_path / "p", fake_agents)
    e.write("Agentfile", SHELL, dedent=False)
    run = e.am()
    assert run.code == 2, run
    assert "AGENTMAKE_CHECK_TIMEOUT must be a duration" in run.err, run
    assert "Traceback" not in run.err
