"""`Journal.spend_between` reads what the lines of a span of builds said in a fixed number of queries (it
called `spend_said_by`, two queries, once per ended build: 460 ms over 10k tasks), with the same rows, in the
same order, as that per-build reading gave (kept here as the reference) on varied histories: builds ended,
killed, said by the next one or by `clean`, killed once ended and before their line was marked said, spend
found in logs, answers salvaged, restores, and builds pruned from `runs`."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from agentmake.store import AttemptRecord, Store
from agentmake.store.journal import _ATTEMPT_COLS, _SPENT
from agentmake.store.records import attempt_from_row

TASKS = [f"t:{i}" for i in range(6)]


def _reference(store: Store, after: int, before: int, task_ids: list[str]) -> list[AttemptRecord]:
    """spend_between as it was, a `spend_said_by` per ended build (451f377), of `task_ids` only."""
    wanted = set(task_ids)
    conn = store._conn
    runs = conn.execute(
        "SELECT run_id, ended_at IS NOT NULL, summed_by FROM runs WHERE run_id >= ? AND run_id < ?"
        " ORDER BY run_id",
        (after, before),
    ).fetchall()
    ended = {int(r) for r, done, _ in runs if done and r != after}
    (kept,) = conn.execute("SELECT MIN(run_id) FROM runs").fetchone()
    spent = conn.execute(
        f"SELECT {_ATTEMPT_COLS} FROM attempts WHERE run_id > ? AND run_id < ? AND {_SPENT} ORDER BY id",
        (after, before),
    ).fetchall()
    pruned = kept if kept is not None else before
    rows = [
        a
        for a in map(attempt_from_row, spent)
        if (a.run_id in ended or a.run_id < pruned) and a.task_id in wanted
    ]
    rows = [a for a in rows if a.state != "cached" or a.extra.get("paid_earlier")]
    for run_id in sorted(ended):
        rows += store.spend_said_by(run_id)
    cleaned = [int(r) for r, done, by in runs if not done and by == 0]
    if cleaned:
        rows += store._spent_by(", ".join("?" * len(cleaned)), tuple(cleaned))
    return [a for a in rows if a.task_id in wanted]  # (a report's tasks only: test_money27_report_scope)


def _history(store: Store, rng: random.Random, builds: int) -> None:
    """`builds` builds of every kind, each paying for (or restoring, or finding up to date) some tasks."""
    killed: list[int] = []
    for n in range(builds):
        run = store.begin_run()
        for task in rng.sample(TASKS, rng.randint(0, len(TASKS))):
            state = rng.choice(["done", "done", "failed", "cached", "up-to-date"])
            extra = {"paid_earlier": True} if state == "cached" and rng.random() < 0.5 else {}
            cost = None if rng.random() < 0.2 else round(rng.uniform(0.01, 1.0), 2)
            tokens = None if rng.random() < 0.3 else rng.randint(1, 99)
            at = float(n * 10 + rng.randint(0, 9))
            row = AttemptRecord(run, task, state, at, at + 1, 1, cost, tokens, tokens, extra=extra)
            store.record_attempt(row)
        if rng.random() < 0.3:
            at = float(n * 10) + 0.5
            store.record_found(run, rng.choice(TASKS), [(at, f"x.{n}", rng.choice([None, 0.07]), 3, 2)])
        kind = rng.choice(["ended", "ended", "killed", "unsaid", "cleaned"])
        if kind == "killed":
            killed.append(run)
        elif kind == "unsaid":  # (killed once it ended, before its line was marked said)
            store.end_run(run, {"done": 1}, killed, said=False)
            killed.append(run)
        elif kind == "cleaned":
            killed.append(run)
            store.mark_summed(killed)
            killed = []
        else:
            store.end_run(run, {"done": 1}, killed)
            killed = []


@pytest.mark.parametrize("seed", range(12))
def test_the_same_rows_in_the_same_order_as_a_spend_said_by_per_build(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    with Store.open(tmp_path) as store:
        _history(store, rng, rng.randint(5, 28))
        last = store.last_run_id() or 0
        for after in range(0, last + 1):
            for before in range(after + 1, last + 2):
                tasks = rng.sample(TASKS, rng.randint(1, len(TASKS)))
                assert store.spend_between(after, before, tasks) == _reference(store, after, before, tasks)


def _queries(store: Store, after: int, before: int) -> int:
    seen: list[str] = []
    store._conn.set_trace_callback(seen.append)
    try:
        store.spend_between(after, before, TASKS)
    finally:
        store._conn.set_trace_callback(None)
    return sum(1 for sql in seen if sql.lstrip().upper().startswith("SELECT"))


def test_as_many_queries_for_a_span_of_two_builds_as_of_fifteen(tmp_path: Path) -> None:
    """Before, two queries more for each ended build in the span."""
    with Store.open(tmp_path) as store:
        for n in range(15):
            run = store.begin_run()
            store.record_attempt(AttemptRecord(run, "t:0", "done", n, n + 1.0, 1, 0.5))
            store.end_run(run, {"done": 1})
        assert _queries(store, 1, 3) == _queries(store, 1, 16)


def test_an_older_database_without_found_spend(tmp_path: Path) -> None:
    """A reader of a file without `found_spend` (one it may not extend: no spend was found then) reads the
    rest."""
    with Store.open(tmp_path) as store:
        _history(store, random.Random(99), 12)
        want = [a for a in _reference(store, 1, 13, TASKS) if a.state != "found"]
        store._conn.execute("DROP TABLE found_spend")
        assert store.spend_between(1, 13, TASKS) == want
