"""A report last written more builds ago than the journal keeps runs of (`journal.RUNS_KEPT`): what the builds
in between paid for its tasks, still in the history, is counted, and the note after its cost says which runs'
history is no longer whole (`journal.HISTORY_KEPT` rows a task), not that it counts every run since."""

from __future__ import annotations

from pathlib import Path

from agentmake.report.summary import last_write, since_written
from agentmake.store import AttemptRecord, Store
from agentmake.store.journal import HISTORY_KEPT, RUNS_KEPT


def _build(store: Store, task: str, cost: float | None = None) -> int:
    run = store.begin_run()
    store.record_attempt(AttemptRecord(run, task, "done", 1.0, 2.0, 1, cost))
    store.end_run(run, {"done": 1})
    return run


def test_what_builds_pruned_from_runs_paid_for_the_report_s_tasks_is_counted(tmp_path: Path) -> None:
    """Run 1 writes the report; runs 2-4 pay $1 each for `a` (which it covers); then builds of a task it does
    not cover alone, until runs 2-4 are pruned from `runs` (their `a` rows are kept: a's last rows).
    Before, the report written next counted none of the $3 (and said nothing of those runs)."""
    store = Store.open(tmp_path)
    try:
        first = _build(store, "r")
        for _ in range(3):
            _build(store, "a", 1.0)
        for _ in range(RUNS_KEPT + 2):
            last = _build(store, "x", 64.0)
        writer = store.begin_run()
        rows, note = since_written(store, writer, last_write(store, writer, "r"), ["a"], [])
        assert sum(a.cost_usd or 0.0 for a in rows) == 3.0
        kept = last - RUNS_KEPT + 1  # (the first run `runs` still keeps)
        assert note == (
            f" (runs {first + 1}–{writer}: paid since this report was last written, in run {first};"
            f" of runs {first + 1}–{kept - 1}, what the history still keeps)"
        ), note
    finally:
        store.close()


def test_a_task_s_history_pruned_since_the_report_was_written_is_said(tmp_path: Path) -> None:
    """Run 1 writes the report; `a` then runs in each of HISTORY_KEPT + 5 builds, $1 each: its oldest rows
    are pruned. The report counts what is kept, and says which runs are not whole. Before, the note said
    it counted runs 2-N, though it counted only the last HISTORY_KEPT."""
    store = Store.open(tmp_path)
    try:
        first = _build(store, "r")
        runs = [_build(store, "a", 1.0) for _ in range(HISTORY_KEPT + 5)]
        writer = store.begin_run()
        rows, note = since_written(store, writer, last_write(store, writer, "r"), ["a"], [])
        assert sum(a.cost_usd or 0.0 for a in rows) == HISTORY_KEPT
        whole = runs[-HISTORY_KEPT]  # (the first run from which a's history is whole)
        assert note.endswith(f"; of runs {first + 1}–{whole - 1}, what the history still keeps)"), note
    finally:
        store.close()


def test_a_history_not_pruned_is_not_said_to_be(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    try:
        first = _build(store, "r")
        for _ in range(3):
            _build(store, "a", 1.0)
        writer = store.begin_run()
        rows, note = since_written(store, writer, last_write(store, writer, "r"), ["a"], [])
        assert sum(a.cost_usd or 0.0 for a in rows) == 3.0
        assert (
            note == f" (runs {first + 1}–{writer}: paid since this report was last written, in run {first})"
        )
    finally:
        store.close()
