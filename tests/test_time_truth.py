"""A task's *time* is what its attempts ran: the backoff waits between retries are not in it (they are in its
span), alike in the summary table, `agentmake status`, status.md and a report (its table, agent time and one
gantt bar per attempt); and `status` of a failed task shows the failure's time and cost, not those of its
last success. Real builds with the fake claude, whose rate-limit failures wait at least half the
backoff."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.display.fmt import fmt_duration

# retries after a 429 wait uniform in [c/2, c], c = 2s then 4s: at least 3s in all before the third attempt
RETRIED = """
retries = 2
backoff = 2s

agent flaky:
    runner = claude
    prompt = "FAKE: fail=429 times=2\\nhello"
    outputs = out.md

report r:
    inputs = out.md
    output = R.md
"""
WAITED = 3.0


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    project = E2E(tmp_path / "proj", fake_agents)
    return project


def history(e2e: E2E, task_id: str) -> tuple[float, dict[str, object]]:
    """(span, extra) of the task's latest history row."""
    with sqlite3.connect(e2e.root / ".agentmake" / "state.db") as conn:
        started, ended, extra = conn.execute(
            "SELECT started_at, ended_at, extra FROM attempts WHERE task_id = ? ORDER BY rowid DESC LIMIT 1",
            (task_id,),
        ).fetchone()
    conn.close()
    return ended - started, json.loads(extra or "{}")


def seconds(text: str) -> float:
    """`1.2s`, `850ms` or `1m05s` as seconds."""
    if m := re.fullmatch(r"(\d+)m(\d+)s", text):
        return int(m[1]) * 60 + int(m[2])
    if m := re.fullmatch(r"([\d.]+)ms", text):
        return float(m[1]) / 1000
    return float(text.rstrip("s"))


def test_a_retried_tasks_time_leaves_out_the_waits_between_its_attempts(e2e: E2E) -> None:
    e2e.write("Agentfile", RETRIED)
    run = e2e.am("report")
    assert run.code == 0, run
    span, extra = history(e2e, "flaky")
    assert span >= WAITED, (span, run)

    row = next(line for line in run.err.splitlines() if line.startswith("flaky "))  # the summary table
    assert seconds(row.split()[2]) <= span - WAITED + 0.1, (row, span)

    (status,) = [r for r in json.loads(e2e.am("status", "--json").out) if r["task"] == "flaky"]
    assert status["last_duration"] <= span - WAITED + 0.05, (status, span)

    status_md = e2e.read(".agentmake/status.md")
    (md_row,) = [line for line in status_md.splitlines() if line.startswith("| flaky |")]
    assert seconds(md_row.split("|")[3].strip()) <= span - WAITED + 0.1, md_row

    report = e2e.read("R.md")
    (table_row,) = [line for line in report.splitlines() if line.startswith("| flaky |")]
    assert seconds(table_row.split("|")[3].strip()) <= span - WAITED + 0.1, table_row
    bars = [line.strip() for line in report.splitlines() if line.strip().startswith("flaky (try")]
    assert [b.split(" :")[0] for b in bars] == ["flaky (try 1)", "flaky (try 2)", "flaky (try 3)"], report
    assert "crit" in bars[0] and "crit" in bars[1]  # the failed tries are marked as failures

    runs = extra.get("runs")  # (start, end) of each attempt, beside the span, in the history row
    assert isinstance(runs, list) and len(runs) == 3, extra
    assert status["last_duration"] == pytest.approx(sum(end - start for start, end in runs), abs=0.01)


def test_status_of_a_failed_task_shows_the_failure_not_its_last_success(e2e: E2E) -> None:
    agentfile = 'retries = 0\nagent slow:\n    runner = claude\n    prompt = "FAKE: sleep=1.5\\nhi"\n'
    e2e.write("Agentfile", agentfile + "    outputs = out.md\n")
    assert e2e.am().code == 0
    (done,) = json.loads(e2e.am("status", "--json").out)
    assert done["last_duration"] >= 1.5 and done["last_success_duration"] is None, done

    e2e.write("Agentfile", e2e.read("Agentfile").replace("FAKE: sleep=1.5", "FAKE: fail=401"))
    assert e2e.am().code == 1
    (failed,) = json.loads(e2e.am("status", "--json").out)
    assert failed["state"] == "failed", failed
    assert failed["last_duration"] < 1.0, failed  # the failed attempt, not the 1.5s success
    assert failed["last_cost"] != done["last_cost"], failed
    assert failed["last_success_duration"] == done["last_duration"], failed
    assert failed["last_success_cost"] == done["last_cost"], failed
    text = e2e.am("status").out
    assert re.search(r"^failed +slow +\d+ms", text, re.M) or re.search(
        r"^failed +slow +0\.\ds", text, re.M
    ), text
    assert f"    - last success: {fmt_duration(done['last_duration'])}" in text, text  # (1.5s, more if busy)
