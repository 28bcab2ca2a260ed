"""A partial report (-k) names at most five of the inputs it lacks, in the order of its inputs, then
"and N more": a build in which hundreds of tasks failed printed every one of them on its partial report's
line (the build's failures, `status`, `-n`, the record) and before the report's first section. Real builds
through the CLI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.plan.partial import Gap, gaps_detail

AGENTFILE = """
agent up:
    run = "test {n} = s00 && cp {input} {output}"
    inputs = src/{n}.txt
    outputs = build/{n}.txt

report inner:
    inputs = build/*.txt
    output = R.md
    summary = false
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    project = E2E(tmp_path / "proj", fake_agents)
    for i in range(13):
        project.write(f"src/s{i:02d}.txt", f"{i}\n")
    project.write("Agentfile", AGENTFILE)
    return project


def named(text: str) -> set[str]:
    return set(re.findall(r"build/s\d\d\.txt \(", text))


def test_a_partial_reports_lines_name_five_inputs_and_count_the_rest(e2e: E2E) -> None:
    build = e2e.am("-k", "-j", "4")
    assert build.code != 0 and build.summary.partial == 1, build
    line = next(x for x in build.text.splitlines() if "inner: partial report" in x)
    first = {f"build/s{i:02d}.txt (" for i in range(1, 6)}
    assert named(line) == first and line.endswith("; and 7 more"), line
    note = e2e.read("R.md").split("\n## ")[0]
    assert len(re.findall(r"^> - `build/", note, re.M)) == 5, note
    assert "> - and 7 more, each marked in its section below" in note, note
    assert e2e.read("R.md").count("_(missing: `up:s") == 12  # every one in its section
    status = e2e.am("status").out
    assert named(status) == first and "and 7 more" in status, status
    dry = e2e.am("-n", "-k").out
    assert named(dry) == first, dry


def test_a_report_none_of_whose_inputs_was_made_says_so_in_a_few_names(e2e: E2E) -> None:
    e2e.write("Agentfile", AGENTFILE.replace("test {n} = s00", "test {n} = none"))
    build = e2e.am("-k")
    assert build.code != 0, build
    line = next(x for x in build.text.splitlines() if "nothing to report" in x)
    assert "13 of 13 inputs missing" in line and "; and 8 more" in line, line
    assert named(line) == {f"build/s{i:02d}.txt (" for i in range(5)}, line


def test_gaps_detail_names_at_most_five() -> None:
    gaps = [Gap(f"g{i}", f"t{i}", "failed") for i in range(7)]
    assert gaps_detail(gaps[:5]) == "; ".join(f"g{i} (failed)" for i in range(5))
    assert gaps_detail(gaps[:6]) == "; ".join(f"g{i} (failed)" for i in range(5)) + "; and 1 more"
    assert gaps_detail(gaps).endswith("g4 (failed); and 2 more")
