"""A hint that names a target to build says `agentmake build NAME` when NAME is also a command's name
(`agentmake check` runs the command: `agentmake report check` of an agent `check` was told "`agentmake
check` builds it", which built nothing), and `--` before a target that starts with '-' (review3)."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest


def test_the_report_hint_for_an_agent_named_like_a_command_builds_it(tmp_path: Path) -> None:
    (tmp_path / "Agentfile").write_text(
        'agent check:\n    outputs = c.txt\n    run = "echo c > {output}"\n\n'
        "report r:\n    inputs = c.txt\n    output = R.md\n"
    )
    env = {**os.environ, "NO_COLOR": "1", "CI": "1"}
    am = [sys.executable, "-m", "agentmake"]
    run = subprocess.run([*am, "report", "check"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert run.returncode == 2, run.stderr
    hint = run.stderr.split("builds it")[0].rsplit("`", 2)[1]
    words = shlex.split(hint)
    assert words[0] == "agentmake", hint
    built = subprocess.run([*am, *words[1:]], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert built.returncode == 0, (hint, built.stderr)
    assert (tmp_path / "c.txt").read_text() == "c\n", hint


@pytest.mark.parametrize(
    ("names", "words"),
    [
        (("a",), ("a",)),
        (("check",), ("build", "check")),
        (("copy:x", "list"), ("copy:x", "list")),  # (only the first word is taken for a command)
        (("-x.md",), ("--", "-x.md")),
        (("status", "-x.md"), ("build", "--", "status", "-x.md")),
    ],
)
def test_targets(names: tuple[str, ...], words: tuple[str, ...]) -> None:
    from agentmake.invocation import targets

    assert targets(*names) == words
