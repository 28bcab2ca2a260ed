"""With -k, a runner whose credentials were refused (or whose quota is spent, or whose CLI is missing) starts
no more tasks: each would fail the same way, and a real CLI may spend minutes retrying a refused key first."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """\
jobs = 2

agent tr:
    runner  = claude
    prompt  = "FAKE: sleep=0.3\\nTranslate {{ read(input) }}"
    inputs  = docs/{name}.md
    outputs = out/{name}.md

agent copy:
    inputs  = docs/{name}.md
    outputs = copies/{name}.md
    run     = "cp {input} {output}"
"""


def test_a_refused_key_stops_the_runner_not_the_build(
    tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch
) -> None:
    e = E2E(tmp_path, fake_agents)
    e.write("Agentfile", AGENTFILE, dedent=False)
    names = [f"d{i}" for i in range(8)]
    for name in names:
        e.write(f"docs/{name}.md", f"{name}\n")
    monkeypatch.delenv("ANTHROPIC_API_KEY")  # claude's key: not set, so refused
    run = e.am("-k")
    assert run.code == 1, run
    calls = e.calls()
    assert 1 <= len(calls) <= 2  # the first refusal (and one call already running beside it), no more
    assert run.text.count("authentication failed") >= len(calls)
    not_run = run.text.count("runner claude failed for another task: claude authentication failed")
    assert not_run == len(names) - len(calls)
    assert all(e.exists(f"copies/{name}.md") for name in names)  # -k: the rest goes on
