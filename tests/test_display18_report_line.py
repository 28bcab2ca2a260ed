"""`agentmake report`'s line: `report NAME: PATH` for a complete report; a partial one (-k) says so before the
colon, `report NAME (partial: …): PATH`, so that the path, the rest of the line, is read whole even with
spaces and brackets in it, and a script reading `report NAME: PATH` does not take a partial one for whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """
retries = 0

agent a:
    inputs = src/a.txt
    outputs = build/a.md
    run = "cat {input} > {output}"

agent b:
    inputs = src/b.txt
    outputs = build/b.md
    run = "if [ -e broken ]; then exit 1; fi; cat {input} > {output}"

report r:
    inputs = build/a.md build/b.md
    output = "out (v2)/my report (draft).md"
    summary = false
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    project = E2E(tmp_path / "proj", fake_agents)
    project.write("src/a.txt", "alpha\n")
    project.write("src/b.txt", "beta\n")
    project.write("Agentfile", AGENTFILE)
    return project


def test_a_partial_report_line_puts_its_note_before_the_path(e2e: E2E) -> None:
    path = e2e.root / "out (v2)" / "my report (draft).md"
    e2e.write("broken", "")
    run = e2e.am("report", "-k")
    assert run.code == 1, run
    lines = [line for line in run.out.splitlines() if line.startswith("report ")]
    assert lines == [f"report r (partial: 1 of 2 inputs missing): {path}"], run
    assert path.exists()
    (e2e.root / "broken").unlink()
    whole = e2e.am("report")
    assert whole.code == 0, whole
    assert [line for line in whole.out.splitlines() if line.startswith("report ")] == [f"report r: {path}"]
