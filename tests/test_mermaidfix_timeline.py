"""The report's Timeline (a Mermaid gantt) of a big build renders: Mermaid shows "Maximum text size in diagram
exceeded" for a chart of more than 50,000 characters, which one bar per task passes at about 800 tasks; past
it the timeline shows one bar per agent, spanning its tasks, and says so."""

from __future__ import annotations

import re
import time
from pathlib import Path

from test_report import make_graph

from agentmake.model import ReportSpec
from agentmake.report import render_summary
from agentmake.report.mermaid import MAX_TEXT
from agentmake.store import AttemptRecord, Store


def _summary(tmp_path: Path, n: int) -> str:
    tasks = [f"translate:file{i:05d}" for i in range(n)] + ["lint"]
    t0 = time.time() - 10_000
    with Store.open(tmp_path) as store:
        run = store.begin_run()
        with store.batch():
            for i, t in enumerate(tasks):
                state = "failed" if i == 3 else "done"
                store.record_attempt(AttemptRecord(run, t, state, t0 + i, t0 + i + 0.5))
        graph = make_graph(
            tmp_path,
            ReportSpec(name="r", inputs=(), output="R.md"),
            {t: (f"o/{i}.md",) for i, t in enumerate(tasks)},
        )
        return render_summary(graph, store, run, tasks)


def _timeline(text: str) -> str:
    return text.split("# Timeline")[1].split("```mermaid\n")[1].split("```")[0]


def test_a_big_timeline_has_one_bar_per_agent(tmp_path: Path) -> None:
    n = 1200
    text = _summary(tmp_path, n)
    gantt = _timeline(text)
    assert len(gantt) <= MAX_TEXT, len(gantt)
    bars = [line.strip() for line in gantt.splitlines() if re.match(r"\s+\S.* :", line)]
    assert [b.split(" :")[0] for b in bars] == [f"translate ({n} tasks, 1 failed)", "lint"], bars
    translate = bars[0].split(" :")[1].split(", ")
    assert translate[0] == "crit"  # a failed attempt among them shows
    assert int(translate[-1]) - int(translate[-2]) == round((n - 1 + 0.5) * 1000)  # first start to last end
    assert "grouped by agent" in text.split("# Timeline")[1].split("# Task graph")[0]


def test_a_small_timeline_keeps_one_bar_per_task(tmp_path: Path) -> None:
    gantt = _timeline(_summary(tmp_path, 5))
    assert gantt.count(" :") == 6 and "translate_file00003 :crit, t3," in gantt
