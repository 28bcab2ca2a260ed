"""A wildcard value starting with '-' (a file `in/-n.txt` matched by `in/{n}.txt`) at the start of a word of a
shell command (`echo {n}`) would read as an option however it is quoted: the task is refused, located, before
its agent runs, and `agentmake check` says so. Inside a word (`out/{n}.txt`, `--name={n}`) it is only text;
a path value (`{input}`...) starting with '-' is given a `./` prefix instead."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agentmake.errors import AgentfileError, Loc
from agentmake.templates import refuses_some_values, render_command

VALUES = {"input": "-a.txt", "inputs": ["-a.txt"], "output": "o", "outputs": ["o"], "n": "-n"}


@pytest.mark.parametrize(
    "template",
    [
        "echo {n}",
        "{n}",
        "echo x;{n}",
        "echo x|{n}",
        "(cd d && ls {n})",
        'echo "{n}"',
        "echo '{n}'",
        "a&&{n}",
        "a || {n}",
        "a | {n}",
    ],
)
def test_a_dash_value_starting_a_word_is_refused(template: str) -> None:
    with pytest.raises(AgentfileError) as info:
        render_command(template, VALUES, Loc("Agentfile", 3, 11))
    err = info.value
    assert err.message == (
        "wildcard '{n}' has the value '-n', which starts with '-': at the start of a word of the command it "
        "would read as an option"
    )
    assert err.loc == Loc("Agentfile", 3, 11) and err.hint is not None and "rename the file" in err.hint


@pytest.mark.parametrize(
    ("template", "rendered"),
    [
        ("cat in/{n}.txt", "cat in/-n.txt"),
        ("echo --name={n}", "echo --name=-n"),
        ("echo x{n}", "echo x-n"),
        ("cp {input} {output}", "cp ./-a.txt o"),  # (a path: made one that cannot read as an option)
        ("echo x > {n}", "echo x > -n"),  # (a redirection's target is a file name, never an option)
        ("cat <{n}", "cat <-n"),
        ("echo x 2>> {n}", "echo x 2>> -n"),
        ("echo x >| {n}", "echo x >| -n"),  # (a clobbering redirection)
        ("echo x >|{n}", "echo x >|-n"),
    ],
)
def test_a_dash_value_inside_a_word_or_a_dash_path_is_rendered(template: str, rendered: str) -> None:
    assert render_command(template, VALUES) == rendered
    assert render_command("echo {n}", {**VALUES, "n": "a-n"}) == "echo a-n"  # (only a leading '-')


def test_which_commands_can_refuse_a_tasks_values() -> None:
    assert refuses_some_values("echo {n} > {output}") and refuses_some_values("cat {inputs[1]}")
    assert not refuses_some_values("cat in/{n}.txt {input} > {output}")


def agentmake(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "agentmake", *args], cwd=root, capture_output=True, text=True, env=env
    )


def project(root: Path, agent: str) -> None:
    (root / "in").mkdir(parents=True)
    (root / "in" / "a.txt").write_text("a\n")
    (root / "in" / "-n.txt").write_text("dash\n")
    head = "agent w:\n    inputs = in/{n}.txt\n    outputs = out/{n}.txt\n"
    (root / "Agentfile").write_text(head + agent)


def test_a_build_refuses_the_one_task_and_builds_the_others(tmp_path: Path) -> None:
    project(tmp_path, '    run = "echo {n} >> ran.log && cp {input} {output}"\n')
    res = agentmake(tmp_path, "-k")
    assert res.returncode == 1, res.stderr
    assert "✗ w:-n: Agentfile:4:11: wildcard '{n}' has the value '-n'" in res.stdout + res.stderr
    assert (tmp_path / "out" / "a.txt").read_text() == "a\n"
    assert not (tmp_path / "out" / "-n.txt").exists()
    assert (tmp_path / "ran.log").read_text() == "a\n"  # (`echo -n` never ran: it would have printed nothing)


def test_a_check_command_is_refused_before_the_agent_runs(tmp_path: Path) -> None:
    project(tmp_path, '    run = "echo x >> ran.log && cp {input} {output}"\n    check = "test {n} != x"\n')
    res = agentmake(tmp_path, "-k")
    assert res.returncode == 1, res.stderr
    assert "✗ w:-n: Agentfile:5:13: wildcard '{n}' has the value '-n'" in res.stdout + res.stderr
    assert (tmp_path / "ran.log").read_text() == "x\n"  # only w:a's agent ran: none was paid for w:-n
    assert (tmp_path / "out" / "a.txt").exists() and not (tmp_path / "out" / "-n.txt").exists()


def test_check_says_where_and_why(tmp_path: Path) -> None:
    project(tmp_path, '    run = "echo {n} > {output}"\n')
    res = agentmake(tmp_path, "check")
    assert res.returncode == 2
    lines = res.stderr.splitlines()
    assert lines[0].startswith("Agentfile:4:11: error: wildcard '{n}' has the value '-n'")
    assert lines[1].strip() == 'run = "echo {n} > {output}"' and lines[2].strip() == "^"
    (tmp_path / "in" / "-n.txt").rename(tmp_path / "in" / "n.txt")
    assert agentmake(tmp_path, "check").returncode == 0
