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
