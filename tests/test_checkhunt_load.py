"""Mistakes `agentmake check` must tell at load, located (exit 2), that a build would otherwise find only
after paying for the agents before them (or, for a `check`, for the agent itself)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.cli import main


def check(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["-C", str(root), "check"])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


@pytest.mark.parametrize(
    ("key", "line"),
    [
        ("run", '    run = "cat {input} > {output}"\n'),
        ("check", '    prompt = "hi"\n    check = "test -s {input}"\n'),
    ],
)
def test_input_placeholder_of_an_agent_with_no_inputs_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], key: str, line: str
) -> None:
    # (before: `check` said ok; the build ran `cat ''`, or paid for the agent and then ran `test -s ''`,
    # failing every retry)
    (tmp_path / "Agentfile").write_text(f"agent a:\n{line}    outputs = a.md\n")
    code, err = check(tmp_path, capsys)
    assert code == 2, err
    row = 2 if key == "run" else 3
    assert f"Agentfile:{row}:" in err
    assert f"`{key}` of agent 'a'" in err and "{input}" in err and "no inputs" in err


def test_inputs_placeholder_of_an_agent_with_no_inputs_is_still_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = 'agent a:\n    run = "echo {inputs} > {output}"\n    outputs = a.md\n'
    (tmp_path / "Agentfile").write_text(text)
    code, err = check(tmp_path, capsys)
    assert code == 0, err


def test_a_runner_whose_program_is_not_on_path_is_warned_of(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # (before: `check` said ok; a build paid for `a`, then `b` failed: "nosuchcli: command not found")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    (tmp_path / "Agentfile").write_text(
        'runner mine:\n    command = "nosuchcli -p"\n'
        'agent a:\n    run = "echo hi > {output}"\n    outputs = a.md\n'
        'agent b:\n    runner = mine\n    prompt = "hi"\n    inputs = a.md\n    outputs = b.md\n'
    )
    code, err = check(tmp_path, capsys)
    assert code == 0, err
    assert "warning: runner mine: nosuchcli is not found on PATH" in err
    assert "every task of b would fail" in err
    assert "runner shell" not in err  # (a shell agent's `sh` is not looked for)


def test_a_runner_program_on_path_or_in_the_project_is_not_warned_of(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("mycli", "local"):
        (bin_dir / name).write_text("#!/bin/sh\n")
        (bin_dir / name).chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    (tmp_path / "Agentfile").write_text(
        'runner mine:\n    command = "mycli -p"\nrunner here:\n    command = "bin/local"\n'
        'agent a:\n    runner = mine\n    prompt = "hi"\n    outputs = a.md\n'
        'agent b:\n    runner = here\n    prompt = "hi"\n    outputs = b.md\n'
    )
    code, err = check(tmp_path, capsys)
    assert code == 0, err
    assert "warning" not in err
