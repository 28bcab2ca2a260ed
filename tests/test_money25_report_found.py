"""A report's run summary counts in the run's cost what that build's summary line reported of the spend found
in a killed build's logs (`Journal.spend_said_by`): each found row once, in the report of the build that
said it. Before, it was left out, and the report's cost was less than the line's."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E, kill_quietly, wait_for
from test_money25_killed_rebuild import ANSWERS, _line, _recorded_then_rebuilt_and_killed
from test_money26_report_ledger import _summary_cost

from agentmake.scheduler.summary import usd


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


@pytest.mark.parametrize("how", ["edited", "killed-rebuild"])
def test_a_report_s_run_cost_counts_the_spend_found_in_a_killed_build_s_logs_once(e2e: E2E, how: str) -> None:
    """The build after the kill says what the killed build paid for on its line, with what it paid itself:
    a report's run summary of that build counts it too, once. `edited`: the killed build's answer is never
    used (its input edited since: found as the task starts, `Journal.record_found`); `killed-rebuild`: found
    as the build takes over (the task then runs, its input edited)."""
    if how == "edited":
        e2e.write("Agentfile", ANSWERS)
        e2e.write("docs/a.md", "one\n")
        (e2e.fake.state / "stop-lingering").unlink(missing_ok=True)
        build = e2e.spawn("-j1")
        try:
            wait_for(lambda: any(ev == "end" for ev, *_ in e2e.fake.log_lines()), what="the agent's result")
        finally:
            kill_quietly(build.pid, signal.SIGKILL)
            E2E.finish(build)
        (e2e.fake.state / "stop-lingering").touch()
        out = (e2e.root / ".agentmake" / "logs" / "bad.1.out").read_text()
        paid = float(json.loads(out.splitlines()[-1])["total_cost_usd"])
    else:
        paid = _recorded_then_rebuilt_and_killed(e2e)
    e2e.write("docs/a.md", "one, edited\n")
    run = e2e.am("-j1")
    assert run.code == 0 and run.summary.ran == 1, run
    out = (e2e.root / ".agentmake" / "logs" / "bad.1.out").read_text()
    own = float(json.loads(out.splitlines()[-1])["total_cost_usd"])
    assert f"{usd(paid + own)} ({usd(paid)} of it paid by an interrupted run)" in _line(run), run
    assert _summary_cost(e2e) == usd(paid + own)
