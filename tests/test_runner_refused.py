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


def test_claude_refused_permission_to_write_is_asked_once(tmp_path: Path, fake_agents: FakeAgents) -> None:
    # RUNNERS.md: `claude -p` never asks; it lists refused tools in permission_denials and exits 0. The
    # outputs are then missing, and a retry would be refused alike (and paid for again).
    e = E2E(tmp_path, fake_agents)
    e.write(
        "Agentfile",
        """\
        runner claude:
            command = "claude -p --output-format json --permission-mode default"
            retries = 3

        agent split:
            prompt  = "FAKE: write=a.md,b.md\\nSplit it"
            outputs = a.md b.md
        """,
    )
    run = e.am()
    assert run.code == 1, run
    assert len(e.calls()) == 1  # failed at once, not retried
    assert "it was refused Write a.md, Write b.md" in run.text
    assert "--permission-mode default" in run.text
    assert not e.exists("a.md") and not e.exists("b.md")
