"""What scripts and readers parse: `agentmake status --json` keeps one schema for every task, and
`.agentmake/status.md` stays valid Markdown whatever a task is named (quotes, `|`, `<`, newlines...)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.display import StatusFile
from agentmake.scheduler.events import BuildResult, TaskEvent, TaskOutcome


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def test_status_json_has_the_same_keys_for_every_task(e2e: E2E) -> None:
    e2e.write("src/good.txt", "g")
    e2e.write("src/bad.txt", "b")
    e2e.write(
        "Agentfile",
        """\
        retries = 0
        agent copy:
            run     = "test {name} = good && cp {input} {output}"
            inputs  = src/{name}.txt
            outputs = out/{name}.txt
        """,
    )
    assert e2e.am("-k").code == 1
    rows = json.loads(e2e.am("status", "--json").out)
    by = {r["task"]: r for r in rows}
    assert by["copy:bad"]["state"] == "failed" and by["copy:good"]["state"] == "up to date", rows
    # a script reads row["last_success_duration"] of any row: a key present on some rows only is a KeyError
    assert [list(r) for r in rows] == [list(rows[0])] * len(rows), rows
    assert by["copy:good"]["last_success_duration"] is None  # (only a failed task's are apart)
    assert by["copy:bad"]["last_success_duration"] is None  # it never succeeded


def _failing(sink: StatusFile, task_id: str) -> None:
    sink(TaskEvent(task_id, "running", 1.0, attempt=1))
    sink(TaskEvent(task_id, "failed", 2.0, attempt=1, message="boom"))


@pytest.mark.parametrize(
    ("task_id", "heading"),
    [
        ("copy:new\nline", "### copy:new<br>line"),  # (was two lines: the heading cut, `line` a paragraph)
        ("copy:<b>bold", "### copy:&lt;b>bold"),  # (was HTML: the rest of the file in bold)
        ("copy:a #", "### copy:a \\#"),  # (a trailing ` #` is a closing sequence Markdown drops)
        ("copy:back\\slash", "### copy:back\\\\slash"),
        ("copy:pi|pe", "### copy:pi|pe"),  # (a pipe needs no escape outside a table)
    ],
)
def test_a_failed_task_heading_in_status_md_shows_its_id_as_it_is(
    tmp_path: Path, task_id: str, heading: str
) -> None:
    path = tmp_path / "status.md"
    sink = StatusFile(path, interval=0.0, cost_factor=0.0)
    _failing(sink, task_id)
    outcome = TaskOutcome(task_id, "failed", attempts=1, message="boom")
    sink.close(BuildResult(1, {task_id: outcome}, started_at=1.0, ended_at=2.0))
    lines = path.read_text(encoding="utf-8").splitlines()
    failures = lines[lines.index("## Failures") :]
    assert heading in failures, failures
    assert failures[failures.index(heading) + 1 :][:2] == ["", "```text"], failures


@pytest.mark.parametrize(
    "task_id",
    ["copy:e\x1b]0;PWNED\x07x", "copy:rlo\u202etxt.exe", "copy:<b>bold", "copy:a&amp;b", "copy:`x|y`", "ok"],
)
def test_a_task_up_to_date_in_bulk_gets_the_same_escaped_row_as_any_other(
    tmp_path: Path, task_id: str
) -> None:
    path = tmp_path / "status.md"
    sink = StatusFile(path, interval=0.0, cost_factor=0.0)
    sink.up_to_date(
        [task_id], 1.0
    )  # the fast path: rows of tasks up to date in bulk, not formatted one by one
    sink.tick()
    bulk = path.read_text(encoding="utf-8")
    assert "\x1b" not in bulk and "\x07" not in bulk and "\u202e" not in bulk  # (`cat status.md` is safe)
    one = StatusFile(tmp_path / "one.md", interval=0.0, cost_factor=0.0)
    one(TaskEvent(task_id, "up-to-date", 1.0))
    one.tick()
    row = next(line for line in bulk.splitlines() if "| up to date |" in line)
    assert row in (tmp_path / "one.md").read_text(encoding="utf-8").splitlines()
