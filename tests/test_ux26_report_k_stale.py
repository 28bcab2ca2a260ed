"""`agentmake report -k` where every input of a report failed writes no report (nothing to build it from)
and said only `not run (1): review`, while without -k it said the REVIEW.md in place is an earlier build's
(examples/code-review, `profile=llm`, its three reviewers failing). It says so with -k too, without
suggesting the -k it was given. Real builds of shell agents."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

FAILING = "if [ -e broken ]; then exit 1; fi; cat {input} > {output}"
AGENTFILE = f"""
retries = 0

agent a:
    inputs = src/a.txt
    outputs = build/a.md
    run = "{FAILING}"

agent b:
    inputs = src/b.txt
    outputs = build/b.md
    run = "{FAILING}"

report r:
    inputs = build/a.md build/b.md
    output = R.md
    summary = false
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    project = E2E(tmp_path / "proj", fake_agents)
    project.write("src/a.txt", "alpha\n")
    project.write("src/b.txt", "beta\n")
    project.write("Agentfile", AGENTFILE)
    return project


def test_report_k_with_every_input_failed_says_the_report_in_place_is_stale(e2e: E2E) -> None:
    assert e2e.am("report").code == 0
    e2e.write("broken", "")
    e2e.write("src/a.txt", "alpha, revised\n")
    e2e.write("src/b.txt", "beta, revised\n")
    run = e2e.am("report", "-k")
    assert run.code == 1 and "report r" not in run.out, run
    said = [line for line in run.err.splitlines() if line.startswith("agentmake: report r not written")]
    assert len(said) == 1, run
    assert "(R.md in place is an earlier build's)" in said[0], run
    assert "report -k" not in said[0] and said[0].endswith("fix that and build again"), run


def test_report_k_with_no_report_in_place_says_it_was_not_written(e2e: E2E) -> None:
    e2e.write("broken", "")
    run = e2e.am("report", "-k")
    said = [line for line in run.err.splitlines() if line.startswith("agentmake: report r not written")]
    assert run.code == 1 and len(said) == 1 and "earlier build" not in said[0], run
