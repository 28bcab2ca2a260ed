"""An unknown option's hint repeats every word typed but the one it corrects (ux27): `agentmake -k -notes.md`
was told `agentmake -- -notes.md` (-k dropped: copied, it stopped at the first failure), `report -v -dryrun`
`agentmake report -- -dryrun`; a misspelt long option (`-k --jbos 2`) gets the command with it corrected."""

from __future__ import annotations

import shlex

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
        (["-k", "-notes.md"], "agentmake -k -- -notes.md"),
        (["report", "-v", "-dryrun"], "agentmake report -v -- -dryrun"),
        (["-k", "-j", "2", "a", "-notes", "lang=fr", "--", "-b"], "agentmake -k -j 2 a -- -notes -b lang=fr"),
        (["--directory=my dir", "-s", "-notes"], "agentmake '--directory=my dir' -s -- -notes"),
    ],
)
def test_a_target_taken_for_an_option_keeps_every_other_word(
    args: list[str], hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    said = _said(args, capsys)
    assert said.endswith(f"goes after '--': {hint})"), said


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["-k", "--jbos", "2"], "agentmake -k --jobs 2"),
        (["report", "-v", "--dryrun"], "agentmake report -v --dry-run"),
        (["-v", "--jbos=3", "a", "x=1", "--", "-b"], "agentmake -v --jobs=3 a -- -b x=1"),
    ],
)
def test_a_misspelt_long_option_is_told_with_the_command_line_corrected(
    args: list[str], hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    said = _said(args, capsys)
    assert said.endswith(f"(`{hint}`)"), said
    assert sorted(shlex.split(hint)[1:]) == sorted(
        "--jobs" + w[6:] if w.startswith("--jbos") else "--dry-run" if w == "--dryrun" else w for w in args
    )  # every word typed, the misspelt one corrected


def test_a_secret_value_typed_is_left_out_of_the_hint(capsys: pytest.CaptureFixture[str]) -> None:
    said = _said(["-k", "--verbos", "api_key=sk-123456789abcdefghijk"], capsys)
    assert said.endswith("(`agentmake -k --verbose api_key=…`)") and "sk-1" not in said, said
