"""`agentmake COMMAND --help` tells that command's own usage, what it does and the options it takes."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from agentmake.cli import COMMANDS, main, parse
from agentmake.errors import UsageError

# an option's value, for trying it with a command
_VALUES = {"-f": "Agentfile", "-C": ".", "-j": "2", "--budget": "1", "--format": "dot"}


def _help(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def _options(text: str) -> set[str]:
    """The short or long flags of each option line of a help text."""
    return {m for m in re.findall(r"^  (-[-\w]+)", text, re.M)}


def test_clean_help_is_cleans_own(capsys: pytest.CaptureFixture[str]) -> None:
    out = _help(capsys, "clean", "--help")
    assert out.startswith("usage: agentmake clean [options] [TARGET...]")
    assert COMMANDS["clean"] in " ".join(out.split())
    flags = _options(out)
    assert {"--cache", "--leftovers", "-n"} <= flags
    assert not {"--budget", "--json", "--format", "-j", "-k", "-B", "-q"} & flags
    assert "say what it would remove" in out  # clean's -n, not a build's
    assert "commands:" not in out  # (the top-level page lists every command)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_each_command_has_its_own_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    short = _help(capsys, command, "-h")
    assert short == _help(capsys, "--help", command)  # (options go anywhere: before the command too)
    usage = "agentmake [build]" if command == "build" else f"agentmake {command}"
    assert short.startswith(f"usage: {usage} ")
    assert COMMANDS[command] in " ".join(short.split())


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_commands_help_lists_exactly_the_options_it_takes(
    command: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Every option the help names is taken by the command; every option the top-level help names that the
    command's does not is refused by it (so the help never hides an option, nor offers one refused)."""
    shown = _options(_help(capsys, command, "--help"))
    every = _options(_help(capsys, "--help")) - {"--version"}
    for flag in every:
        argv = ["-C", str(tmp_path), command, flag, *([_VALUES[flag]] if flag in _VALUES else [])]
        if command == "explain":
            argv.append("t")
        if flag in ("-C", "-h"):
            continue
        if flag in shown:
            parse(argv)
        elif flag not in ("-j", "-s", "-v"):  # (taken by every command, ignored by some: not this fix)
            with pytest.raises(UsageError):
                parse(argv)


def test_help_needs_nothing_else_right(capsys: pytest.CaptureFixture[str]) -> None:
    """`explain --help` needs no TARGET, and help is given before -C's directory is looked for."""
    assert "usage: agentmake explain" in _help(capsys, "explain", "--help")
    assert "usage: agentmake status" in _help(capsys, "-C", "/no/such/dir", "status", "-h")


def test_top_level_help_is_still_the_whole_page(capsys: pytest.CaptureFixture[str]) -> None:
    out = _help(capsys, "--help")
    assert "commands:" in out and "--leftovers" in out and "--budget" in out
    assert "`agentmake COMMAND --help`" in out
    # a target's name first is a build: its help is the whole page too, as `agentmake --help` is
    assert _help(capsys, "review", "--help") == out


def test_help_after_double_dash_is_a_target(tmp_path: Path) -> None:
    command, _ns, req = parse(["-C", str(tmp_path), "clean", "--", "--help"])
    assert command == "clean" and req.targets == ["--help"]  # type: ignore[attr-defined]


def test_console_script_clean_help(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "agentmake", "clean", "--help"],
        cwd=tmp_path, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert run.returncode == 0 and run.stderr == ""
    assert "--leftovers" in run.stdout and "--budget" not in run.stdout


@pytest.mark.parametrize("command", ["init", "check", "build"])
def test_f_ending_in_a_slash_is_a_directory_not_an_agentfile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    """`agentmake init -f new/` wrote the starter Agentfile as a file named `new` (Path() drops the slash)."""
    assert main(["-C", str(tmp_path), command, "-f", "new/"]) == 2
    assert capsys.readouterr().err == (
        "agentmake: error: -f new/: a directory (it ends in '/'); -f names the Agentfile (-f new/Agentfile),"
        " -C a directory (-C new/)\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_the_help_of_a_command_without_targets_names_none(capsys: pytest.CaptureFixture[str]) -> None:
    """`check` and `list` take no targets: their help said every word after `--` is "a target or
    VAR=value"."""
    for command in ("check", "list"):
        assert main([command, "--help"]) == 0
        out = capsys.readouterr().out
        assert "every word after it is a VAR=value." in out, out
        assert "target" not in out.split("'--'")[1], out
