"""(heldux29) A misspelt long option typed twice (`agentmake --dryrun --dryrun`) was corrected at its first
place only in the hint's command line (`agentmake --dry-run --dryrun`, which fails on the second); now at
every place, whichever form it was typed in (`--jbos 2 --jbos=3`)."""

from __future__ import annotations

import pytest
from test_newuser28_target_and_misspelt import AFTER, _said


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["--dryrun", "--dryrun"],
            "unknown option --dryrun: did you mean --dry-run? (`agentmake --dry-run --dry-run`)",
        ),
        (
            ["--dryrun", "a", "--dryrun"],
            "unknown option --dryrun: did you mean --dry-run? (`agentmake --dry-run a --dry-run`)",
        ),
        (
            ["--dryrun", "--jbos", "2", "--jbos=3", "--dryrun"],
            "unknown options --dryrun and --jbos: did you mean --dry-run and --jobs?"
            " (`agentmake --dry-run --jobs 2 --jobs=3 --dry-run`)",
        ),
        (
            ["-x", "--dryrun", "--dryrun"],
            "unknown options -x and --dryrun: did you mean --dry-run?"
            f" ({AFTER}: agentmake --dry-run --dry-run -- -x)",
        ),
    ],
)
def test_a_repeated_misspelt_option_is_corrected_at_every_place(
    args: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _said(args, capsys) == said
