"""The history of attempts grows with every build: a report's run summary must not load it whole (it read
every row ever written, 650 MB after 500 builds of 1,000 tasks), yet must pick the same rows it did."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from test_report import make_graph

from agentmake.model import ReportSpec
from agentmake.report import render_summary
from agentmake.store import AttemptRecord, Store

_MADE = ("done", "cached", "up-to-date")


class _Counting:
    """A store that counts the history rows it hands out."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.rows = 0

    def attempts(self, run_id: int | None = None) -> list[AttemptRecord]:
        got = self.store.attempts(run_id)
        self.rows += len(got)
        return got

    def latest_attempts(self) -> dict[str, AttemptRecord]:
        got = self.store.latest_attempts()
        self.rows += len(got)
        return got

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def test_a_summary_reads_one_row_per_task_not_the_whole_history(tmp_path: Path) -> None:
    tasks = [f"t{i}" for i in range(20)]
    t0 = time.time() - 10_000
    with Store.open(tmp_path) as store:
        for n in range(60):  # sixty earlier builds that ran every task
            run = store.begin_run()
            with store.batch():
                for t in tasks:
                    store.record_attempt(AttemptRecord(run, t, "done", t0 + n, t0 + n + 0.5))
        last = store.begin_run()
        store.record_attempt(
            AttemptRecord(last, "t0", "failed", t0 + 100, t0 + 101, 3, None, None, None, "x")
        )
        graph = make_graph(
            tmp_path,
            ReportSpec(name="r", inputs=("o/t0.md",), output="R.md"),
            {t: (f"o/{t}.md",) for t in tasks},
        )
        counting = _Counting(store)
        text = render_summary(graph, counting, None, tasks)  # type: ignore[arg-type]
    assert counting.rows <= 1 + len(tasks)  # (was 1 + 60 * 20: every row ever written)
    assert "| t0 | failed |" in text
    assert "| t1 | up to date (run 60) | 0.5s | 1 |" in text


_ROWS = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c"]),
        st.sampled_from(["done", "cached", "up-to-date", "failed", "not-run", "interrupted"]),
        st.integers(1, 4),  # run
        st.integers(0, 3),  # ended_at (ties too)
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(_ROWS)
def test_latest_attempts_picks_what_scanning_the_history_picked(
    rows: list[tuple[str, str, int, int]],
) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as d, Store.open(Path(d)) as store:
        for i, (task, state, run, ended) in enumerate(rows):
            store.record_attempt(
                AttemptRecord(run, task, state, 0.0, float(ended), 1, None, None, None, None, str(i))
            )
        want: dict[str, AttemptRecord] = {}
        for a in store.attempts(
            None
        ):  # the definition: in the order written, the best rank, ties to the last
            best = want.get(a.task_id)
            rank = (a.state in _MADE, a.run_id, a.ended_at)
            if best is None or rank >= (best.state in _MADE, best.run_id, best.ended_at):
                want[a.task_id] = a
        assert store.latest_attempts() == want
        assert store.last_attempted_run() == max((r for _, _, r, _ in rows), default=None)
