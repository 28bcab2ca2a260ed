"""A shell command that exits 0 without writing its staged output is retried, unless every attempt would do
the same: it wrote the output's own path (`echo hi > o.txt`, as a make recipe names its target), or its `run`
names no output at all. Those failed after every retry with "command did not write o.txt", o.txt there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def build(project: Path, run: str) -> subprocess.CompletedProcess[str]:
    (project / "in.txt").write_text("hello\n")
    (project / "Agentfile").write_text(
        f'agent a:\n    inputs = in.txt\n    outputs = o.txt\n    run = "{run}"\n'
    )
    env = {**os.environ, "AGENTMAKE_BACKOFF": "10ms"}
    cmd = [sys.executable, "-m", "agentmake"]
    return subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True, timeout=60)


def test_a_command_writing_its_outputs_own_path_fails_at_once_saying_so(tmp_path: Path) -> None:
    proc = build(tmp_path, "cat {input} > o.txt")
    assert proc.returncode == 1
    assert "✗ a: command did not write o.txt: it wrote o.txt itself; a command writes {output}" in proc.stderr


def test_a_command_naming_no_output_fails_at_once_saying_so(tmp_path: Path) -> None:
    proc = build(tmp_path, "cat {input} > /dev/null")
    assert proc.returncode == 1
    assert "✗ a: command did not write o.txt: its `run` names no {output} (or {outputs})" in proc.stderr


def test_a_command_naming_its_output_that_left_it_unwritten_is_still_retried(tmp_path: Path) -> None:
    proc = build(tmp_path, "test -e ok && cat {input} > {output} || true")
    assert proc.returncode == 1
    assert "✗ a after 3 attempts: command did not write o.txt" in proc.stderr
