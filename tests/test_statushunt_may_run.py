"""`agentmake status` of a task whose build decides later whether it runs: its `check` alone changed (the
build checks the outputs in place first), or an input a task that runs first rebuilds. `-n` and `explain`
say it "may run"; so must `status`, while `--json` keeps its state `stale` and adds `may_run`. Real CLI
runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


CHAIN = """\
agent up:
    inputs = src.txt
    outputs = mid.txt
    run = "cp {input} {output}"
    check = "true"

agent down:
    inputs = mid.txt
    outputs = out.txt
    run = "cp {input} {output}"
"""


def rows(e2e: E2E) -> dict[str, dict]:
    run = e2e.am("status", "--json")
    assert run.code == 0, run
    return {r["task"]: r for r in json.loads(run.out)}


def test_a_changed_check_alone_may_run_in_status_as_in_dry_run(e2e: E2E) -> None:
    e2e.write("Agentfile", CHAIN)
    e2e.write("src.txt", "x\n")
    assert e2e.am().code == 0
    e2e.write("Agentfile", CHAIN.replace('check = "true"', 'check = "test -s {output}"'))
    assert "may run up" in e2e.am("-n").out
    text = e2e.am("status").out
    lines = text.splitlines()
    assert any(line.startswith("may run") and " up " in f"{line} " for line in lines), text
    assert "stale" not in text, text  # (`down` waits for it: it may run too, as `-n` says)
    assert lines[-1] == "2 may run", text
    by = rows(e2e)
    assert by["up"]["state"] == "stale" and by["up"]["may_run"] is True, by["up"]  # (added, not renamed)
    run = e2e.am()
    assert run.code == 0 and run.states["up"] == "up-to-date", run  # (what "may" meant: the outputs pass)


def test_a_task_waiting_for_a_rebuilt_input_may_run_in_status(e2e: E2E) -> None:
    e2e.write("Agentfile", CHAIN)
    e2e.write("src.txt", "x\n")
    assert e2e.am().code == 0
    e2e.write("src.txt", "y\n")
    assert "may run down" in e2e.am("-n").out
    text = e2e.am("status").out
    lines = text.splitlines()
    assert any(line.startswith("stale") and " up " in f"{line} " for line in lines), text
    assert any(line.startswith("may run") and " down" in line for line in lines), text
    assert lines[-1] == "1 may run, 1 stale", text
    by = rows(e2e)
    assert by["down"]["state"] == "stale" and by["down"]["may_run"] is True
    assert by["up"]["may_run"] is False
