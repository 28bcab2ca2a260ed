"""`agentmake report out/a.txt` (an agent's output, where a report's output was meant, or a task id) said
only "no report named 'out/a.txt' (reports: all)"; it now says what the target is and how to build it,
as it already did for an agent's name. Real CLI, real files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

AGENTFILE = """\
agent copy:
    run = "cp {input} {output}"
    inputs = src/{n}.txt
    outputs = out/{n}.txt

report all:
    inputs = out/*.txt
    output = ALL.md
"""


@pytest.mark.parametrize(
    ("target", "said"),
    [
        ("out/a.txt", "it is an output of copy:a (`agentmake out/a.txt` builds it)"),
        ("./out/a.txt", "it is an output of copy:a (`agentmake ./out/a.txt` builds it)"),
        ("copy:a", "it is a task of agent copy (`agentmake copy:a` builds it)"),
    ],
)
def test_report_naming_what_an_agent_makes_says_so(tmp_path: Path, target: str, said: str) -> None:
    (tmp_path / "Agentfile").write_text(AGENTFILE)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("a\n")
    env = {**os.environ, "NO_COLOR": "1"}
    run = subprocess.run(
        [sys.executable, "-m", "agentmake", "report", target],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
    )
    assert run.returncode == 2 and "Traceback" not in run.stderr, run
    assert run.stderr.strip() == f"agentmake: error: no report named '{target}': {said}", run.stderr
    assert not (tmp_path / "out").exists()  # nothing was built
