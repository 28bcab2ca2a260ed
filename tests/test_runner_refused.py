"""With -k, a runner whose credentials were refused (or whose quota is spent, or whose CLI is missing) starts
no more tasks: each would fail the same way, and a real CLI may spend minutes retrying a refused key first."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import FakeAgents

AGENTFILE = """\
jobs = 2

agent tr:
    runner  = claude
    prompt  = "FAKE: sleep=0.3\\nTranslate {{ read(input) }}"
    inputs  = docs/{name}.md
    outputs = out/{name}.md

agent copy:
    inputs  = docs/{name}.md
    outputs = copies/{name}.md
    run     = "cp {input} {output}"
"""


def test_a_refused_key_stops_the_runner_not_the_build(tmp_path: Path, fake_agents: FakeAgents) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "Agentfile").write_text(AGENTFILE)
    names = [f"d{i}" for i in range(8)]
    for name in names:
        (tmp_path / "docs" / f"{name}.md").write_text(f"{name}\n")
    env = {k: v for k, v in os.environ.items() if k != "ANTHROPIC_API_KEY"} | {"NO_COLOR": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "agentmake", "-k"], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    calls = [r for r in fake_agents.log_lines() if r[0] == "start"]
    assert 1 <= len(calls) <= 2  # the first refusal (and one call already running beside it), no more
    said = proc.stdout + proc.stderr
    assert said.count("authentication failed") >= len(calls)
    not_run = said.count("runner claude failed for another task: claude authentication failed")
    assert not_run == len(names) - len(calls)
    assert all((tmp_path / "copies" / f"{name}.md").exists() for name in names)  # -k: the rest goes on
