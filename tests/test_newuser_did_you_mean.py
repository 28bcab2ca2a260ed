"""An unknown target on the command line: "did you mean" names the close agent, report, task and output
names (up to three, closest first), and the command a misspelt command word was meant to be
(`agentmake reprot` built a target 'reprot' and only said it was unknown)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """\
agent review:
    run = "cp {inputs} {output}"
    inputs = in.txt
    outputs = a.txt

agent reviews:
    run = "cp {inputs} {output}"
    inputs = in.txt
    outputs = b.txt

agent reports:
    run = "cp {inputs} {output}"
    inputs = in.txt
    outputs = c.txt

agent scan:
    run = "cp {inputs} {output}"
    inputs = in.txt
    outputs = d.txt
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e = E2E(tmp_path / "proj", fake_agents)
    e.write("in.txt", "hello\n")
    e.write("Agentfile", AGENTFILE)
    return e


def _error(e2e: E2E, *args: str) -> str:
    run = e2e.am(*args)
    assert run.code == 2 and run.out == "", run
    assert not e2e.exists("a.txt"), run  # (nothing was built)
    return run.err.strip()


def test_a_misspelt_command_is_suggested(e2e: E2E) -> None:
    assert (
        _error(e2e, "statsu")
        == "agentmake: error: unknown target 'statsu'; did you mean the command `agentmake status`?"
    )
    assert _error(e2e, "build", "chekc") == (
        "agentmake: error: unknown target 'chekc'; did you mean the command `agentmake check`?"
    )


def test_every_close_name_is_suggested(e2e: E2E) -> None:
    assert (
        _error(e2e, "revew")
        == "agentmake: error: unknown target 'revew'; did you mean 'review' or 'reviews'?"
    )


def test_close_names_and_a_close_command_are_both_suggested(e2e: E2E) -> None:
    assert _error(e2e, "reprot") == (
        "agentmake: error: unknown target 'reprot'; did you mean 'reports', or the command"
        " `agentmake report`?"
    )


def test_nothing_close_lists_the_targets(e2e: E2E) -> None:
    assert _error(e2e, "xyzzy") == (
        "agentmake: error: unknown target 'xyzzy' (targets: review, reviews, reports, scan)"
    )
