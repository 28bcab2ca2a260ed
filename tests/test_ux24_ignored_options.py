"""The options a command took and ignored where the user would think they did something: `check -v`,
`explain -v` and `graph -v` said no more; `init lang=fr` wrote the same starter. Refused now, exit 2, naming
the commands they belong to, as `status -k` or `clean -q` already were. `-j` and `-s` (a wrapper's
`agentmake -j 8` or `-s` before any command) are still taken everywhere; typed after a command that does
nothing with them (`agentmake check -j 3`), a note says so (carry29: before, nothing did)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.cli import main

AGENTFILE = 'agent a:\n    outputs = a.md\n    run = "echo a > {output}"\n'


BUILDS = "build / report / watch"


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["explain", "-v", "a"],
            f"-v is an option of `agentmake {BUILDS} / list / status`, not of `explain`",
        ),
        (["check", "-v"], f"-v is an option of `agentmake {BUILDS} / list / status`, not of `check`"),
        (["graph", "--verbose"], f"-v is an option of `agentmake {BUILDS} / list / status`, not of `graph`"),
    ],
)
def test_an_option_a_command_ignores_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], said: str
) -> None:
    (tmp_path / "Agentfile").write_text(AGENTFILE)
    assert main(["-C", str(tmp_path), *args]) == 2
    assert capsys.readouterr().err == f"agentmake: error: {said}\n"
    assert not (tmp_path / ".agentmake").exists()


@pytest.mark.parametrize(
    "args",
    [["-s", "-j", "2"], ["report", "-v"], ["check", "-s"], ["list", "-v"], ["status", "-v"], ["-s", "clean"],
     ["-j", "8", "status"], ["graph", "-j", "2"], ["-s", "list"], ["status", "-s"]],
)  # fmt: skip
def test_the_commands_that_use_them_take_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    (tmp_path / "Agentfile").write_text(AGENTFILE + "report r:\n    inputs = a.md\n    output = R.md\n")
    assert main(["-C", str(tmp_path), *args]) == 0, capsys.readouterr().err


def test_init_refuses_values_it_would_ignore(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`init lang=fr` wrote the same starter as `init`, saying nothing of `lang`: refused, nothing written."""
    assert main(["-C", str(tmp_path), "init", "lang=fr", "API_TOKEN=s3cret"]) == 2
    err = capsys.readouterr().err
    assert "`agentmake init` takes no VAR=value (got lang, API_TOKEN)" in err, err
    assert "s3cret" not in err
    assert list(tmp_path.iterdir()) == []


J = f"an option of `agentmake {BUILDS}`"
S = f"an option of `agentmake {BUILDS} / check`"


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["check", "-j", "3"], [f"-j does nothing for `check` ({J})"]),
        (["status", "-s"], [f"-s does nothing for `status` ({S})"]),
        (["graph", "-j2"], [f"-j does nothing for `graph` ({J})"]),
        (["list", "-sj", "3"], [f"-j does nothing for `list` ({J})", f"-s does nothing for `list` ({S})"]),
        (["-j", "8", "status"], []),  # (before the command: a wrapper's, for every command)
        (["-s", "-C", ".", "list"], []),
        (["check", "-s"], []),  # (check's own: fewer lines)
        (["-C", "check", "check"], []),  # (a directory named like a command: the command is the second)
    ],
)  # fmt: skip
def test_j_and_s_typed_after_a_command_that_ignores_them_are_said_to_do_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, args: list[str],
    said: list[str],
) -> None:  # fmt: skip
    (tmp_path / "check").mkdir()
    (tmp_path / "Agentfile").write_text(AGENTFILE)
    (tmp_path / "check" / "Agentfile").write_text(AGENTFILE)
    monkeypatch.chdir(tmp_path)
    assert main(args) == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if line.startswith("agentmake: note:")]
    assert notes == [f"agentmake: note: {s}" for s in said]
