"""Runner settings and task keys: a setting that does not change the call reruns nothing, and a runner
is invoked as the preset at the root of its `base` chain (real CLI, fake agents)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.runners.presets import preset_of
from agentmake.syntax.load import load_agentfile

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


def test_a_runner_based_on_a_runner_based_on_claude_is_invoked_as_claude(e2e: E2E) -> None:
    """`runner b: base = a` with `runner a: base = claude`: b's preset was none (its base, `a`, is no
    preset), so claude was started without its login (ANTHROPIC_API_KEY not passed, no config directory)
    and every call failed: `agent authentication failed (Not logged in · Please run /login)`."""
    e2e.write(
        "Agentfile",
        '''\
        runner a:
            base = claude
            model = sonnet
        runner b:
            base = a
        agent t:
            runner = b
            inputs = in.txt
            outputs = out.md
            prompt = """
                FAKE: label=t show-argv
                hello
                """
        ''',
    )
    build = e2e.am()
    assert build.code == 0 and build.summary.ran == 1, build
    assert e2e.calls() == ["t"]
    out = e2e.read("out.md")
    assert '"--model", "sonnet"' in out, out  # (a's model, passed with claude's flag)


def test_a_runner_two_bases_from_llm_with_json_reads_llm_json(tmp_path: Path) -> None:
    """`--json` in the command of a runner resting on `llm` makes its answer llm's JSON records: read as
    `llm-json`. A runner based on a runner based on `llm` was read as `text` (the whole record, prompt
    included, became the output)."""
    (tmp_path / "Agentfile").write_text(
        'runner a:\n    base = llm\nrunner b:\n    base = a\n    command = "llm --json"\n'
    )
    af = load_agentfile(tmp_path / "Agentfile")
    assert (af.runners["b"].base, af.runners["b"].format) == ("a", "llm-json")
    assert preset_of(af.runners["b"]) == "llm"
