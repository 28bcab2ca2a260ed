"""A build with -j 1 whose one paid call costs more than the budget left says why the spend went over it:
a call starts while the spend is under the budget and its cost is known only once it ends (newuser6: the
summary said only that "calls already under way when it was reached went on to finish", and with -j 1 no
call was under way: the user looked for one)."""

from __future__ import annotations

from pathlib import Path

from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """\
agent a:
    inputs = a.md
    outputs = out/a.md
    prompt = "FAKE: label=a\\n{{ read(input) }}"

agent b:
    inputs = out/a.md
    outputs = out/b.md
    prompt = "FAKE: label=b\\n{{ read(input) }}"
"""


def test_overshoot_by_one_call_is_explained(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE, dedent=False)
    e2e.write("a.md", "alpha " * 50 + "\n")
    run = e2e.am("-j", "1", "--budget", "0.00001")
    assert run.code == 1, run
    assert e2e.calls() == ["a"], run  # (b not started: the budget was reached)
    assert "budget reached: no further paid tasks were started" in run.text, run
    assert " budget: a call starts while the spend is under the budget" in run.text, run
    assert "what it costs is known only once it ends" in run.text, run
