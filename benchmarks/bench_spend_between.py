"""What a report's ledger costs to read (`Journal.spend_between`): the spend said by the builds between two
that wrote the report, over a span of many tasks and builds (some killed, taken over by the next one, some
said by `clean`), and `spend_said_by` of the writing build.

    python benchmarks/bench_spend_between.py [TASKS] [BUILDS] [REPEATS]  (default 10000 tasks, 19 builds, 5)
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from agentmake.store import AttemptRecord, Store


def grow(root: Path, tasks: list[str], builds: int) -> tuple[int, int]:
    """Build 1 writes the report; each build after it runs every task (paid), every third is killed (the
    next one says its spend), one in seven of those said by `clean`. (first, last) run ids."""
    with Store.open(root) as store:
        first = store.begin_run()
        store.record_attempt(AttemptRecord(first, "r", "done", 0.0, 1.0))
        store.end_run(first, {"done": 1})
        killed: list[int] = []
        for n in range(builds):
            run = store.begin_run()
            with store._tx():
                for i, t in enumerate(tasks):
                    state = "cached" if i % 11 == 0 else "failed" if i % 13 == 0 else "done"
                    extra: dict[str, object] = {"after": [tasks[i - 1], "dependency"], "duration": 1.0}
                    if i % 22 == 0:
                        extra["paid_earlier"] = True
                    cost = None if i % 17 == 0 else 0.001 * (i % 7 + 1)
                    row = AttemptRecord(run, t, state, n, n + 1.0, 1, cost, 10, 5, extra=extra)
                    store._write_attempt(row)
            store.record_found(run, tasks[n % len(tasks)], [(n + 0.5, f"x.{n}", 0.25, 3, 2)])
            if n % 3 == 0:
                killed.append(run)
                continue
            if n % 7 == 0 and killed:
                store.mark_summed(killed)
                killed = []
            store.end_run(run, {"done": len(tasks)}, killed)
            killed = []
        last = store.begin_run()
        store.end_run(last, {}, killed)
    return first, last


def measure(root: Path, first: int, last: int, tasks: list[str], repeats: int) -> list[float]:
    """Seconds of each of `repeats` calls for a report over `tasks`."""
    times = []
    with Store.open(root) as store:
        for _ in range(repeats):
            t = time.perf_counter()
            rows = store.spend_between(first, last, tasks)
            times.append(time.perf_counter() - t)
        print(f"rows {len(rows)}, dollars {sum(a.cost_usd or 0 for a in rows):.4f}")
    return times


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    builds = int(sys.argv[2]) if len(sys.argv) > 2 else 19
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    tasks = [f"t:{i}" for i in range(n)]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        first, last = grow(root, tasks, builds)
        for covered in (tasks, tasks[:: max(len(tasks) // 100, 1)]):
            times = measure(root, first, last, covered, repeats)
            print(
                f"spend_between of a report over {len(covered)} of {n} tasks x {builds} builds: median"
                f" {statistics.median(times) * 1000:.0f} ms (min {min(times) * 1000:.0f}, of {repeats})"
            )


if __name__ == "__main__":
    main()
