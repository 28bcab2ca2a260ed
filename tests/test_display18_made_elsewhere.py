"""A fresh checkout with the outputs committed but no `.agentmake/`: status, -n and explain say of a task
whose outputs are in place that it was never built *here* (its outputs made elsewhere), so a person sees
why a build would run (and pay for) it; a task whose outputs are not there is plainly `never built`;
`status --json` keeps the reason's message `never built`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """
agent sum:
    runner = claude
    prompt = "Summarise {{ name }}"
    inputs = docs/{name}.md
    outputs = build/{name}.md

agent gather:
    runner = claude
    prompt = "Gather {{ inputs|join(', ') }}"
    inputs = build/*.md
    outputs = all.md
"""
HERE = "never built here: its outputs exist, made elsewhere (`agentmake -t` records them as built)"


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    project = E2E(tmp_path / "proj", fake_agents)
    project.write("Agentfile", AGENTFILE)
    project.write("docs/a.md", "alpha\n")
    project.write("docs/b.md", "beta\n")
    built = project.am("-s", "sum", "gather")
    assert built.code == 0 and project.exists("all.md"), built
    shutil.rmtree(project.root / ".agentmake")  # (a fresh checkout: the outputs committed, not the state)
    (project.root / "build" / "b.md").unlink()  # (and one output not committed)
    return project


def test_status_dry_run_and_explain_say_the_outputs_were_made_elsewhere(e2e: E2E) -> None:
    status = e2e.am("status")
    lines = status.out.splitlines()
    at = {line.split()[1]: i for i, line in enumerate(lines) if line.startswith("stale")}
    assert lines[at["sum:a"] + 1] == f"    - {HERE}", status.out
    assert lines[at["gather"] + 1] == f"    - {HERE}", status.out  # (waits for sum:a, sum:b: -n's other path)
    assert lines[at["sum:b"] + 1] == "    - never built", status.out  # (its output is not there)
    dry = e2e.am("-n")
    assert f"would run sum:a: {HERE}" in dry.out.splitlines(), dry
    assert f"would run gather: {HERE}; " in dry.out, dry
    assert "would run sum:b: never built" in dry.out.splitlines(), dry
    explain = e2e.am("explain", "build/a.md")
    assert explain.out.splitlines() == [f"build/a.md [sum:a] is stale: {HERE}"], explain
    rows = {row["task"]: row for row in json.loads(e2e.am("status", "--json").out)}
    assert rows["sum:a"]["reasons"] == ["never built"], rows["sum:a"]
