"""`made elsewhere` has one rule and one wording wherever a task never built here is explained:
`-n` for a task it can decide now (`plan.judge`) and for one that waits for a rebuilt input
(`plan.rebuilder`), status and explain. A task with no record whose outputs are all in place, some of them
not a result agentmake cached here, has those named as made elsewhere (all of them: not named); one with an
output missing is plainly `never built`. Real CLI runs with the fake agents."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = '''\
agent pair:
    inputs = docs/a.md
    outputs = out/p1.md out/p2.md
    prompt = """
        FAKE: label=pair write=out/p1.md,out/p2.md
        Write both. {{ read(input) }}
        """

agent gather:
    inputs = out/p1.md
    outputs = g1.md g2.md
    prompt = """
        FAKE: label=gather write=g1.md,g2.md
        Write both. {{ read(input) }}
        """
'''
HINT = "(`agentmake -t` records them as built)"


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    project = E2E(tmp_path / "proj", fake_agents)
    project.write("Agentfile", AGENTFILE)
    project.write("docs/a.md", "alpha\n")
    built = project.am()
    assert built.code == 0 and project.exists("g2.md"), built
    # renamed, each prompt changed: no record, no task gone that made their outputs under their keys
    renamed = AGENTFILE.replace("agent pair:", "agent pair2:").replace("agent gather:", "agent gather2:")
    project.write("Agentfile", renamed.replace("Write both.", "Write both again."))
    project.write("out/p2.md", "written by hand\n")  # (one output of each not agentmake's result)
    project.write("g2.md", "written by hand\n")
    project.reset_calls()
    return project


def test_some_outputs_made_elsewhere_are_named_alike_by_dry_run_status_and_explain(e2e: E2E) -> None:
    pair = f"never built here: its outputs exist, out/p2.md made elsewhere {HINT}"
    gather = f"never built here: its outputs exist, g2.md made elsewhere {HINT}"
    dry = e2e.am("-n")
    assert f"would run pair2: {pair}" in dry.out.splitlines(), dry  # (decided now: `plan.judge`)
    assert f"would run gather2: {gather}" in dry.out, dry  # (waits for pair: `plan.rebuilder`)
    status = e2e.am("status")
    assert f"    - {pair}" in status.out.splitlines(), status
    assert f"    - {gather}" in status.out.splitlines(), status
    explain = e2e.am("explain", "out/p1.md")
    assert explain.out.splitlines() == [f"out/p1.md (+1 more) [pair2] is stale: {pair}"], explain


def test_every_output_made_elsewhere_is_said_without_names_and_one_missing_is_plainly_never_built(
    e2e: E2E,
) -> None:
    shutil.rmtree(e2e.root / ".agentmake")  # (no cached result either: every output made elsewhere)
    (e2e.root / "g2.md").unlink()
    dry = e2e.am("-n")
    everyone = f"never built here: its outputs exist, made elsewhere {HINT}"
    assert f"would run pair2: {everyone}" in dry.out.splitlines(), dry
    assert "would run gather2: never built" in dry.out, dry
