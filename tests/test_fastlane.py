"""The fast lane: tasks decided up front, up-to-date ones finished in bulk, no-op builds, short summaries."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

from agentmake.display import Fanout, PlainDisplay, StatusFile, summary_lines
from agentmake.display.statusfile import _Task
from agentmake.graph import build_graph
from agentmake.plan import Hasher, Rebuilder
from agentmake.runners import Executor
from agentmake.scheduler import BuildOptions, BuildResult, TaskEvent, TaskOutcome, run_build
from agentmake.scheduler.events import emit_up_to_date
from agentmake.scheduler.fastlane import STALE_LIMIT, predecide
from agentmake.scheduler.processes import ProcessRecorder
from agentmake.store import Store
from agentmake.syntax import load_agentfile

AGENTFILE = """\
agent copy:
    inputs = src/{n}.txt
    outputs = out/{n}.txt
    run = "cp {input} {output}"

agent join:
    inputs = out/*.txt
    outputs = all.txt
    run = "cat {inputs} > {output}"
"""


class Sinks:
    """A Fanout of a StatusFile and an event list (a plain callable: it gets events, never bulk calls)."""

    def __init__(self, root: Path) -> None:
        self.events: list[TaskEvent] = []
        self.status = StatusFile(root / ".agentmake" / "status.md")
        self.fanout = Fanout(self.status)
        self.fanout.add(self.events.append)  # type: ignore[arg-type]

    def states(self, task_id: str) -> list[str]:
        return [e.state for e in self.events if e.task_id == task_id]


def _project(root: Path, n: int) -> None:
    (root / "src").mkdir(parents=True)
    (root / "Agentfile").write_text(AGENTFILE)
    for i in range(n):
        (root / "src" / f"f{i:02d}.txt").write_text(f"{i}\n")


def _build(root: Path) -> tuple[BuildResult, Sinks, Rebuilder]:
    af = load_agentfile(root / "Agentfile")
    graph = build_graph(af)
    sinks = Sinks(root)
    store = Store.open(root)
    try:
        recorder = ProcessRecorder(store)
        rebuilder = Rebuilder(graph, store, Hasher(root, store))
        executor = Executor(af, log_dir=store.dir / "logs", on_process=recorder)
        opts = BuildOptions(jobs=4, backoff_base=0.05)
        result = run_build(graph, rebuilder, executor, store, opts, sinks.fanout, processes=recorder)
        sinks.fanout.close(result)
        return result, sinks, rebuilder
    finally:
        store.close()


def test_no_op_build_is_decided_up_front_without_reading_a_file(tmp_path: Path) -> None:
    _project(tmp_path, 40)
    first, _, _ = _build(tmp_path)
    assert first.ok and first.count("done") == 41
    for path in [*tmp_path.glob("src/*"), *tmp_path.glob("out/*"), tmp_path / "all.txt"]:
        os.utime(path, ns=(10**18, 10**18))  # long settled: nothing is racily clean any more
    _build(tmp_path)  # reads each file once, as its stat changed
    result, sinks, rebuilder = _build(tmp_path)
    assert result.ok and result.count("up-to-date") == 41 and len(result.outcomes) == 41
    assert result.summary_line().startswith("agentmake: 0 ran, 0 cached, 41 up to date, 0 failed in ")
    assert rebuilder.fast == 41 and rebuilder.hasher.files_read == 0
    # an event sink without a bulk method still sees each task go pending -> up-to-date
    assert sinks.states("copy:f07") == ["pending", "up-to-date"] and sinks.states("join") == [
        "pending",
        "up-to-date",
    ]
    status = (tmp_path / ".agentmake" / "status.md").read_text()
    assert "Finished: 0 ran, 0 cached, 41 up to date, 0 failed in" in status
    rows = [line for line in status.splitlines() if line.startswith("| copy:") or line.startswith("| join")]
    # (in words, as `agentmake status`, the summary line and a report say it: not the event's `up-to-date`)
    assert rows[0] == "| copy:f00 | up to date |  |  |  |  |" and rows[-1].startswith("| join |")
    assert len(rows) == 41
    with Store.open(tmp_path, lock=False) as store:
        assert store.last_run_id() == 3


def test_one_change_runs_only_what_it_feeds_and_keeps_the_graph_order(tmp_path: Path) -> None:
    _project(tmp_path, 40)
    _build(tmp_path)
    (tmp_path / "src" / "f05.txt").write_text("changed\n")
    result, sinks, _ = _build(tmp_path)
    assert result.ok
    done = {t for t, o in result.outcomes.items() if o.state == "done"}
    assert done == {"copy:f05", "join"} and result.count("up-to-date") == 39
    assert (tmp_path / "out" / "f05.txt").read_text() == "changed\n"
    assert "changed" in (tmp_path / "all.txt").read_text()
    assert sinks.states("copy:f05") == ["pending", "running", "done"]
    assert sinks.states("join") == ["pending", "waiting", "running", "done"]
    assert sinks.states("copy:f06") == ["pending", "up-to-date"]
    status = (tmp_path / ".agentmake" / "status.md").read_text()
    rows = [line.split(" | ")[0][2:] for line in status.splitlines() if line.startswith("| copy:")]
    assert rows == sorted(rows) and len(rows) == 40  # graph order, not "bulk first"
    assert re.search(r"\| copy:f05 \| done \| [0-9.]+s \| 1 \|", status), status


def test_predecide_stops_after_the_stale_limit_and_skips_what_stale_tasks_feed(tmp_path: Path) -> None:
    _project(tmp_path, STALE_LIMIT + 10)
    af = load_agentfile(tmp_path / "Agentfile")
    graph = build_graph(af)
    with Store.open(tmp_path) as store:
        pre = predecide(graph, Rebuilder(graph, store, Hasher(tmp_path, store)))
    assert pre.stale == STALE_LIMIT + 1 and not pre.complete and not pre.quiet
    assert "join" not in pre.decisions  # its inputs are still to be made


def test_bulk_up_to_date_reaches_each_sink_its_own_way(tmp_path: Path) -> None:
    events: list[TaskEvent] = []
    stream = io.StringIO()
    plain = PlainDisplay(stream, summary_stream=io.StringIO(), start=100.0, verbose=True)
    fanout = Fanout(plain)
    fanout.add(events.append)  # type: ignore[arg-type]
    fanout.up_to_date(["a", "b"], 101.5)
    assert [(e.task_id, e.state) for e in events] == [
        ("a", "pending"), ("b", "pending"), ("a", "up-to-date"), ("b", "up-to-date"),
    ]  # fmt: skip
    assert {e.time for e in events} == {101.5}
    lines = stream.getvalue().splitlines()
    assert lines == [
        "[   1.5s] pending     a", "[   1.5s] pending     b",
        "[   1.5s] up to date  a", "[   1.5s] up to date  b",
    ]  # fmt: skip
    plain(TaskEvent("a", "up-to-date", 102.0))  # the same state again is not repeated
    assert len(stream.getvalue().splitlines()) == 4
    emit_up_to_date(events.append, [], 1.0)
    assert len(events) == 4


def test_status_file_quiet_rows_are_the_formatted_rows_in_result_order(tmp_path: Path) -> None:
    sf = StatusFile(tmp_path / "status.md")
    ids = ["a", "b|pipe", " padded", "c"]
    sf.up_to_date(ids, 1000.0)
    assert not (tmp_path / "status.md").exists()  # written at the next tick or at close, not per bulk
    sf(TaskEvent("c", "running", 1001.0, attempt=1))
    result = BuildResult(1, started_at=1000.0, ended_at=1003.0)
    result.outcomes = {i: TaskOutcome(i, "up-to-date", ended_at=1000.0) for i in ids}
    result.outcomes["c"] = TaskOutcome("c", "done", started_at=1001.0, ended_at=1003.0, attempts=1)
    result.outcomes["b|pipe"].notice = None
    result.outcomes["a"] = TaskOutcome("a", "up-to-date", ended_at=1000.0, message="kept")
    sf.close(result)
    text = (tmp_path / "status.md").read_text()
    rows = [line for line in text.splitlines() if "| up to date |" in line or line.startswith("| c |")]
    assert rows == [
        _Task("up-to-date").format_row("a"),
        _Task("up-to-date").format_row("b|pipe"),
        _Task("up-to-date").format_row(" padded"),
        "| c | done | 2.0s | 1 |  |  |",
    ]
    assert "Finished: 1 ran, 0 cached, 3 up to date, 0 failed in 3.0s." in text


def _outcomes(done: int, failed: int = 0, up: int = 0) -> BuildResult:
    result = BuildResult(1, started_at=0.0, ended_at=100.0)
    for i in range(done):
        result.outcomes[f"t:{i:03d}"] = TaskOutcome(f"t:{i:03d}", "done", i + 1.0, i + 1.0 + i / 10, 1)
    for i in range(failed):
        result.outcomes[f"bad:{i}"] = TaskOutcome(f"bad:{i}", "failed", 0.5, 0.6, 2, message="boom")
    for i in range(up):
        result.outcomes[f"u:{i}"] = TaskOutcome(f"u:{i}", "up-to-date")
    return result


def test_summary_table_lists_every_task_that_ran_up_to_the_limit() -> None:
    lines = summary_lines(_outcomes(30, up=500))
    rows = [line for line in lines if line.startswith("t:")]
    assert len(rows) == 30 and not any(line.startswith("…") for line in lines)


def test_summary_table_of_a_big_build_is_bounded() -> None:
    result = _outcomes(200, failed=2, up=9_000)
    lines = summary_lines(result)
    rows = [line.split()[0] for line in lines if line.startswith(("t:", "bad:"))]
    assert set(rows) == {"bad:0", "bad:1", *(f"t:{i:03d}" for i in range(190, 200))}  # failures + 10 slowest
    assert "… and 9,190 more: 9,000 up to date, 190 done" in lines
    assert result.summary_line() == "agentmake: 200 ran, 0 cached, 9000 up to date, 2 failed in 100.0s"
    # the failures section is unchanged (the two, failed alike, are one entry: heldux29)
    assert [line for line in lines if line.startswith("✗ ")] == [
        "✗ bad:0, bad:1 (2 tasks) after 2 attempts: boom"
    ]
    assert len(lines) < 40
    only_done = summary_lines(_outcomes(50))
    assert "… and 40 more done" in only_done


def test_a_cached_agentfile_loads_without_importing_lark(tmp_path: Path) -> None:
    _project(tmp_path, 2)
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    code = (
        "import sys; from agentmake.syntax import load_agentfile; "
        f"af = load_agentfile(__import__('pathlib').Path({str(tmp_path / 'Agentfile')!r})); "
        "print(sorted(af.agents), 'lark' in sys.modules)"
    )
    run = [sys.executable, "-c", code]
    outs = [subprocess.run(run, env=env, capture_output=True, text=True, check=True).stdout for _ in range(2)]
    assert outs == ["['copy', 'join'] True\n", "['copy', 'join'] False\n"]


def test_store_brief_follows_this_process_writes(tmp_path: Path) -> None:
    _project(tmp_path, 3)
    _build(tmp_path)
    with Store.open(tmp_path) as store:
        key, status, memo, outputs = store.task_brief("copy:f01") or ("", "", "", "")
        assert status == "done" and key and "/" in memo and isinstance(outputs, str)
        store.record_failure("copy:f01", 9, "boom")
        assert (store.task_brief("copy:f01") or ())[1] == "failed"
        assert store.task_brief("nope") is None
        record = store.task_record("copy:f01")
        assert record is not None and record.key == key and record.error == "boom"
        assert store.task_records()["copy:f01"].status == "failed"  # the full map keeps this write
