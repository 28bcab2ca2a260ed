"""A report's run summary over thousands of failed tasks (a `-k` build whose runner is missing): its error log
kept an event only after building a set of every task, once per event (quadratic: 3 s at 8,000 tasks)."""

from __future__ import annotations

import builtins
import time
from collections.abc import Iterable
from pathlib import Path

import pytest
from test_report import make_graph

from agentmake.model import ReportSpec
from agentmake.report import render_summary
from agentmake.report import summary as summary_module
from agentmake.store import AttemptRecord, Store


def test_the_error_log_of_many_failures_costs_linear_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    n = 300
    tasks = [f"t{i}" for i in range(n)]
    t0 = time.time() - 1000
    put = 0

    def counting_set(items: Iterable[object] = ()) -> set[object]:
        nonlocal put
        made = builtins.set(items)
        put += len(made)
        return made

    with Store.open(tmp_path) as store:
        run = store.begin_run()
        with store.batch():
            for i, t in enumerate(tasks):
                end = t0 + i + 0.5
                store.record_attempt(
                    AttemptRecord(run, t, "failed", t0 + i, end, 1, None, None, None, "exit")
                )
                store.log_event(run, t, "exit", f"boom {i}", "gave up")
        graph = make_graph(
            tmp_path, ReportSpec(name="r", inputs=(), output="R.md"), {t: (f"o/{t}.md",) for t in tasks}
        )
        monkeypatch.setattr(summary_module, "set", counting_set, raising=False)
        text = render_summary(graph, store, run, tasks)
    assert put <= 3 * n  # (was n per event: n * n)
    log = text.split("# Error log")[1].split("# Timeline")[0]
    assert log.count("| gave up |") == n and log.index("boom 7 ") < log.index("boom 8 ")
    gantt = text.split("```mermaid")[1]
    assert gantt.index("t7 ") < gantt.index("t8 ") < gantt.index("t10 ")  # bars by start time
