"""A misspelt long option (`status --jsno`, `--dryrun`) was told as argparse's bare "unrecognized arguments";
it now says which option it may have meant, or where the options are listed."""

from __future__ import annotations

import sqlite3
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
        (("status", "--jsno"), "unknown option --jsno: did you mean --json? (`agentmake status --json`)"),
        (("--dryrun",), "unknown option --dryrun: did you mean --dry-run? (`agentmake --dry-run`)"),
        (
            ("graph", "--fromat", "dot"),
            "unknown option --fromat: did you mean --format? (`agentmake graph --format dot`)",
        ),
        (("status", "--zzzz"), "unknown option --zzzz: `agentmake status --help` lists the options"),
        (("--zzzz",), "unknown option --zzzz: `agentmake --help` lists the options"),
        # a prefix: every option it begins (`--j` is closer to --json by spelling, but --jobs was as likely)
        (("--j", "3"), "unknown option --j: did you mean --jobs or --json?"),
        (("--d",), "unknown option --d: did you mean --directory or --dry-run?"),
    ],
)
def test_a_misspelt_long_option_says_what_it_may_have_meant(
    tmp_path: Path, args: tuple[str, ...], said: str
) -> None:
    proc = agentmake(tmp_path, *args)
    assert proc.returncode == 2 and f"agentmake: error: {said}\n" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "a.txt").exists()  # (nothing was built)


def test_an_abbreviated_long_option_is_no_option_and_empties_no_cache(tmp_path: Path) -> None:
    """argparse took `clean --c` for `clean --cache` (a prefix of one option): the result cache, the results
    paid for, was emptied by a slip. An option is now spelt whole; the prefix is told as a misspelling."""
    assert agentmake(tmp_path).returncode == 0  # (a.txt built: its result is in the cache)
    cached = _cache_keys(tmp_path)
    assert cached, "the build cached nothing"
    proc = agentmake(tmp_path, "clean", "--c")
    assert proc.returncode == 2, proc.stderr
    assert "unknown option --c: did you mean --cache?" in proc.stderr
    assert _cache_keys(tmp_path) == cached
    assert (tmp_path / "a.txt").exists()  # (not cleaned either)
    proc = agentmake(tmp_path, "--dry")
    assert proc.returncode == 2 and "did you mean --dry-run?" in proc.stderr, proc.stderr


def _cache_keys(root: Path) -> list[str]:
    conn = sqlite3.connect(root / ".agentmake" / "state.db")
    try:
        return sorted(key for (key,) in conn.execute("SELECT key FROM cache"))
    finally:
        conn.close()
