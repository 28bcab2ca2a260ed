"""A report's run summary of a `-k` build where a task was not run (its dependency failed): the task is not
counted among the tasks run, and its row says `not run`, as the terminal does (it said `not-run`, the
event's name, and `tasks run` counted it). Real builds of shell agents through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """
retries = 0

agent ok:
    run = "cp {input} {output}"
    inputs = src/a.txt
    outputs = build/ok.txt

agent bad:
    run = "exit 1"
    inputs = src/a.txt
    outputs = build/bad.txt

agent after:
    run = "cp {input} {output}"
    inputs = build/bad.txt
    outputs = build/after.txt

report r:
    inputs = build/ok.txt build/after.txt
    output = R.md
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    project = E2E(tmp_path / "proj", fake_agents)
    project.write("src/a.txt", "alpha\n")
    project.write("Agentfile", AGENTFILE)
    return project


def test_a_task_not_run_is_not_counted_as_run_in_a_partial_reports_summary(e2e: E2E) -> None:
    run = e2e.am("report", "-k")
    assert run.code == 1 and run.states["after"] == "not-run" and run.summary.partial == 1, run
    text = e2e.read("R.md")
    assert "| tasks run before this report | 2 |" in text, text  # ok and bad ran (bad failed); after did not
    assert "| after | not run |" in text, text
    assert "not-run |" not in text, text
