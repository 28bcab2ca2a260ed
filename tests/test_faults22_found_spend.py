"""What a build killed with -9 paid for and never recorded, found in its attempt's logs by a later build (a
failure its agent was paid for; a salvaged answer that failed the task's check), is recorded in the state
database the moment it is found, before that build's own attempt at the same log stem replaces those logs
(`scheduler.earlier.record_found`): when that build is killed too, before it records anything of the task,
the build after it still reports the spend, exactly once. Before, it was held only by the finding build's
outcome of the task, and lost with it (benchmarks/soak_kill9.py --faults: "10 tokens short").

Build A pays for an attempt and is killed while the agent lingers; build B finds A's spend and is killed at a
chosen moment of its new attempt at the same stem (`crash_at`); build C must report A's spend once, and the
build after it nothing. Real CLI runs with the fake claude.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
from conftest import FakeAgents
from crash_helpers import crash_at
from e2e_helpers import E2E, Run, kill_quietly, wait_for
from test_soak22_unrecorded_failure import FAILS_ONCE, STOPPED_COST

from agentmake.scheduler.summary import usd

CHECKED = '''\
agent bad:
    inputs = docs/a.md
    outputs = build/bad.md
    check = "test -e {flag}"
    prompt = """
        FAKE: label=bad linger=60
        Translate: {{{{ read(input) }}}}
        """
'''

# where build B is killed (audit event, path): as its new attempt removes A's output (A's logs still there,
# the spend recorded and the key file noted as reported), or its last log, A's output gone (no build can find
# A's spend in the logs any more), before its own key file is renamed over A's (`SalvageAttempts._note_key`
# removes the logs first, then replaces the key whole, so that a key file is always there)
MOMENTS = [("os.remove", "bad.1.out"), ("os.remove", "bad.1.err")]
OUT_GONE = MOMENTS[1]


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def _paid_then_killed(e2e: E2E) -> None:
    """Build A: the agent prints its result (paid) and lingers; agentmake is killed before it sees it exit."""
    e2e.reset_calls()
    build = e2e.spawn("-j1")
    try:
        wait_for(lambda: any(ev == "end" for ev, *_ in e2e.fake.log_lines()), what="the agent's result")
    finally:
        kill_quietly(build.pid, signal.SIGKILL)
        killed = E2E.finish(build)
    assert "agentmake: " not in killed.out, killed
    (e2e.fake.state / "stop-lingering").touch()  # (agents asked again from now on exit at once)


def _paid_in_log(e2e: E2E) -> float:
    """What A's attempt cost, as its log says."""
    out = (e2e.root / ".agentmake" / "logs" / "bad.1.out").read_text()
    return float(json.loads(out.splitlines()[-1])["total_cost_usd"])


def _line(run: Run) -> str:
    return next(ln for ln in run.out.splitlines() if ln.startswith("agentmake: "))


def _reported_once(e2e: E2E, paid: float, asks: bool = True) -> None:
    """Build C reports `paid` as paid by an interrupted run, with what its own call cost if it `asks`; the
    build after it reports nothing of it."""
    run = e2e.am("-j1")
    assert run.code == 0 and e2e.calls() == (["bad"] if asks else []), run
    if asks:
        total = paid + _paid_in_log(e2e)  # (C's call, whose log is at that stem now)
        assert f"{usd(total)} ({usd(paid)} of it paid by an interrupted run)" in _line(run), run
    else:
        assert f"{usd(paid)} (paid by an interrupted run)" in _line(run), run
    assert "counted what a killed agentmake spent and never reported (1): bad" in run.text, run
    again = e2e.am("-j1")
    assert again.code == 0 and again.summary.up_to_date == 1 and again.summary.cost is None, again
    assert "interrupted run" not in again.out and "killed agentmake" not in again.text, again
    assert e2e.calls() == (["bad"] if asks else []), "the build after C called nothing"


@pytest.mark.parametrize("moment", MOMENTS, ids=["removing-out", "out-removed"])
def test_a_paid_failure_found_by_a_build_killed_in_its_new_attempt_is_reported_once(
    e2e: E2E, moment: tuple[str, str]
) -> None:
    e2e.write("Agentfile", FAILS_ONCE)
    e2e.write("docs/a.md", "one\n")
    _paid_then_killed(e2e)  # A: stopped at its turn limit, paid for, never recorded
    e2e.reset_calls()
    crash_at(e2e, *moment, "-j1")  # B: finds A's failure, killed as it starts its own attempt
    assert e2e.calls() == [], "B was killed before it called the agent"
    e2e.reset_calls()
    dry = e2e.am("-j1", "-n")  # (a dry run reports nothing, and marks nothing reported)
    assert "interrupted run" not in dry.out, dry
    _reported_once(e2e, STOPPED_COST)


@pytest.mark.parametrize("moment", MOMENTS, ids=["removing-out", "out-removed"])
def test_a_rejected_salvaged_answer_found_by_a_build_killed_in_its_new_attempt_is_reported_once(
    tmp_path: Path, e2e: E2E, moment: tuple[str, str]
) -> None:
    flag = tmp_path / "answers-pass"  # (outside the project: the check fails until it exists)
    e2e.write("Agentfile", CHECKED.format(flag=flag))
    e2e.write("docs/a.md", "one\n")
    _paid_then_killed(e2e)  # A: answered, paid for, never recorded
    killed = _paid_in_log(e2e)
    e2e.reset_calls()
    crash_at(e2e, *moment, "-j1")  # B: salvages A's answer, which fails the check; killed
    assert e2e.calls() == [], "B was killed before it called the agent"
    flag.touch()  # (C: A's answer, whose logs B did not get to remove, is salvaged: its spend said once)
    _reported_once(e2e, killed, asks=moment == OUT_GONE)


ANSWERS = '''\
agent bad:
    inputs = docs/a.md
    outputs = build/bad.md
    prompt = """
        FAKE: label=bad linger=60
        Translate: {{ read(input) }}
        """
'''


@pytest.mark.parametrize("how", ["edited", "-B"])
def test_an_answer_a_killed_build_paid_for_and_the_next_never_uses_is_reported_once(
    e2e: E2E, how: str
) -> None:
    """A's answer is never salvaged when the next build asks for another (its input edited since, or -B):
    its spend is recorded as found before B's call replaces its log, and said once. Before, never."""
    e2e.write("Agentfile", ANSWERS)
    e2e.write("docs/a.md", "one\n")
    _paid_then_killed(e2e)  # A: answered, paid for, never recorded
    killed = _paid_in_log(e2e)
    if how == "edited":
        e2e.write("docs/a.md", "one, edited\n")
    e2e.reset_calls()
    run = e2e.am("-j1", *([how] if how == "-B" else []))
    assert run.code == 0 and e2e.calls() == ["bad"], run
    total = killed + _paid_in_log(e2e)  # (B's call, whose log is at that stem now)
    assert f"{usd(total)} ({usd(killed)} of it paid by an interrupted run)" in _line(run), run
    assert "counted what a killed agentmake spent and never reported (1): bad" in run.text, run
    again = e2e.am("-j1", *([how] if how == "-B" else []))  # (-B: asked again, its own call only)
    assert again.code == 0 and "interrupted run" not in again.out, again
    assert "killed agentmake" not in again.text, again
