"""The first report written after a database made before `runs.summed_by` is upgraded counts each dollar
once. The builds killed then are taken as reported (`schema.ADDED_VALUES`: `summed_by` 0, as `clean` marks
them), and a report counts what was said of them since it was last written (`Journal.spend_between`) but
for what its last write counted (`report.summary.since_written`): a killed build's spend an older build's
line said, once, and not that of a build killed once it had written the report, which that report counted.
An older agentmake's build that took a killed one over wrote no history row for the commits it finished
(it said their cost on its line alone: `TakenOver.cost`, before 1c10bc9)."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from test_money27_report_scope import TWO, _render

from agentmake.store import AttemptRecord, Store


def _project(root: Path) -> None:
    root.mkdir()
    (root / "Agentfile").write_text(TWO)
    (root / "docs").mkdir()
    (root / "docs" / "a.md").write_text("one\n")
    (root / "docs" / "b.md").write_text("two\n")


def _downgrade(root: Path, pending: int) -> None:
    """The database as an agentmake before `summed_by` left it, with run `pending`'s commit of `first`."""
    with contextlib.closing(sqlite3.connect(root / ".agentmake" / "state.db")) as conn, conn:
        conn.execute("INSERT INTO commits VALUES ('first', ?)", (pending,))
        conn.execute("DELETE FROM commits")  # (the build that took it over finished it)
        conn.execute("DROP TABLE found_spend")
        conn.execute("ALTER TABLE runs DROP COLUMN summed_by")


def _paid(store: Store, run: int, task: str, cost: float) -> None:
    store.record_attempt(AttemptRecord(run, task, "done", run * 10.0, run * 10.0 + 1, 1, cost))


def test_a_killed_build_an_older_line_said_is_counted_once_by_the_first_report_after(tmp_path: Path) -> None:
    """Build 1 writes RA; build 2 pays for `first` and `second` and is killed; build 3 (older agentmake)
    takes it over, says its spend and finds RA up to date. After the upgrade, build 4 pays for `first`
    again and writes RA: $4 of its own, and build 2's $2 for `first` that build 3's line said; not build
    2's $8 for `second` (not RA's)."""
    root = tmp_path / "p"
    _project(root)
    with Store.open(root) as store:
        one = store.begin_run()
        _paid(store, one, "first", 1.0)
        _paid(store, one, "ra", 0.0)
        store.end_run(one, {"done": 2})
        killed = store.begin_run()
        _paid(store, killed, "first", 2.0)
        _paid(store, killed, "second", 8.0)
        store.end_run(store.begin_run(), {"up-to-date": 2})
    _downgrade(root, killed)
    with Store.open(root) as store:  # (the upgrade: `summed_by` added)
        assert store.spend_unsummed(None) == []  # (its spend is not said again)
        four = store.begin_run()
        _paid(store, four, "first", 4.0)
        store.record_attempt(AttemptRecord(four, "ra", "done", 41.0, 42.0))
    assert _render(root, four, "ra") == "$6.00 (runs 2–4: paid since this report was last written, in run 1)"


def test_the_build_killed_once_it_wrote_the_report_is_not_counted_again(tmp_path: Path) -> None:
    """Build 1 pays for `first`, writes RA (counting it) and is killed; build 2 (older agentmake) takes it
    over. After the upgrade, build 3 pays for `first` again and writes RA: its own $4 alone."""
    root = tmp_path / "p"
    _project(root)
    with Store.open(root) as store:
        one = store.begin_run()
        _paid(store, one, "first", 1.0)
        _paid(store, one, "ra", 0.0)
        store.end_run(store.begin_run(), {"up-to-date": 2})
    _downgrade(root, one)
    with Store.open(root) as store:
        three = store.begin_run()
        _paid(store, three, "first", 4.0)
        store.record_attempt(AttemptRecord(three, "ra", "done", 31.0, 32.0))
    assert _render(root, three, "ra") == "$4.00"
