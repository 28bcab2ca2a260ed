"""What a `-B` build killed with -9 paid for and never recorded, when the next build finds the task up to date
(its old outputs still match its record) and never runs it: the build that takes over the killed build's run
reports that spend, once, as paid by an interrupted run (`scheduler.earlier.find_left`), whether it is a
build or `clean` / `clean --cache` (which removes the key files the spend was found by). Before, no build
reported it until the task ran again, and none ever after `clean --cache`.

Build A records the task; build B (`-B`) pays for a new answer and is killed while its agent lingers. Real CLI
runs with the fake claude.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E, Run, kill_quietly, wait_for

from agentmake.scheduler.summary import usd

ANSWERS = '''\
agent bad:
    inputs = docs/a.md
    outputs = build/bad.md
    prompt = """
        FAKE: label=bad linger=60
        Translate: {{ read(input) }}
        """
'''


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def _recorded_then_rebuilt_and_killed(e2e: E2E, agentfile: str = ANSWERS, ran: int = 1) -> float:
    """A records `bad` (A builds `agentfile`: `ran` tasks); B (-B bad) pays for a new answer, killed before
    it records it. What B's answer cost."""
    e2e.write("Agentfile", agentfile)
    e2e.write("docs/a.md", "one\n")
    stop = e2e.fake.state / "stop-lingering"
    stop.touch()
    first = e2e.am("-j1")
    assert first.code == 0 and first.summary.ran == ran, first
    stop.unlink()
    e2e.reset_calls()
    build = e2e.spawn("-j1", "-B", "bad")
    try:
        wait_for(lambda: any(ev == "end" for ev, *_ in e2e.fake.log_lines()), what="the agent's result")
    finally:
        kill_quietly(build.pid, signal.SIGKILL)
        killed = E2E.finish(build)
    assert "agentmake: " not in killed.out, killed
    stop.touch()
    out = (e2e.root / ".agentmake" / "logs" / "bad.1.out").read_text()
    return float(json.loads(out.splitlines()[-1])["total_cost_usd"])


def _line(run: Run) -> str:
    return next(ln for ln in run.out.splitlines() if ln.startswith("agentmake: "))


def _says_nothing(run: Run) -> None:
    assert run.code == 0 and run.summary.cost is None, run
    assert "interrupted run" not in run.out and "killed agentmake" not in run.text, run


def test_an_up_to_date_task_s_answer_a_killed_rebuild_paid_for_is_reported_once(e2e: E2E) -> None:
    paid = _recorded_then_rebuilt_and_killed(e2e)
    e2e.reset_calls()
    run = e2e.am("-j1")
    assert run.code == 0 and run.summary.up_to_date == 1 and e2e.calls() == [], run
    assert f"{usd(paid)} (paid by an interrupted run)" in _line(run), run
    assert "counted what a killed agentmake spent and never reported (1): bad" in run.text, run
    _says_nothing(e2e.am("-j1"))


def test_a_build_that_restores_the_output_a_killed_rebuild_paid_to_replace_reports_it_once(e2e: E2E) -> None:
    """The output gone, the next build restores A's result from the cache: B's answer is never salvaged."""
    paid = _recorded_then_rebuilt_and_killed(e2e)
    (e2e.root / "build" / "bad.md").unlink()
    e2e.reset_calls()
    run = e2e.am("-j1")
    assert run.code == 0 and run.summary.cached == 1 and e2e.calls() == [], run
    assert f"{usd(paid)} (paid by an interrupted run)" in _line(run), run
    _says_nothing(e2e.am("-j1"))


@pytest.mark.parametrize("how", [("clean",), ("clean", "--cache")])
def test_clean_after_a_killed_rebuild_says_what_it_paid_for_once(e2e: E2E, how: tuple[str, ...]) -> None:
    paid = _recorded_then_rebuilt_and_killed(e2e)
    cleaned = e2e.am(*how)
    assert cleaned.code == 0, cleaned
    assert f"bad (an attempt found in its logs) cost {usd(paid)}, paid by an agentmake that was killed" in (
        cleaned.text
    ), cleaned
    assert not list((e2e.root / ".agentmake" / "logs").glob("*.key*")) or how == ("clean",), cleaned
    e2e.reset_calls()
    after = e2e.am("-j1")
    assert after.code == 0, after
    assert "interrupted run" not in after.out and "killed agentmake" not in after.text, after


def test_a_question_says_nothing_and_leaves_the_spend_to_the_next_build_that_prints_its_line(
    e2e: E2E,
) -> None:
    """-q runs nothing and prints no summary line: it takes over no killed build, and marks nothing said."""
    paid = _recorded_then_rebuilt_and_killed(e2e)
    asked = e2e.am("-q")
    assert asked.code == 0 and asked.out == "", asked
    run = e2e.am("-s", "-j1")  # (-s: its summary line, which says it)
    assert f"{usd(paid)} (paid by an interrupted run)" in _line(run), run
    _says_nothing(e2e.am("-j1"))
