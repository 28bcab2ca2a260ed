"""The reasons `-n`, `explain` and `status` give name what changed, and only what changed: real CLI runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

JOIN = """\
agent join:
    inputs = src/*.txt
    outputs = all.txt
    run = "%s"
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def test_a_shell_command_naming_its_inputs_is_not_said_changed_when_only_its_inputs_did(e2e: E2E) -> None:
    e2e.write("Agentfile", JOIN % "cat {inputs} > {output}")
    e2e.write("src/a.txt", "a\n")
    assert e2e.am().code == 0
    e2e.write("src/b.txt", "b\n")  # the command, as written, is the same: it names one more input
    for args in (("-n",), ("explain", "join"), ("status",)):
        run = e2e.am(*args)
        assert "input src/b.txt was added" in run.out, run
        assert "command changed" not in run.out, run
    assert e2e.am().code == 0
    e2e.write("Agentfile", JOIN % "cat -- {inputs} > {output}")  # the command itself changed
    run = e2e.am("-n")
    assert "would run join: command changed" in run.out, run
