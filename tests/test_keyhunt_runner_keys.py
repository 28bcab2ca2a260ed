"""Runner settings and task keys: a setting that does not change the call reruns nothing, and a runner
is invoked as the preset at the root of its `base` chain (real CLI, fake agents)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

SHELL_AGENT = """\
agent up:
    inputs = in.txt
    outputs = out.txt
    run = "tr a-z A-Z < {input} > {output}"
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("in.txt", "alpha\n")
    return e2e


@pytest.mark.parametrize(
    "lines",
    [
        ["env = FOO BAR"],
        ["format = claude-json"],
        ["model_flag = --model", "model = opus"],
    ],
    ids=["env", "format", "model"],
)
def test_shell_runner_settings_no_shell_agent_sees_rerun_nothing(e2e: E2E, lines: list[str]) -> None:
    """A shell agent runs `sh -c COMMAND` with the whole environment, writes its outputs itself and is given
    no model: the shell runner's `env`, `format` and `model` never reach it. They were part of its key, so
    setting one reran every shell agent (`would run up: runner shell: env changed (none) → BAR FOO`)."""
    e2e.write("Agentfile", SHELL_AGENT)
    assert e2e.am().summary.ran == 1
    block = "runner shell:\n" + "".join(f"    {line}\n" for line in lines)
    e2e.write("Agentfile", SHELL_AGENT + block)
    dry = e2e.am("-n")
    assert "agentmake: 0 to run, 1 up to date (dry run)" in dry.out, dry
    build = e2e.am()
    assert (build.summary.ran, build.summary.up_to_date) == (0, 1), build


def test_the_shell_runner_command_still_reruns_shell_agents(e2e: E2E) -> None:
    """The command is what a shell agent is run with: changing it reruns the agent, and explain says so."""
    e2e.write("Agentfile", SHELL_AGENT)
    assert e2e.am().summary.ran == 1
    e2e.write("Agentfile", SHELL_AGENT + 'runner shell:\n    command = "bash -c"\n')
    assert "runner shell: command changed sh -c → bash -c" in e2e.am("explain", "up").out
    assert e2e.am().summary.ran == 1


LLM_AGENT = '''\
runner claude:
    env = {env}

agent write:
    inputs = in.txt
    outputs = out.md
    prompt = """
        FAKE: label=write
        {{{{ read(input) }}}}
        """
'''


def test_an_environment_variable_named_twice_is_passed_once_and_reruns_nothing(e2e: E2E) -> None:
    """`env = FOO BAR FOO` passes the same variables as `env = BAR FOO`; the key held the list with its
    duplicate, so naming one twice paid for the agent again."""
    e2e.write("Agentfile", LLM_AGENT.format(env="FOO BAR"))
    assert e2e.am().summary.ran == 1
    e2e.write("Agentfile", LLM_AGENT.format(env="FOO BAR FOO"))
    e2e.reset_calls()
    dry = e2e.am("-n")
    assert "agentmake: 0 to run, 1 up to date (dry run)" in dry.out, dry
    build = e2e.am()
    assert (build.summary.ran, build.summary.up_to_date) == (0, 1), build
    assert e2e.calls() == []
    e2e.write("Agentfile", LLM_AGENT.format(env="FOO BAR BAZ"))  # (a new name still reruns it)
    assert "runner claude: env changed BAR FOO → BAR BAZ FOO" in e2e.am("-n").out
    assert e2e.am().summary.ran == 1
