"""A salvaged answer (`runners.salvage`: paid for by a run killed before it recorded it) that fails the
task's check, so that the agent is asked again: what the killed run paid for it is reported once, by the
build that found it, as paid by an interrupted run (its total, its summary line, its `--budget`); before, no
build ever reported it. Real CLI runs with the fake agents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E
from test_salvage import AGENTFILE, _answered_then_killed

from agentmake.scheduler.summary import usd

ONE = AGENTFILE.split("agent plain")[0]


def _history_costs(e2e: E2E) -> list[float]:
    """What each attempt of translate:a cost, as the fake agent's logs say (one result record each)."""
    costs = []
    for log in sorted((e2e.root / ".agentmake").rglob("translate_a*.out")):
        for line in log.read_text().splitlines():
            if line.startswith("{") and '"total_cost_usd"' in line:
                costs.append(json.loads(line)["total_cost_usd"])
    return costs


def _cost(e2e: E2E) -> float:
    """What the task's last build spent on it (its record, as `status` shows it): every attempt's cost."""
    return float(json.loads(e2e.am("status", "--json").out)[0]["last_cost"])


def test_a_salvaged_answer_failing_its_check_is_reported_once(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e2e = E2E(tmp_path / "proj", fake_agents)
    flag = tmp_path / "checked-once"  # (outside the project: the check fails the first answer it sees)
    check = f'    check = "if test -e {flag}; then true; else touch {flag}; false; fi"\n'
    e2e.write("Agentfile", ONE + check, dedent=False)
    e2e.write("docs/a.md", "doc a\n")
    _answered_then_killed(e2e, {"a"})
    [killed] = _history_costs(e2e)  # what the killed run paid for its answer
    e2e.reset_calls()
    run = e2e.am("-j1")
    assert run.code == 0 and e2e.calls() == ["a"], run  # the salvaged answer failed the check: asked again
    assert flag.exists()
    line = next(ln for ln in run.out.splitlines() if ln.startswith("agentmake: "))
    # the killed run's answer and this build's, of the same prompt, cost the same: both on the line, the
    # killed run's as paid by it (recorded as found as soon as the check rejected it, before the new call:
    # `scheduler.earlier.record_found`), the task's record keeping this build's call (before: both)
    assert f"{usd(2 * killed)} ({usd(killed)} of it paid by an interrupted run)" in line, run
    assert "counted what a killed agentmake spent and never reported (1): translate:a" in run.text, run
    assert _cost(e2e) == pytest.approx(killed), (run, killed)
    again = e2e.am("-j1")  # nothing more to count
    assert again.summary.up_to_date == 1 and again.summary.cost is None, again
    forced = e2e.am("-j1", "-B")  # asked again: its own call only, the killed run's not counted twice
    assert _cost(e2e) == pytest.approx(killed), forced
    assert "interrupted run" not in forced.out, forced
