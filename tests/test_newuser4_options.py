"""A misspelt long option (`status --jsno`, `--dryrun`) was told as argparse's bare "unrecognized arguments";
it now says which option it may have meant, or where the options are listed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

AGENTFILE = 'agent a:\n    run = "echo a > {output}"\n    outputs = a.txt\n'


def agentmake(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (root / "Agentfile").write_text(AGENTFILE)
    cmd = [sys.executable, "-m", "agentmake", *args]
    return subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("status", "--jsno"), "unknown option --jsno: did you mean --json?"),
        (("--dryrun",), "unknown option --dryrun: did you mean --dry-run?"),
        (("graph", "--fromat", "dot"), "unknown option --fromat: did you mean --format?"),
        (("status", "--zzzz"), "unknown option --zzzz: `agentmake status --help` lists the options"),
        (("--zzzz",), "unknown option --zzzz: `agentmake --help` lists the options"),
    ],
)
def test_a_misspelt_long_option_says_what_it_may_have_meant(
    tmp_path: Path, args: tuple[str, ...], said: str
) -> None:
    proc = agentmake(tmp_path, *args)
    assert proc.returncode == 2 and f"agentmake: error: {said}\n" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "a.txt").exists()  # (nothing was built)
