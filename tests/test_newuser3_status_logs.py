"""`agentmake status` of a failed task names its last attempt's logs, as the build's summary does: status
said why it failed (the first line of the error) and nothing of where to read the rest. Real builds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """\
retries = 1
agent up:
    inputs = src/{n}.txt
    outputs = out/{n}.txt
    run = "if grep -q bad {input}; then echo 'up: no good, see line 2' >&2; exit 3; fi; cp {input} {output}"
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    project = E2E(tmp_path / "proj", fake_agents)
    project.write("Agentfile", AGENTFILE)
    project.write("src/a.txt", "fine\n")
    project.write("src/b.txt", "bad\n")
    return project


def test_status_names_the_logs_of_a_failed_tasks_last_attempt(e2e: E2E) -> None:
    build = e2e.am("-k")
    assert build.code == 1, build
    log = ".agentmake/logs/up_b-"  # (a fan-out id is written with `_` and a short hash)
    said = [line.strip() for line in build.err.splitlines() if line.strip().startswith("logs: ")]
    assert len(said) == 1 and log in said[0] and said[0].endswith(".2.err"), build  # (the summary's)
    status = e2e.am("status")
    lines = status.out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("failed") and "up:b" in line)
    logs = next(line.strip() for line in lines[at:] if line.strip().startswith("- logs: "))
    assert logs == f"- {said[0]}", status
    assert "no good, see line 2" in e2e.read(logs.removeprefix("- logs: "))
    rows = {row["task"]: row for row in json.loads(e2e.am("status", "--json").out)}
    assert rows["up:b"]["logs"] == [said[0].removeprefix("logs: ")] and rows["up:a"]["logs"] is None, rows
