"""A report's tokens row says `+ unknown` when an LLM call it counts reported no tokens (ollama's text says
none; claude's JSON does), as the build's summary line does and as its cost row says `unknown` of a cost not
reported: the sum it gives is then not all that was used."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E
from test_s26_tokens_unknown import AGENTFILE

REPORT = """
report r:
    inputs = build/t0.md build/t1.md
    output = R.md
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def _tokens_row(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("| tokens "))


@pytest.mark.parametrize("runners", [("claude", "ollama"), ("claude", "claude")])
def test_a_report_s_tokens_say_unknown_when_a_call_reported_none(e2e: E2E, runners: tuple[str, str]) -> None:
    agents = [
        AGENTFILE.format(name=f"t{i}", runner=r, model="llama3" if r == "ollama" else "sonnet")
        for i, r in enumerate(runners)
    ]
    e2e.write("Agentfile", "\n".join(agents) + REPORT)
    e2e.write("docs/a.md", "one\n")
    run = e2e.am("-j2")
    assert run.code == 0 and sorted(e2e.calls()) == ["t0", "t1"], run
    assert run.out.rstrip().endswith(" + unknown") == ("ollama" in runners), run  # (as the line says)
    row = _tokens_row(e2e.read("R.md"))
    assert row.endswith(" + unknown |") == ("ollama" in runners), row
