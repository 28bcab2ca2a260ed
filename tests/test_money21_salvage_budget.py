"""What answers salvaged from a killed build cost (`runners.salvage`: paid by that build, reported by none)
counts against `--budget` as soon as the task that finds them is decided, before the next call starts:
before, it counted only once the attempt that salvaged them ended, so the call that attempt made after its
salvaged answer failed the check, or the call another slot started meanwhile, went past the budget (a
build spent $0.0002 against `--budget 0.0001`). Real CLI runs with the fake agents."""

from __future__ import annotations

from pathlib import Path

from conftest import FakeAgents
from e2e_helpers import E2E
from test_fix20_salvage_rejected import ONE, _history_costs
from test_salvage import _answered_then_killed

from agentmake.scheduler.summary import usd


def test_a_rejected_salvaged_answer_holds_the_call_that_would_replace_it(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e2e = E2E(tmp_path / "proj", fake_agents)
    flag = tmp_path / "checked-once"  # (outside the project: the check fails the first answer it sees)
    check = f'    check = "if test -e {flag}; then true; else touch {flag}; false; fi"\n'
    e2e.write("Agentfile", ONE + check, dedent=False)
    e2e.write("docs/a.md", "doc a\n")
    _answered_then_killed(e2e, {"a"})
    [killed] = _history_costs(e2e)
    e2e.reset_calls()
    run = e2e.am("-j1", "--budget", f"{killed / 2:.8f}")  # spent by the killed build's answer alone
    assert flag.exists() and e2e.calls() == [], run  # (before: asked again, twice the budget spent)
    assert run.summary.not_run == 1 and f"${run.summary.cost}" == usd(killed), run
    assert "paid by an interrupted run" in run.out and "budget reached" in run.text, run
    again = e2e.am("-j1")  # the same answer passes the check now: salvaged, its spend not counted again
    assert e2e.calls() == [] and again.summary.cached == 1, again
    assert again.summary.cost is None and "interrupted run" not in again.out, again


AFTER = '''
agent review:
    inputs = build/a.md
    outputs = build/review.md
    prompt = """
        FAKE: label=review
        Review: {{ read(input) }}
        """

agent other:
    inputs = other.txt
    outputs = out/other.md
    prompt = """
        FAKE: label=c
        Other: {{ read(input) }}
        """
'''


def test_a_salvaged_answer_holds_the_call_another_slot_would_start(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", ONE, dedent=False)
    e2e.write("docs/a.md", "doc a\n")
    _answered_then_killed(e2e, {"a"})
    [killed] = _history_costs(e2e)
    e2e.write("Agentfile", ONE + AFTER, dedent=False)  # (a first: the longer chain; c in the other slot)
    e2e.write("other.txt", "doc c\n")
    e2e.reset_calls()
    run = e2e.am("-j2", "--budget", f"{killed / 2:.8f}")
    assert e2e.calls() == [], run  # (before: c started beside a, before a's answer was counted)
    summary = run.summary
    assert (summary.cached, summary.not_run) == (1, 2) and f"${summary.cost}" == usd(killed), run
