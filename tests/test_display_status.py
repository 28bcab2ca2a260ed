"""`agentmake status` rows from the graph, dry-run decisions, stored records and running processes."""

from __future__ import annotations

import json
import os
from pathlib import Path

from agentmake.display import render_status_json, render_status_text, status_rows
from agentmake.graph import Graph, Task
from agentmake.model import Agentfile, AgentSpec, Settings
from agentmake.plan import Decision, Reason
from agentmake.store import Store, TaskRecord


def graph(root: Path) -> Graph:
    tasks = {}
    specs = {}
    for name in ("fresh", "changed", "broken", "busy", "restorable"):
        specs[name] = AgentSpec(name=name, inputs=(f"in/{name}.md",), outputs=(f"out/{name}.md",), run="true")
        tasks[name] = Task(name, name, "agent", specs[name].inputs, specs[name].outputs, specs[name])
    af = Agentfile(root / "Agentfile", root, Settings(), {}, {}, specs, {})
    return Graph(af, tasks)


def test_status_rows_states_reasons_and_renderings(tmp_path: Path) -> None:
    store = Store.open(tmp_path, lock=False)
    try:
        for name, status in (("fresh", "done"), ("changed", "done"), ("broken", "failed"), ("busy", "done")):
            store.record_success(
                TaskRecord(name, "k-" + name, {}, {}, status=status, finished_at=10.0, duration=2.5,
                           cost_usd=0.125, error="exit 1: boom" if status == "failed" else None),
                {},
            )  # fmt: skip
        decisions = [
            Decision("fresh", "skip"),
            Decision(
                "changed", "run", [Reason("input-changed", "input in/changed.md changed (a1b2… → c3d4…)")]
            ),
            Decision("broken", "run", [Reason("previous-failed", "the last run failed")]),
            Decision("busy", "skip"),
            Decision("restorable", "restore", [Reason("cached", "outputs restored from the cache")]),
        ]
        running = [("busy", 4242, 4242, 999_999)]
        rows = status_rows(graph(tmp_path), decisions, store, running)
    finally:
        store.close()
    by = {r["task"]: r for r in rows}
    assert [r["task"] for r in rows] == ["fresh", "changed", "broken", "busy", "restorable"]
    assert by["fresh"]["state"] == "up to date" and by["fresh"]["last_duration"] == 2.5
    assert by["fresh"]["last_cost"] == 0.125 and by["fresh"]["outputs"] == ["out/fresh.md"]
    assert by["changed"]["state"] == "stale"
    assert by["changed"]["reasons"] == ["input in/changed.md changed (a1b2… → c3d4…)"]
    assert by["broken"]["state"] == "failed" and by["broken"]["reasons"][0] == "exit 1: boom"
    assert by["busy"]["state"] == "running" and by["busy"]["pid"] == 999_999
    assert by["restorable"]["state"] == "stale" and by["restorable"]["last_duration"] is None

    text = render_status_text(rows)
    assert "\x1b" not in text
    lines = text.splitlines()
    assert any(x.startswith("up to date") and "fresh" in x and "2.5s $0.12" in x for x in lines)
    assert "    - input in/changed.md changed (a1b2… → c3d4…)" in lines
    assert any(x.startswith("running in another process (pid 999999)") and "busy" in x for x in lines)
    assert any(x.startswith("stale (restorable from cache)") and "restorable" in x for x in lines)
    assert lines[-1] == "1 failed, 1 running, 2 stale, 1 up to date"

    data = json.loads(render_status_json(rows))
    assert data == json.loads(json.dumps(rows))
    assert data[1]["reasons"] == ["input in/changed.md changed (a1b2… → c3d4…)"]


def test_own_process_is_not_running_elsewhere_and_missing_decisions(tmp_path: Path) -> None:
    g = graph(tmp_path)
    rows = status_rows(g, {}, None, {"busy": os.getpid()})
    assert {r["state"] for r in rows} == {"stale"}
    assert rows[0]["reasons"] == ["never built"]
    assert render_status_text([]) == "no tasks\n"


def test_running_entries_a_stopped_agentmake_left_are_interrupted_tasks(tmp_path: Path) -> None:
    decisions = [Decision("busy", "run", [Reason("never-built", "never built")]), Decision("fresh", "skip")]
    left = [("busy", 4242, 4242, 999_999), ("fresh", 4243, 4243, 999_999)]
    rows = {r["task"]: r for r in status_rows(graph(tmp_path), decisions, None, left, owner_alive=False)}
    stopped = "interrupted: agentmake (pid 999999) stopped before it finished"
    assert rows["busy"]["state"] == "stale" and rows["busy"]["reasons"] == [stopped, "never built"]
    assert rows["fresh"]["state"] == "up to date" and rows["fresh"]["reasons"] == [stopped]
    assert rows["busy"]["pid"] is None and rows["fresh"]["pid"] is None
    text = render_status_text(list(rows.values()))
    assert "running" not in text and f"    - {stopped}" in text.splitlines()


def test_a_failed_task_whose_inputs_went_back_is_up_to_date(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    # it failed on a new input, then the input was reverted: the build says up to date, so must status
    from agentmake.cli import main

    agent = (
        'agent a:\n    inputs = in.txt\n    outputs = out.txt\n    run = "grep -v FAIL {input} > {output}"\n'
    )
    (tmp_path / "Agentfile").write_text("retries = 0\n" + agent)
    (tmp_path / "in.txt").write_text("ok\n")
    assert main(["-C", str(tmp_path), "-s"]) == 0
    (tmp_path / "in.txt").write_text("FAIL\n")
    assert main(["-C", str(tmp_path), "-s"]) == 1
    (tmp_path / "in.txt").write_text("ok\n")
    assert main(["-C", str(tmp_path), "-q"]) == 0  # nothing stale
    capsys.readouterr()
    assert main(["-C", str(tmp_path), "status", "--json"]) == 0
    rows = {r["task"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["a"]["state"] == "up to date", rows["a"]
