"""The run summary names the run that made a task's result when that run did not run it: "up to date
(run N)". A result that run N found already in place and spent nothing on (outputs passing a new check) said
"up to date (run N)" in the summary of run N itself, as if that run had made it: it now says "up to date
(made before run N)", and a result made or restored by an earlier run keeps "up to date (run N)". Real
builds through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """
agent up:
    run = "echo 1 > {output}"
    outputs = build/a.json
CHECK
agent other:
    run = "cat {input} > {output}"
    inputs = src.txt
    outputs = build/b.txt

report rep:
    inputs = build/a.json build/b.txt
    output = R.md
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    project = E2E(tmp_path / "proj", fake_agents)
    project.write("src.txt", "one\n")
    return project


def row(e2e: E2E, task: str) -> str:
    return next(x for x in e2e.read("R.md").splitlines() if x.startswith(f"| {task} |"))


def test_a_result_kept_in_place_is_not_said_made_by_the_run_that_kept_it(e2e: E2E) -> None:
    e2e.write("Agentfile", AGENTFILE.replace("CHECK", ""))
    assert e2e.am().summary.ran == 3
    e2e.write("Agentfile", AGENTFILE.replace("CHECK", "    check = json\n"))  # its output passes it
    e2e.write("src.txt", "two\n")  # (so that the report is rendered in this run)
    second = e2e.am("-v")  # (-v: a line for each task up to date)
    assert second.code == 0 and second.states["up"] == "up-to-date", second
    assert "Run 2." in e2e.read("R.md")
    assert "| up to date (made before run 2) |" in row(e2e, "up"), e2e.read("R.md")
    assert "| done |" in row(e2e, "other")
    e2e.write("src.txt", "three\n")
    third = e2e.am()
    assert third.code == 0, third
    assert "| up to date (made before run 2) |" in row(e2e, "up"), e2e.read("R.md")


def test_a_result_made_by_an_earlier_run_names_it(e2e: E2E) -> None:
    e2e.write("Agentfile", AGENTFILE.replace("CHECK", ""))
    assert e2e.am().code == 0
    e2e.write("src.txt", "two\n")
    assert e2e.am().code == 0
    assert "| up to date (run 1) |" in row(e2e, "up"), e2e.read("R.md")
