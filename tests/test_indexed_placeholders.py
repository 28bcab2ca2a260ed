"""`{outputs[N]}` / `{inputs[N]}` (and Snakemake's `{output[N]}` / `{input[N]}`) in shell commands: one path
of a multi-output or multi-input task, quoted, from 0. An output index past the last is an Agentfile error at
load time (every task of an agent has as many outputs as the agent has output patterns); an input index is
checked per task (a glob may match any number of files), and a task it does not fit fails at once, located."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from agentmake.cli import main
from agentmake.errors import AgentfileError, Loc
from agentmake.syntax import load_agentfile
from agentmake.templates import command_indices, render_command

VALUES = {"input": "a", "inputs": ["a", "-b c"], "output": "o1", "outputs": ["o1", "o 2;x"], "n": "k"}


def test_each_index_form_is_one_quoted_path() -> None:
    cmd = render_command("printf '%s|' {outputs[1]} {output[0]} {inputs[1]} {input[0]} {n}", VALUES)
    assert cmd == "printf '%s|' 'o 2;x' o1 './-b c' a k"  # quoted, and a leading '-' made a path
    out = subprocess.run(["sh", "-c", cmd], capture_output=True, text=True, check=True).stdout
    assert out == "o 2;x|o1|./-b c|a|k|"
    assert render_command("echo {{outputs[1]}}", VALUES) == "echo {outputs[1]}"  # doubled braces: literal


def test_an_index_past_the_last_path_is_a_located_error() -> None:
    with pytest.raises(AgentfileError) as info:
        render_command("cp {input} {outputs[2]}", VALUES, Loc("Agentfile", 4, 11))
    err = info.value
    assert err.message == "'{outputs[2]}' is past the last output: this task has 2 outputs, numbered from 0"
    assert err.expected == ["{outputs[0]}", "{outputs[1]}"] and err.loc == Loc("Agentfile", 4, 11)
    with pytest.raises(AgentfileError, match="this task has 0 inputs") as none:
        render_command("cat {input[0]}", {**VALUES, "inputs": []})
    assert none.value.hint == "remove '{input[0]}': there is no input to name"


def test_other_indexed_names_stay_unknown_placeholders() -> None:
    for bad in ("{n[0]}", "{files[0]}", "{outputs[-1]}", "{outputs[x]}", "{outputs [0]}"):
        with pytest.raises(AgentfileError, match="unknown placeholder"):
            render_command(f"echo {bad}", VALUES)


def test_command_indices_reads_both_spellings_and_skips_literal_braces() -> None:
    template = "x {outputs[3]} {output[1]} {inputs[2]} {{outputs[9]}} {input[0]}"
    assert command_indices(template, "output") == [3, 1]
    assert command_indices(template, "input") == [2, 0]


AGENT = (
    "agent pair:\n    inputs = src/{{n}}.txt\n    outputs = out/{{n}}.a out/{{n}}.b\n"
    '    run = "{run}"\n{extra}'
)


def _write(root: Path, run: str, extra: str = "") -> Path:
    (root / "src").mkdir(exist_ok=True)
    (root / "src" / "x.txt").write_text("hello\n")
    (root / "Agentfile").write_text(AGENT.format(run=run, extra=extra))
    return root / "Agentfile"


@pytest.mark.parametrize(
    ("run", "extra", "where", "needle"),
    [
        ("cp {input} {outputs[2]}", "", "4:11", "'{outputs[2]}' is past the last output: this task has 2"),
        ("cp {input} {output[0]}", '    check = "test -s {output[5]}"\n', "5:13", "'{output[5]}' is past"),
    ],
)
def test_an_output_index_past_the_last_fails_the_load_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], run: str, extra: str, where: str, needle: str
) -> None:
    line = int(where.split(":")[0])
    path = _write(tmp_path, run, extra)
    with pytest.raises(AgentfileError) as info:
        load_agentfile(path, {})
    assert needle in info.value.message and info.value.loc is not None and info.value.loc.line == line
    assert main(["-C", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"Agentfile:{where}: error:" in err and needle in err and "^" in err
    assert not (tmp_path / "out").exists()  # nothing ran


def test_a_multi_output_shell_agent_writes_each_output_by_index(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "cp {input} {outputs[0]} && tr a-z A-Z < {input[0]} > {output[1]}",
        '    check = "grep -q HELLO {outputs[1]}"\n',  # the check sees the staged second output
    )
    assert main(["-C", str(tmp_path), "-s"]) == 0
    assert (tmp_path / "out/x.a").read_text() == "hello\n"
    assert (tmp_path / "out/x.b").read_text() == "HELLO\n"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["x.a", "x.b"]  # no staged leftovers


def test_an_input_index_a_task_does_not_have_fails_that_task_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "one.txt").write_text("1\n")
    (tmp_path / "Agentfile").write_text(
        "retries = 3\n\nagent all:\n    inputs = src/*.txt\n    outputs = all.txt\n"
        '    run = "cat {inputs[0]} {inputs[1]} > {output}"\n'
    )
    assert main(["-C", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "Agentfile:6:11: '{inputs[1]}' is past the last input: this task has 1 input" in err
    assert "failed      all" in err and "retrying" not in err, err  # fatal: not retried (retries = 3)
    assert not (tmp_path / "all.txt").exists()
    (tmp_path / "src" / "two.txt").write_text("2\n")  # now the glob gives two inputs: the same command runs
    assert main(["-C", str(tmp_path), "-s"]) == 0
    assert (tmp_path / "all.txt").read_text() == "1\n2\n"
