"""A build in which no agent makes a task (each fan-out's pattern matches no file: `src/{dir}/{name}.py` over
`src/pkg/sub/a.py`, or the sources not there yet) said only `0 ran` (or built a report of nothing), which
reads as all built; `agentmake check` alone said why. A build of the default targets, and `agentmake report`,
now say it too, at every build (no build stamp answers the next one unseen)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

AGENTFILE = """\
agent review:
    run = "cat {input} > {output}"
    inputs = src/{dir}/{name}.py
    outputs = build/{dir}/{name}.md

report all:
    inputs = build/*/*.md
    output = ALL.md
"""
SAID = "agentmake: warning: review makes no task: no file matches src/{dir}/{name}.py\n"


def agentmake(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "agentmake", *args]
    return subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=60)


def test_a_build_where_no_agent_makes_a_task_says_why_each_time(tmp_path: Path) -> None:
    (tmp_path / "Agentfile").write_text(AGENTFILE)
    (tmp_path / "src" / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "sub" / "a.py").write_text("a = 1\n")  # (one level too deep for {dir})
    for args in (("-s",), ("-s",), ("-n",), ("report", "-s"), ("report", "-s")):
        proc = agentmake(tmp_path, *args)
        assert proc.returncode == 0 and SAID in proc.stderr, (args, proc.stderr)


def test_no_such_warning_once_an_agent_makes_a_task(tmp_path: Path) -> None:
    (tmp_path / "Agentfile").write_text(AGENTFILE)
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "a.py").write_text("a = 1\n")
    proc = agentmake(tmp_path, "-s")
    assert proc.returncode == 0 and "warning" not in proc.stderr, proc.stderr
    assert (tmp_path / "build" / "pkg" / "a.md").read_text() == "a = 1\n"
