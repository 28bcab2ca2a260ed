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


CHAINED = """\
jobs = 1

agent tr:
    runner  = claude
    prompt  = "FAKE: sleep=0.1\\nTranslate {{ read(input) }}"
    inputs  = docs/{name}.md
    outputs = out/{name}.md

agent count:
    inputs  = out/{name}.md
    outputs = counts/{name}.txt
    run     = "wc -c < {input} > {output}"
"""


def test_what_depends_on_a_task_not_run_says_which_dependency_held_it(
    tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch
) -> None:
    # soak_faults seed 22: a shell task whose input's agent was not run (its runner refused for another task)
    # said "not run (runner claude failed for another task: …)", as if its own runner had failed
    e = E2E(tmp_path, fake_agents)
    e.write("Agentfile", CHAINED, dedent=False)
    for name in ("a", "b", "c"):
        e.write(f"docs/{name}.md", f"{name}\n")
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    run = e.am("-k")
    assert run.code == 1, run
    refused = {t for t in run.with_state("not-run") if t.startswith("tr:")}
    assert len(refused) >= 1, run  # (-j 1: the first call fails, the others are not started)
    for t in sorted(refused):
        name = t.split(":")[1]
        assert f"not run     tr:{name}  (runner claude failed for another task: " in run.err, run
        said = f"count:{name}  (tr:{name} not run: runner claude failed for another task: "
        assert f"not run     {said}" in run.err, run
    failed = next(iter(run.with_state("failed")))
    assert f"not run     count:{failed[3:]}  ({failed} failed)" in run.err, run


def test_a_shell_task_after_an_agent_the_budget_held_says_so(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e = E2E(tmp_path, fake_agents)
    e.write("Agentfile", CHAINED, dedent=False)
    e.write("docs/a.md", "a\n")
    run = e.am("-k", "--budget", "0")
    assert run.code == 1 and e.calls() == [], run
    assert "not run     tr:a  (budget of $0.00 reached" in run.err, run
    assert "not run     count:a  (budget of $0.00 reached before tr:a)" in run.err, run
