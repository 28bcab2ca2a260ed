"""A failed LLM task's lines name the prompt its last attempt sent beside its logs (`prompt: ...`), so the
question and the answer of a failure are found from the message alone: in the build's failures list, in
silent mode (-s), in `agentmake status` and in `status --json` (`prompt`). A retry after a failed check names
what that retry sent (`logs/<task>.<attempt>.prompt`); a shell agent sends no prompt and names none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """\
agent ask:
    runner = claude
    prompt = "Tell me about {{ files }}\\nFAKE: fail=500"
    inputs = in.txt
    outputs = out.md
    retries = 1

agent fine:
    run = "cp {inputs} {output}"
    inputs = in.txt
    outputs = fine.txt
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch) -> E2E:
    monkeypatch.setenv("AGENTMAKE_BACKOFF", "0.01")
    e = E2E(tmp_path / "proj", fake_agents)
    e.write("in.txt", "hello\n")
    e.write("Agentfile", AGENTFILE)
    return e


def test_the_failures_list_names_the_prompt_beside_the_logs(e2e: E2E) -> None:
    run = e2e.am("-k")
    assert run.code == 1, run
    lines = run.err.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("✗ ask after 2 attempts: "))
    assert lines[at + 1] == "    logs: .agentmake/logs/ask.2.out", run
    assert lines[at + 2] == "    prompt: .agentmake/tasks/ask.prompt", run
    assert "Tell me about" in e2e.read(".agentmake/tasks/ask.prompt")
    assert "prompt: " not in "\n".join(lines[at + 3 :]), run  # (the shell agent did not fail)


def test_silent_mode_and_status_name_the_prompt(e2e: E2E) -> None:
    run = e2e.am("-s", "-k")
    assert run.code == 1, run
    assert run.err.splitlines()[-2:] == [
        "agentmake: ask logs: .agentmake/logs/ask.2.out",
        "agentmake: ask prompt: .agentmake/tasks/ask.prompt",
    ], run
    status = e2e.am("status")
    assert "    - prompt: .agentmake/tasks/ask.prompt" in status.out.splitlines(), status
    rows = {row["task"]: row for row in json.loads(e2e.am("status", "--json").out)}
    assert rows["ask"]["prompt"] == ".agentmake/tasks/ask.prompt", rows
    assert rows["fine"]["prompt"] is None, rows


def test_a_retry_after_a_failed_check_names_what_it_sent(e2e: E2E) -> None:
    e2e.write(
        "Agentfile",
        'agent ask:\n    runner = claude\n    prompt = "Tell me\\nFAKE: answer=nope"\n'
        "    inputs = in.txt\n    outputs = out.json\n    check = json\n    retries = 1\n",
    )
    run = e2e.am()
    assert run.code == 1, run
    assert "    prompt: .agentmake/logs/ask.2.prompt" in run.err.splitlines(), run
    assert "Your previous answer failed this check:" in e2e.read(".agentmake/logs/ask.2.prompt")


def test_a_shell_agent_names_no_prompt(e2e: E2E) -> None:
    e2e.write(
        "Agentfile",
        'agent boom:\n    run = "echo bad >&2; exit 3"\n    inputs = in.txt\n    outputs = o.txt\n',
    )
    run = e2e.am()
    assert run.code == 1 and "logs: .agentmake/logs/boom." in run.err, run
    assert "prompt:" not in run.err, run
