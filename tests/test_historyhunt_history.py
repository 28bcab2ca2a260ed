"""The state's journal (attempts history, error log, runs) stays bounded however many builds run, and what
status, reports and the scheduler read of it for the tasks of the graph is what it was before pruning."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from test_report import make_graph

from agentmake import workflow
from agentmake.display.status import status_rows
from agentmake.model import ReportSpec
from agentmake.report import render_summary
from agentmake.store import AttemptRecord, Store, TaskRecord
from agentmake.store.journal import HISTORY_KEPT, RUNS_KEPT

TASKS = [f"t{i}" for i in range(6)]


def _count(root: Path, table: str) -> int:
    conn = sqlite3.connect(root / ".agentmake" / "state.db")
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def _build(store: Store, n: int, *, failing: set[str], retried: bool = False) -> int:
    """One build of every task, as the scheduler records it: `failing` tasks fail (after an error event),
    the others succeed; `retried`: each success took two rows (an interrupted one first)."""
    run = store.begin_run()
    t0 = 1_000_000.0 + 100 * n
    for i, task_id in enumerate(TASKS):
        start, end = t0 + i, t0 + i + 1 + (i % 3)
        if task_id in failing:
            store.log_event(run, task_id, "exit", f"boom {n}", "gave up")
            store.record_failure(task_id, run, f"boom {n}")
            store.record_attempt(
                AttemptRecord(run, task_id, "failed", start, end, 3, 0.01, 5, 6, "exit", f"boom {n}")
            )
            continue
        if retried:
            store.record_attempt(AttemptRecord(run, task_id, "interrupted", start, start + 0.5))
        rec = TaskRecord(
            task_id, f"k{task_id}{n}", {}, {f"o/{task_id}.md": f"h{n}"}, finished_at=end,
            duration=end - start, cost_usd=0.02, run_id=run, started_at=start,
        )  # fmt: skip
        store.record_success(rec, {})
    store.end_run(run, {"done": len(TASKS) - len(failing), "failed": len(failing)})
    return run


def test_history_events_and_runs_stay_bounded_over_many_builds(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        for n in range(120):
            _build(store, n, failing={"t0"} if n % 2 else {"t1"}, retried=n % 5 == 0)
    # per task: its last HISTORY_KEPT rows, its last placed row and its recorded run's rows (a few over)
    assert _count(tmp_path, "attempts") <= len(TASKS) * (HISTORY_KEPT + 3)
    assert _count(tmp_path, "runs") <= RUNS_KEPT
    assert _count(tmp_path, "events") <= RUNS_KEPT  # (one error a build)


def test_a_task_failing_for_many_builds_keeps_its_last_success(tmp_path: Path) -> None:
    """latest_attempts (a report's row for a task the run did not run) is the last row that put a result in
    place, however many failures came after it; status shows the failure of the run the record names."""
    with Store.open(tmp_path) as store:
        _build(store, 0, failing=set())
        for n in range(1, 40):
            last = _build(store, n, failing={"t0"})
        latest = store.latest_attempts()
        assert latest["t0"].state == "done" and latest["t0"].run_id == 1
        assert [a.state for a in store.attempts(last) if a.task_id == "t0"] == ["failed"]
    assert _count(tmp_path, "attempts") <= len(TASKS) * (HISTORY_KEPT + 3)


def _views(root: Path, store: Store) -> tuple[object, ...]:
    graph = make_graph(
        root, ReportSpec(name="r", inputs=("o/t0.md",), output="R.md"), {t: (f"o/{t}.md",) for t in TASKS}
    )
    summary = render_summary(graph, store, None, TASKS)
    rows = status_rows(graph, {}, store)
    return summary, json.dumps(rows, sort_keys=True, default=str), store.latest_attempts()


def test_what_status_and_reports_show_is_unchanged_by_pruning(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        for n in range(30):
            _build(store, n, failing={"t0"} if n > 20 else ({"t2"} if n % 3 else set()), retried=n == 29)
        # the last build: t3 interrupted, t4 not run, the others as before
        run = store.begin_run()
        store.record_attempt(AttemptRecord(run, "t3", "interrupted", 5e6, 5e6 + 1, 1, None, None, None, None))
        store.record_attempt(AttemptRecord(run, "t4", "not-run", 5e6, 5e6, 0, None, None, None, None, "x"))
        store.log_event(run, "t3", "interrupted", "stopped", "none")
        before = _views(tmp_path, store)
        rows_before = _count(tmp_path, "attempts")
        store.end_run(run, {"interrupted": 1, "not-run": 1})
        after = _views(tmp_path, store)
    assert _count(tmp_path, "attempts") < rows_before  # (pruned: t3 and t4 were touched)
    assert after == before


COPY_AGENTFILE = """\
agent copy:
    inputs = src/{n}.txt
    outputs = out/{n}.txt
    run = "cp {input} {output}"
"""


def test_real_builds_prune_only_what_they_ran_and_a_noop_prunes_nothing(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    for i in range(3):
        (tmp_path / f"src/f{i}.txt").write_text(f"{i}\n")
    (tmp_path / "Agentfile").write_text(COPY_AGENTFILE)
    forced = workflow.Request(directory=tmp_path, silent=True, force=True)
    for _ in range(HISTORY_KEPT + 4):
        assert workflow.build(forced) == 0
    assert _count(tmp_path, "attempts") == 3 * HISTORY_KEPT
    # a task no longer built (only f0 is asked for) keeps its rows as they are
    for _ in range(3):
        one = workflow.Request(directory=tmp_path, silent=True, force=True, targets=["out/f0.txt"])
        assert workflow.build(one) == 0
    assert _count(tmp_path, "attempts") == 3 * HISTORY_KEPT
