"""A target taken for an option beside a misspelt long option (`agentmake -x --dryrun`): the hint's command
line copied the misspelt one as typed (`agentmake --dryrun -- -x`, which fails on it); now it corrects it
too where it has one match, and names it where it has none (newuser28)."""

from __future__ import annotations

import pytest

from agentmake.cli import parse


def _said(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as stopped:
        parse(args)
    assert stopped.value.code == 2
    return capsys.readouterr().err.splitlines()[-1].removeprefix("agentmake: error: ")


AFTER = "a target that starts with '-' goes after '--'"


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["-x", "--dryrun"],
            f"unknown options -x and --dryrun: did you mean --dry-run? ({AFTER}: agentmake --dry-run -- -x)",
        ),
        (  # (argparse stops at `-notes.md`, naming neither misspelt option)
            ["--dryrun", "-notes.md", "--jbos", "2"],
            "unknown options -notes.md, --dryrun and --jbos: did you mean --dry-run and --jobs?"
            f" ({AFTER}: agentmake --dry-run --jobs 2 -- -notes.md)",
        ),
        (
            ["-x", "--jbos=3", "a", "--verbos", "x=1"],
            "unknown options -x, --jbos and --verbos: did you mean --jobs and --verbose?"
            f" ({AFTER}: agentmake --jobs=3 a --verbose -- -x x=1)",
        ),
        (
            ["-x", "--zzzzzz"],
            f"unknown option -x ({AFTER}: agentmake --zzzzzz -- -x); unknown too: --zzzzzz"
            " (`agentmake --help` lists the options)",
        ),
    ],
)
def test_a_misspelt_option_beside_a_target_is_corrected_or_named(
    args: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _said(args, capsys) == said


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["-k", "-x"], "agentmake -k -- -x"),
        (["report", "-v", "-notes.md"], "agentmake report -v -- -notes.md"),
    ],
)
def test_alone_the_target_is_told_as_before(
    args: list[str], hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _said(args, capsys) == f"unknown option {args[-1]} ({AFTER}: {hint})"
