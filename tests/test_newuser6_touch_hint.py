"""A project whose state was lost (`.agentmake/` deleted by mistake, or a fresh checkout with the outputs
committed) while its outputs are in place: `-n`, `status` and the build say that a build pays for them all
again and that `agentmake -t` records them as built instead (newuser6: every task was `never built`, and
nothing said -t existed, so the user paid for all of them again). Said no more once a task has a record."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """\
agent a:
    inputs = a.md
    outputs = out/a.md
    prompt = "FAKE: label=a\\n{{ read(input) }}"

agent b:
    inputs = out/a.md
    outputs = out/b.md
    prompt = "FAKE: label=b\\n{{ read(input) }}"
"""
HINT = "`agentmake -t` records those outputs as built instead, calling nothing"


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE, dedent=False)
    e2e.write("a.md", "alpha\n")
    run = e2e.am()
    assert run.code == 0 and HINT not in run.err, run  # (no outputs in place yet: nothing to say)
    shutil.rmtree(e2e.root / ".agentmake")  # (by mistake)
    return e2e


@pytest.mark.parametrize("args", [("-n",), ("status",)])
def test_dry_run_and_status_point_at_touch(e2e: E2E, args: tuple[str, ...]) -> None:
    run = e2e.am(*args)
    assert run.code == 0, run
    assert "no build of Agentfile is recorded here" in run.err, run
    assert "yet 2 tasks have their outputs in place: a build runs them again" in run.err, run
    assert HINT in run.err, run


def test_touch_then_nothing_is_paid_or_said(e2e: E2E) -> None:
    touched = e2e.am("-t")
    assert touched.code == 0, touched
    run = e2e.am("-n")
    assert HINT not in run.err, run
    assert "0 to run, 2 up to date" in run.out, run
    assert e2e.am().code == 0 and e2e.calls() == ["a", "b"]  # (only the first build's calls)


def test_a_build_says_it_before_it_pays(e2e: E2E) -> None:
    run = e2e.am()
    assert run.code == 0, run
    assert "this build runs them again, and pays for them" in run.err, run
    again = e2e.am("-n")
    assert HINT not in again.err, again  # (recorded now: said no more)


def test_one_task_is_told_in_the_singular(e2e: E2E) -> None:
    """review19: '1 task have their outputs in place: a build runs them again, and pays for them'."""
    (e2e.root / "out/b.md").unlink()
    run = e2e.am("-n")
    assert "yet 1 task has its outputs in place: a build runs it again, and pays for it;" in run.err, run


def test_no_hint_for_an_output_another_agentfile_made(tmp_path: Path, fake_agents: FakeAgents) -> None:
    """review19: ci.Agentfile, never built, declares shared.md, Agentfile's result: the hint said -t, which
    recorded Agentfile's answer to another prompt as ci.Agentfile's b, up to date."""
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("src.md", "hello\n")
    agent = 'agent {0}:\n    inputs = src.md\n    outputs = shared.md\n    prompt = "FAKE: label={0}\\n{0}"\n'
    e2e.write("Agentfile", agent.format("a"), dedent=False)
    e2e.write("ci.Agentfile", agent.format("b"), dedent=False)
    assert e2e.am().code == 0
    run = e2e.am("-f", "ci.Agentfile", "-n")
    assert "no build of ci.Agentfile is recorded here" not in run.err, run
