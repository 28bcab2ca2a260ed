"""A salvaged answer (`runners.salvage`) of a task whose key was recorded by an earlier build (its output
then deleted and its cache entry cleaned, so that it ran again, and that run was killed with -9 once its
agent answered) has its spend reported once, as paid by an interrupted run: whether it passes its check
(used) or fails it (the agent asked again). The record's build counted its own attempts, not one made
after it; before, `Outcomes._unreported` took any record of the key as proof the spend was reported, and no
build ever reported it. Real CLI runs with the fake agents."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E
from test_fix20_salvage_rejected import ONE
from test_salvage import _answered_then_killed


@pytest.mark.parametrize("passes", [True, False], ids=["used", "rejected"])
def test_a_salvaged_answer_of_a_recorded_key_is_reported_once(
    tmp_path: Path, fake_agents: FakeAgents, passes: bool
) -> None:
    e2e = E2E(tmp_path / "proj", fake_agents)
    flag = tmp_path / "fail-once"  # (outside the project: the check fails once while it exists)
    check = f'    check = "if test -e {flag}; then rm {flag}; false; else true; fi"\n'
    e2e.write("Agentfile", ONE + check, dedent=False)
    e2e.write("docs/a.md", "doc a\n")
    (e2e.fake.state / "stop-lingering").touch()
    first = e2e.am("-j1")
    assert first.summary.ran == 1 and first.summary.cost is not None, first
    (e2e.root / "build/a.md").unlink()
    assert e2e.am("clean", "--cache").code == 0  # its record stays: the key is recorded
    _answered_then_killed(e2e, {"a"})
    if not passes:
        flag.touch()
    e2e.reset_calls()
    run = e2e.am("-j1")
    assert run.code == 0 and e2e.calls() == ([] if passes else ["a"]), run
    assert "paid by an interrupted run" in run.out, run  # (before: not reported)
    forced = e2e.am("-j1", "-B")  # asked again: its own call only
    assert "interrupted run" not in forced.out, forced
