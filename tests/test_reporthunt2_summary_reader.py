"""A report that holds the run summary is rendered anew rather than restored from the cache (a cached copy
describes the run it was made in), but not when an agent reads it: the new summary's bytes would make that
agent run again, paid for, after an edit reverted, where the README promises the result back with zero agent
calls. Real builds through the CLI with the fake claude."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """
agent up:
    run = "tr a-z A-Z < {input} > {output}"
    inputs = src/{n}.txt
    outputs = build/{n}.txt

report inner:
    inputs = build/*.txt
    output = reports/inner.md

report outer:
    inputs = reports/inner.md
    output = reports/outer.md
    summary = false

agent digest:
    runner = claude
    prompt = "FAKE: label=digest\\nDigest {{ read(input) }}"
    inputs = INPUT
    outputs = build2/digest.md
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    project = E2E(tmp_path / "proj", fake_agents)
    project.write("src/a.txt", "alpha\n")
    return project


@pytest.mark.parametrize("read", ["reports/inner.md", "reports/outer.md"])
def test_an_edit_reverted_calls_no_agent_that_reads_a_summary_report(e2e: E2E, read: str) -> None:
    """`digest` reads the summary report, directly or through a report without a summary."""
    e2e.write("Agentfile", AGENTFILE.replace("INPUT", read))
    assert e2e.am("digest").code == 0
    first = e2e.read("reports/inner.md")
    e2e.write("src/a.txt", "beta\n")
    assert e2e.am("digest").code == 0
    assert len(e2e.calls("digest")) == 2
    e2e.write("src/a.txt", "alpha\n")  # the edit reverted
    run = e2e.am("digest")
    assert run.code == 0, run
    assert len(e2e.calls("digest")) == 2, run  # no call: its result comes back from the cache
    assert "digest" in run.with_state("cached") and "inner" in run.with_state("cached"), run
    assert e2e.read("reports/inner.md") == first  # the first run's copy, with that run's summary


def test_a_summary_report_nothing_reads_is_still_rendered_anew(e2e: E2E) -> None:
    e2e.write("Agentfile", AGENTFILE.replace("INPUT", "src/a.txt"))
    assert e2e.am("inner").code == 0
    e2e.write("src/a.txt", "beta\n")
    assert e2e.am("inner").code == 0
    e2e.write("src/a.txt", "alpha\n")
    run = e2e.am("inner")
    assert run.states["inner"] == "done", run  # its summary tells this run
