"""A build killed as it printed a summary line that reported only what a killed build before it spent (none of
its own: its run holds no spend) is said to have perhaps said it already by the build that says it again, and
by no later one: the next builds that report some other killed build's spend do not name it
(`BuildResult.repeats`, `Journal.ended_unsaid`). Before, such a run was never marked reported (no row of its
own to report) and every later build that took over spend named it as the one whose line may have counted
it already."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from crash_helpers import crash_at_summary
from e2e_helpers import E2E

ANSWERS = '''\
agent a:
    inputs = docs/a.md
    outputs = build/a.md
    prompt = """
        FAKE: label=a
        Translate: {{ read(input) }}
        """
'''
REPEATS = "was killed as it printed its summary line"


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def test_a_killed_line_that_only_repeated_spend_is_not_named_by_later_builds(e2e: E2E) -> None:
    e2e.write("Agentfile", ANSWERS)
    e2e.write("docs/a.md", "one two three\n")
    crash_at_summary(e2e, "-j1", after=True)  # (run 1: spent, killed once its line was out)
    crash_at_summary(e2e, "-j1", after=True)  # (run 2: says run 1's spend again, spent nothing, killed too)
    third = e2e.am("-j1")  # (run 3: says run 1's spend once more, and that runs 1 and 2 may have)
    assert third.code == 0 and "(build 1, 2 was killed" in third.text, third
    e2e.write("docs/a.md", "four five six seven\n")
    crash_at_summary(e2e, "-j1", after=True)  # (run 4: spent, killed once its line was out)
    fifth = e2e.am("-j1")  # (run 5: says run 4's spend: only run 4's line may have said it)
    assert fifth.code == 0 and "paid by an interrupted run" in fifth.out, fifth
    named = next(ln for ln in fifth.text.splitlines() if REPEATS in ln)
    assert named.startswith("(build 4 was killed"), fifth  # (before: "build 2, 4")
