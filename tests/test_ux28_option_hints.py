"""Two misspelt options (`agentmake --jbos 2 --dryrun`): the hint corrected the first only, and its command
line, copied, failed on the second; now, each having one match, it names them all and corrects every one.
A control character typed in an unknown option (or another word a hint repeats) reached the terminal raw
(an escape sequence run, not shown): it is shown escaped, `\\x1b` (ux28)."""

from __future__ import annotations

import pytest

from agentmake.cli import parse


def _said(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as stopped:
        parse(args)
    assert stopped.value.code == 2
    return capsys.readouterr().err.splitlines()[-1].removeprefix("agentmake: error: ")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["--jbos", "2", "--dryrun"],
            "unknown options --jbos and --dryrun: did you mean --jobs and --dry-run?"
            " (`agentmake --jobs 2 --dry-run`)",
        ),
        (
            ["-k", "--jbos=3", "a", "--verbos", "x=1", "--dryrun"],
            "unknown options --jbos, --verbos and --dryrun: did you mean --jobs, --verbose and --dry-run?"
            " (`agentmake -k --jobs=3 a --verbose --dry-run x=1`)",
        ),
    ],
)
def test_every_misspelt_option_is_corrected_in_the_hint(
    args: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _said(args, capsys) == said


def test_with_one_option_past_guessing_the_first_is_told_as_before(
    capsys: pytest.CaptureFixture[str],
) -> None:
    said = _said(["--jbos", "2", "--zzzzzz"], capsys)
    assert said == "unknown option --jbos: did you mean --jobs? (`agentmake --jobs 2 --zzzzzz`)", said


def test_a_control_character_typed_is_shown_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    said = _said(["--x\x1b[31m"], capsys)
    assert said == "unknown option --x\\x1b[31m: `agentmake --help` lists the options", said
    hinted = _said(["--jbos", "2", "a\x1bb"], capsys)
    assert "\x1b" not in hinted and hinted.endswith("(`agentmake --jobs 2 'a\\x1bb'`)"), hinted
