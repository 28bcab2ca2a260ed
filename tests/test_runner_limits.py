"""A prompt longer than a runner's CLI reads on stdin fails before the call (it would be cut short, and
paid for)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """\
agent summarise:
    runner = gemini
    inputs = data/{name}.txt
    outputs = out/{name}.md
    prompt = \"\"\"
        FAKE: label={{ name }}
        Summarise:
        {{ read(input) }}
        \"\"\"
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def test_a_prompt_over_geminis_stdin_cap_fails_without_a_call(e2e: E2E) -> None:
    e2e.write("Agentfile", AGENTFILE)
    e2e.write("data/small.txt", "a few words\n")
    e2e.write("data/huge.txt", "x" * (8 * 1024 * 1024 + 1024) + "\n", dedent=False)
    run = e2e.am("-k")
    assert run.code == 1, run
    assert e2e.calls() == ["small"], "the huge prompt never reached gemini"
    assert run.with_state("failed") == {"summarise:huge"}
    assert run.with_state("done") == {"summarise:small"}
    assert "reads at most 8 MiB on stdin" in run.text and "8.0 MiB" in run.text
    assert not e2e.exists("out/huge.md")
    attempts = [line for line in run.err.splitlines() if "summarise:huge" in line and "running" in line]
    assert len(attempts) == 1, "not retried: retrying cannot shorten the prompt"
