"""A build's summary line reports its spend at least once: a build that spent marks its line said only once it
is out (`Journal.line_said`), so a kill -9 between its end (`Journal.end_run`) and its line has the next build
report that spend again, and say that it may repeat the killed build's line (`Journal.ended_unsaid`). Before,
the end marked it said first: killed before the line got out, no line ever said it (benchmarks/soak_kill9.py
seed 2417, 80 tokens in / 60 out short). Real CLI runs with the fake claude, killed at their summary line
(`crash_at_summary`)."""

from __future__ import annotations

import re
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
REPEATS = "was killed as it printed its summary line: that line may have counted some of this already"


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def _line(out: str) -> str:
    return next(ln for ln in out.splitlines() if ln.startswith("agentmake: "))


def _spend(line: str) -> list[str]:
    """The dollars and tokens a summary line says."""
    return re.findall(r"\$[\d.]+|\d+ tokens in / \d+ out", line)


@pytest.mark.parametrize("after", [False, True], ids=["before-the-line", "after-the-line"])
def test_a_build_killed_at_its_summary_line_has_the_next_one_say_its_spend(e2e: E2E, after: bool) -> None:
    e2e.write("Agentfile", ANSWERS)
    e2e.write("docs/a.md", "one two three\n")
    killed = crash_at_summary(e2e, "-j1", after=after)
    assert e2e.calls() == ["a"] and e2e.exists("build/a.md"), killed
    e2e.reset_calls()
    run = e2e.am("-j1")
    assert run.code == 0 and e2e.calls() == [] and run.summary.up_to_date == 1, run
    line = _line(run.out)
    assert "paid by an interrupted run" in line and " tokens in / " in line, run  # (before: no spend at all)
    if after:
        assert _spend(_line(killed.out)) == _spend(line), (killed, run)  # (what it said: said again)
    assert "counted what a killed agentmake spent and never reported (1): a" in run.text, run
    assert REPEATS in run.text, run
    again = e2e.am("-j1")  # (said once more at most: the build after it says nothing of it)
    assert again.code == 0 and again.summary.cost is None and "interrupted run" not in again.out, again
    assert "killed agentmake" not in again.text, again


def test_a_build_that_ends_says_its_spend_once(e2e: E2E) -> None:
    e2e.write("Agentfile", ANSWERS)
    e2e.write("docs/a.md", "one two three\n")
    first = e2e.am("-j1")
    assert first.code == 0 and " tokens in / " in _line(first.out), first
    again = e2e.am("-j1")
    assert again.code == 0 and again.summary.cost is None and "interrupted run" not in again.out, again
    assert "killed agentmake" not in again.text and REPEATS not in again.text, again
