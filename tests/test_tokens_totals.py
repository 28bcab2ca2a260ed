"""Tokens are totalled where cost is: the end-of-build line, the report's run summary, `status --json`."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import FakeAgents

from agentmake.scheduler.summary import summary_line

AGENTFILE = """\
agent tr:
    runner  = claude
    prompt  = "Translate {{ read(input) }}"
    inputs  = docs/{name}.md
    outputs = out/{name}.md

report all:
    inputs = out/*.md
    output = ALL.md
"""


def _run(project: Path, *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "agentmake", *args], cwd=project, capture_output=True, text=True,
        env={**os.environ, "NO_COLOR": "1"}, check=True,
    )  # fmt: skip
    return proc.stdout + proc.stderr


def test_tokens_are_totalled_in_the_summary_line_the_report_and_status(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "Agentfile").write_text(AGENTFILE)
    for name, text in (("a", "one two three\n"), ("b", "four five six seven\n")):
        (tmp_path / "docs" / f"{name}.md").write_text(text)
    said = _run(tmp_path, "report", "-s")
    rows = {row["task"]: row for row in json.loads(_run(tmp_path, "status", "--json"))}
    tin = sum(rows[t]["last_tokens_in"] for t in ("tr:a", "tr:b"))
    tout = sum(rows[t]["last_tokens_out"] for t in ("tr:a", "tr:b"))
    assert tin > 0 and tout > 0 and rows["all"]["last_tokens_in"] is None
    assert re.search(rf"^agentmake: 3 ran, .*, {tin:,} tokens in / {tout:,} out$", said, re.M), said
    assert f"| tokens | {tin:,} in / {tout:,} out |" in (tmp_path / "ALL.md").read_text()

    shutil.rmtree(tmp_path / "out")  # restored from the cache: no tokens spent, none counted
    said = _run(tmp_path, "-s")
    assert re.search(r"^agentmake: 0 ran, 2 cached, .* in [\d.]+s$", said, re.M), said


def test_summary_line_shows_tokens_only_when_known() -> None:
    counts = {"done": 2}
    line = summary_line(counts, 1.25, 0.5)
    assert line == "agentmake: 2 ran, 0 cached, 0 up to date, 0 failed in 1.2s, $0.50"
    line = summary_line(counts, 1.25, None, (12345, 678))
    assert line == "agentmake: 2 ran, 0 cached, 0 up to date, 0 failed in 1.2s, 12,345 tokens in / 678 out"
