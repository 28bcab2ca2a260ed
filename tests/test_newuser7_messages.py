"""Wording a new user tripped on: a dependency cycle's `expected:` line read "inputs x does not make itself,
directly or through other agents" (no verb for "inputs", and "itself" said x, not what it reads)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CYCLE = (
    'agent x:\n    prompt = "hi"\n    inputs = y.md\n    outputs = x.md\n'
    'agent y:\n    prompt = "hi"\n    inputs = x.md\n    outputs = y.md\n'
)


def test_a_cycle_says_what_was_expected_in_a_sentence(tmp_path: Path) -> None:
    (tmp_path / "Agentfile").write_text(CYCLE)
    cmd = [sys.executable, "-m", "agentmake", "check"]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "error: dependency cycle: x -> y (via x.md) -> x (via y.md)\n" in proc.stderr, proc.stderr
    assert "\nexpected: inputs that x does not make, directly or through other agents\n" in proc.stderr


def test_a_misspelt_setting_on_the_command_line_is_told_once(tmp_path: Path) -> None:
    """`agentmake jbos=3` was told twice: "jbos=... on the command line sets nothing: ...; did you mean
    'jobs'?", then "'jbos' is taken as a variable, not a setting: did you mean 'jobs'?". Now once, by the
    first, which says where it came from; the same slip in the Agentfile keeps its own warning."""
    (tmp_path / "Agentfile").write_text('agent a:\n    run = "echo a > {output}"\n    outputs = a.txt\n')
    cmd = [sys.executable, "-m", "agentmake", "-n", "jbos=3"]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == (
        "agentmake: warning: jbos=... on the command line sets nothing: no setting or variable 'jbos' in the"
        " Agentfile or its prompts; did you mean 'jobs'?\n"
    )
    (tmp_path / "Agentfile").write_text("jbos = 3\n" + (tmp_path / "Agentfile").read_text())
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.stderr == (
        "agentmake: warning: 'jbos' (Agentfile:1) is taken as a variable, not a setting:"
        " did you mean 'jobs'?\n"
    )


def test_an_unknown_long_option_is_not_matched_by_its_dashes(tmp_path: Path) -> None:
    """`--bogus` was "did you mean --verbose?": the `--` every long option shares counted as likeness.
    Names are now compared without it; a real slip (`--jsno`, `--dryrun`) is still told."""
    (tmp_path / "Agentfile").write_text('agent a:\n    run = "echo a > {output}"\n    outputs = a.txt\n')
    for word, said in (
        ("--bogus", "unknown option --bogus: `agentmake --help` lists the options\n"),
        ("--dryrun", "unknown option --dryrun: did you mean --dry-run? (`agentmake --dry-run`)\n"),
        ("--verbos", "unknown option --verbos: did you mean --verbose? (`agentmake --verbose`)\n"),
    ):
        cmd = [sys.executable, "-m", "agentmake", word]
        proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2 and proc.stderr.endswith(f"agentmake: error: {said}"), proc.stderr
