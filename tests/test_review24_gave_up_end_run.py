"""A build that stopped waiting for another program's lock on the state database (Ctrl-C during the wait:
`store.busy`, the store "gave up") still prints its summary line, which reports what it spent and what
killed builds spent that it took over. Its end (`Journal.end_run`: the run ended, those builds marked
reported) is tried all the same, as `Store.close` tries its last writes: once the lock is free again it
lands, so the next build does not report that spend a second time, as paid by an interrupted run. Before,
every write the store can do without was skipped once it gave up, the run's end among them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from agentmake.store import AttemptRecord, Store


def _killed_build(root: Path) -> None:
    with Store.open(root) as store:
        killed = store.begin_run()  # (never ended)
        store.record_attempt(AttemptRecord(killed, "a", "done", 1.0, 2.0, 1, 0.25, 10, 5))


def test_its_end_lands_once_the_lock_is_free(tmp_path: Path) -> None:
    _killed_build(tmp_path)
    with Store.open(tmp_path) as store:
        run = store.begin_run()
        found = store.spend_unsummed(run)
        assert [a.cost_usd for a in found] == [0.25]
        store.record_attempt(AttemptRecord(run, "b", "done", 3.0, 4.0, 1, 0.5, 10, 5))
        store.busy.gave_up = "Ctrl-C"  # (it stopped waiting; the other program has let go since)
        store.end_run(run, {"done": 1}, [a.run_id for a in found])  # (its summary line reports both)
    with Store.open(tmp_path) as store:
        assert store.spend_unsummed(None) == []


def test_a_lock_still_held_leaves_it_at_once(tmp_path: Path) -> None:
    _killed_build(tmp_path)
    with Store.open(tmp_path) as store:
        run = store.begin_run()
        store.busy.gave_up = "Ctrl-C"
        other = sqlite3.connect(tmp_path / ".agentmake" / "state.db", isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # (another program holds the write lock)
            store.end_run(run, {}, [run - 1])  # (no error, no wait: the build goes on to its summary)
        finally:
            other.close()
    with Store.open(tmp_path) as store:
        assert [a.task_id for a in store.spend_unsummed(None)] == ["a"]  # (left to the next build)
