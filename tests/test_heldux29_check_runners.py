"""(heldux29) `agentmake check` said "1 runner" of an Agentfile that declares two runners (and knows the eight
built-in presets): it counted the runners in use without saying so. It says "1 of 10 runners in use" now."""

from __future__ import annotations

from pathlib import Path

from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """\
runner s:
    base = claude

runner t:
    base = codex

agent a:
    runner = s
    outputs = a.md
    prompt = "hi"
"""


def test_check_says_how_many_runners_of_those_known_are_in_use(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e2e = E2E(tmp_path / "p", fake_agents)
    e2e.write("Agentfile", AGENTFILE, dedent=False)
    run = e2e.am("check")
    assert run.code == 0, run
    assert run.out == "Agentfile: 1 agent (1 task), 0 reports, 1 of 10 runners in use — ok\n", run
