"""A salvaged answer that fails the task's check (`AttemptResult.rejected`) in a build that then asks the
agent nothing (held: `--budget` reached) has its spend reported by that build alone: its key file, which the
held attempt did not replace though it has the same log stem, is noted reported. Before, it was noted only
when its stem differed from the new attempt's, so every later build counted the killed run's spend again.
Real CLI runs with the fake agents."""

from __future__ import annotations

from pathlib import Path

from conftest import FakeAgents
from e2e_helpers import E2E
from test_fix20_salvage_rejected import ONE
from test_salvage import _answered_then_killed


def test_a_rejected_answer_of_a_held_attempt_is_reported_once(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", ONE + '    check = "false"\n', dedent=False)
    e2e.write("docs/a.md", "doc a\n")
    _answered_then_killed(e2e, {"a"})
    e2e.reset_calls()
    first = e2e.am("-j1", "--budget", "0")  # the answer fails its check; no call is allowed
    assert e2e.calls() == [] and "paid by an interrupted run" in first.out, first
    again = e2e.am("-j1", "--budget", "0")
    assert e2e.calls() == [], again
    assert "interrupted run" not in again.out and again.summary.cost is None, again  # (before: counted again)
