"""The state's journal over many builds: the size of the history and what reading the duration means
(`Store.mean_durations`, read by every build that runs something) and the build's end (`end_run`, which
prunes) cost, for a database grown by an agentmake that kept every row and for one kept bounded since.

    python benchmarks/bench_history.py [TASKS] [BUILDS]      (default 1000 tasks, 500 builds)
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from agentmake.store import AttemptRecord, Store


def _grow(root: Path, tasks: list[str], builds: int) -> None:
    """Write `builds` runs of every task straight into the database, as an unpruned journal holds them."""
    with Store.open(root):
        pass
    conn = sqlite3.connect(root / ".agentmake" / "state.db")
    t0 = time.time() - builds * 100
    for n in range(builds):
        run = conn.execute("INSERT INTO runs (started_at, pid) VALUES (?, 0)", (t0 + n,)).lastrowid
        conn.executemany(
            "INSERT INTO attempts (run_id, task_id, state, started_at, ended_at, attempts, extra)"
            " VALUES (?, ?, 'done', ?, ?, 1, '{}')",
            [(run, t, t0 + n, t0 + n + 1) for t in tasks],
        )
    conn.commit()
    conn.close()


def _build(root: Path, tasks: list[str]) -> tuple[float, float]:
    """One build that runs every task: (seconds reading the means, seconds in `end_run`)."""
    with Store.open(root) as store:
        t = time.perf_counter()
        store.mean_durations()
        means = time.perf_counter() - t
        run = store.begin_run()
        now = time.time()
        with store.batch():
            for task in tasks:
                store.record_attempt(AttemptRecord(run, task, "done", now - 1, now))
        t = time.perf_counter()
        store.end_run(run, {"done": len(tasks)})
        return means, time.perf_counter() - t


def main() -> None:
    n_tasks = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    builds = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    tasks = [f"agent:src/file{i:05d}.py" for i in range(n_tasks)]
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        _grow(root, tasks, builds)
        db = root / ".agentmake" / "state.db"
        print(f"{n_tasks} tasks x {builds} builds: state.db {os.path.getsize(db) / 1e6:.1f} MB")
        for label in ("first build (prunes the old history)", "next build", "build after that"):
            means, end = _build(root, tasks)
            rows = sqlite3.connect(db).execute("SELECT count(*) FROM attempts").fetchone()[0]
            print(f"{label}: mean_durations {means * 1000:.1f} ms, end_run {end * 1000:.1f} ms, {rows} rows")


if __name__ == "__main__":
    main()
