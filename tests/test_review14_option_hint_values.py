"""An unknown option's hint (ux27's `_typed_again`) moved every word shaped as VAR=value to the end, an
option's value too: `agentmake -f a=b.af -k -notes.md` was told `agentmake -f -k -- -notes.md a=b.af`, which,
copied, reads `-k` as the Agentfile. An option's value stays after its option (review14)."""

from __future__ import annotations

import pytest

from agentmake.cli import parse


def _said(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as stopped:
        parse(args)
    assert stopped.value.code == 2
    return capsys.readouterr().err.splitlines()[-1].removeprefix("agentmake: error: ")


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["-f", "a=b.af", "-k", "-notes.md"], "goes after '--': agentmake -f a=b.af -k -- -notes.md)"),
        (["--file", "a=b.af", "-s", "-notes", "x=1"], "agentmake --file a=b.af -s -- -notes x=1)"),
        (["-kC", "d=1", "-notes"], "goes after '--': agentmake -kC d=1 -- -notes)"),
        (["-C", "d=1", "-k", "--jbos", "2"], "(`agentmake -C d=1 -k --jobs 2`)"),
    ],
)
def test_an_option_value_shaped_as_var_value_stays_after_its_option(
    args: list[str], hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    said = _said(args, capsys)
    assert said.endswith(hint), said


@pytest.mark.parametrize("args", [["-k", "-C", "d", "report", "--zzz"], ["-kC", "d", "report", "--zzz"]])
def test_the_command_a_hint_names_is_found_after_a_cluster_s_value(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """`-kC d report --zzz` took `d` for the command (the help hint's own walk over the words skipped only a
    lone option's value); it now reads option values as the hint's command line does (`_option_values`)."""
    assert _said(args, capsys) == "unknown option --zzz: `agentmake report --help` lists the options"
