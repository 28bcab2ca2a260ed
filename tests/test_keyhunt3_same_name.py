"""Two Agentfiles in one directory (`-f a.Agentfile`, `-f b.Agentfile`) may each declare an agent of the same
name (`review`). Each Agentfile's task is its own: its record (status, key, the outputs as agentmake wrote
them) is not the other's, so building one never makes the other's stale. They shared one row (a task's record
was keyed by its name alone): each build replaced the other Agentfile's record, so alternating builds decided
every task the slow way against the other's key, and a hand edit of an output, which a record keeps, was run
over (paid again) after a build of the other Agentfile. Real builds with the fake claude."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E


def _agentfile(label: str, out: str) -> str:
    return f"""\
agent review:
    runner = claude
    inputs = src.md
    outputs = {out}
    prompt = "FAKE: label={label}\\nReview {{{{ read(input) }}}}"
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("src.md", "text\n")
    e2e.write("a.Agentfile", _agentfile("a", "a.md"), dedent=False)
    e2e.write("b.Agentfile", _agentfile("b", "b.md"), dedent=False)
    return e2e


def test_alternating_builds_of_two_agentfiles_keep_each_ones_record(e2e: E2E) -> None:
    assert e2e.am("-f", "a.Agentfile").code == 0
    assert e2e.am("-f", "b.Agentfile").code == 0
    for _ in range(2):
        for name in ("a", "b"):
            run = e2e.am("-f", f"{name}.Agentfile", "-v")
            assert run.summary.up_to_date == 1 and run.summary.ran == 0, run
            explained = e2e.am("-f", f"{name}.Agentfile", "explain", "review")
            assert "is up to date" in explained.text, explained
    assert e2e.calls() == ["a", "b"]


def test_a_hand_edit_is_kept_across_a_build_of_the_other_agentfile(e2e: E2E) -> None:
    assert e2e.am("-f", "a.Agentfile").code == 0
    e2e.write("a.md", "edited by hand\n")
    assert e2e.am("-f", "b.Agentfile").code == 0
    run = e2e.am("-f", "a.Agentfile")
    assert run.summary.ran == 0, run
    assert e2e.read("a.md") == "edited by hand\n"
    assert e2e.calls() == ["a", "b"]


def test_a_failure_in_one_agentfile_leaves_the_others_result(e2e: E2E) -> None:
    assert e2e.am("-f", "a.Agentfile").code == 0
    e2e.write("b.Agentfile", _agentfile("b fail=auth", "b.md"), dedent=False)
    assert e2e.am("-f", "b.Agentfile").code != 0
    status = e2e.am("-f", "a.Agentfile", "status")
    assert "failed" not in status.text, status
    run = e2e.am("-f", "a.Agentfile")
    assert run.summary.up_to_date == 1, run
