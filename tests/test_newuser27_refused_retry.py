"""A retry waiting out its backoff when its runner is refused for the whole build (claude's quota spent, for
another task): it waited its whole backoff (up to 60 s, after a rate limit at least half of it) only to be
failed "not retried: runner claude failed for another task". It is failed as soon as the runner is refused.
(The timeout is no speed bound: the build it guards against sleeps 30 to 60 s, one that does not ends at
once.)"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """\
backoff = 60s

agent limited:
    prompt = "FAKE: fail=429\\nhello"
    outputs = a.md

agent broke:
    prompt = "FAKE: fail=quota\\nhello"
    outputs = b.md
"""


def test_a_retry_of_a_refused_runner_is_not_waited_for(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE)
    try:
        run = e2e.am("-k", timeout=25)
    except subprocess.TimeoutExpired:
        pytest.fail("the build waited out the retry's backoff of a runner refused for the whole build")
    assert run.code == 1, run
    assert "limited" in run.err and "not retried: runner claude failed for another task" in run.err, run.err
    assert "2 failed" in run.out, run.out


BUDGET = """\
backoff = 60s

agent limited:
    prompt = "FAKE: fail=429 times=1\\nhello"
    outputs = a.md

agent paid:
    prompt = "hello there"
    outputs = b.md
"""


def test_a_retry_the_budget_holds_back_is_not_waited_for(tmp_path: Path, fake_agents: FakeAgents) -> None:
    """The budget reached by `paid` while `limited` waits to retry: it waited 30 to 60 s, then was failed
    "not retried: budget of $0.000010 reached"."""
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", BUDGET)
    try:
        run = e2e.am("-k", "--budget", "0.00001", timeout=25)
    except subprocess.TimeoutExpired:
        pytest.fail("the build waited out the backoff of a retry the budget held back")
    assert run.code == 1, run
    assert "not retried: budget of $0.000010 reached" in run.err, run.err
