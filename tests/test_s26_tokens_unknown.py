"""The tokens on a build's summary line are followed by `+ unknown` when some LLM call reported none (ollama's
text says no tokens; claude's JSON does), as the cost is: the sum said is then not all that was used."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = '''\
agent {name}:
    runner = {runner}
    model = {model}
    retries = 0
    inputs = docs/a.md
    outputs = build/{name}.md
    prompt = """
        FAKE: label={name}
        Say: {{{{ read(input) }}}}
        """
'''
TOKENS = re.compile(r"^agentmake: .*, ([\d,]+) tokens in / ([\d,]+) out( \+ unknown)?$", re.M)


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


@pytest.mark.parametrize("runners", [("claude", "ollama"), ("claude", "claude")])
def test_tokens_say_unknown_when_a_call_reported_none(e2e: E2E, runners: tuple[str, str]) -> None:
    e2e.write(
        "Agentfile",
        "\n".join(
            AGENTFILE.format(name=f"t{i}", runner=r, model="llama3" if r == "ollama" else "sonnet")
            for i, r in enumerate(runners)
        ),
    )
    e2e.write("docs/a.md", "one\n")
    run = e2e.am("-j2")
    assert run.code == 0 and sorted(e2e.calls()) == ["t0", "t1"], run
    found = TOKENS.search(run.out)
    assert found, run
    assert int(found[1].replace(",", "")) > 0, run
    assert bool(found[3]) == ("ollama" in runners), run  # (claude's tokens alone are all of them)
    assert run.summary.ran == 2, run  # (the helpers' summary pattern reads the line either way)
