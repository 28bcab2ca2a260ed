"""A database made before `runs.summed_by` takes the builds killed then as reported (`schema.ADDED_VALUES`:
an older agentmake reported the results of theirs it put in place, so reporting them again could count them
twice), but not a killed build whose commits are still pending with no build ended since: no build took it
over (a take-over finishes the commits, and a build that ends took over), so nothing of it was reported,
and the older agentmake would have reported the results it put in place. Before, the upgrade marked it too:
a build killed just before agentmake was upgraded had its spend reported by none."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from agentmake.store import AttemptRecord, Store


def _old_database(root: Path, *, ended_after: bool) -> None:
    root.mkdir()
    with Store.open(root) as store:
        run = store.begin_run()  # (killed: never ended)
        store.record_attempt(AttemptRecord(run, "a", "done", 1.0, 2.0, 1, 0.25, 10, 5))
        store.record_attempt(AttemptRecord(run, "b", "failed", 1.0, 2.0, 2, 0.5, 20, 5))
        if ended_after:
            store.end_run(store.begin_run(), {})  # (an older agentmake's build: it took the killed one over)
    with contextlib.closing(sqlite3.connect(root / ".agentmake" / "state.db")) as conn, conn:
        conn.execute("INSERT INTO commits VALUES ('a', ?)", (run,))  # (a's result recorded, not renamed)
        conn.execute("ALTER TABLE runs DROP COLUMN summed_by")  # (a database from before the column)


def test_a_killed_build_no_build_took_over_is_left_to_report(tmp_path: Path) -> None:
    _old_database(tmp_path / "p", ended_after=False)
    with Store.open(tmp_path / "p") as store:
        found = store.spend_unsummed(None)
    assert [(a.task_id, a.cost_usd) for a in found] == [("a", 0.25), ("b", 0.5)]


def test_one_a_build_ended_after_is_taken_as_reported(tmp_path: Path) -> None:
    _old_database(tmp_path / "p", ended_after=True)
    with Store.open(tmp_path / "p") as store:
        assert store.spend_unsummed(None) == []
