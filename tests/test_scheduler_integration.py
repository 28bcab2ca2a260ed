"""The scheduler with the real Store, Hasher, Rebuilder and Executor: shell agents in a temporary project."""

from __future__ import annotations

import time
from pathlib import Path

from agentmake.graph import build_graph
from agentmake.plan import Hasher, Rebuilder
from agentmake.runners import Executor
from agentmake.scheduler import BuildOptions, BuildResult, TaskEvent, run_build
from agentmake.scheduler.processes import ProcessRecorder
from agentmake.store import Store
from agentmake.syntax import load_agentfile

AGENTFILE = """\
agent upper:
    inputs = src/{name}.txt
    outputs = out/{name}.txt
    run = "sleep 0.2; tr a-z A-Z < {input} > {output}"

agent join:
    inputs = out/*.txt
    outputs = all.txt
    run = "cat {inputs} > {output}; echo run >> ../joins.log"
"""


def _build(root: Path, **options: object) -> tuple[BuildResult, list[TaskEvent]]:
    af = load_agentfile(root / "Agentfile")
    graph = build_graph(af)
    events: list[TaskEvent] = []
    store = Store.open(root)
    try:
        recorder = ProcessRecorder(store)
        hasher = Hasher(root, store)
        rebuilder = Rebuilder(graph, store, hasher)
        executor = Executor(af, log_dir=store.dir / "logs", on_process=recorder)
        opts = BuildOptions(**{"backoff_base": 0.05, **options})  # type: ignore[arg-type]
        result = run_build(graph, rebuilder, executor, store, opts, events.append, processes=recorder)
        assert store.running() == []
        return result, events
    finally:
        store.close()


def test_real_build_cutoff_and_cache(tmp_path: Path) -> None:
    root = tmp_path / "p"
    (root / "src").mkdir(parents=True)
    (root / "Agentfile").write_text(AGENTFILE)
    for name in ("a", "b", "c", "d"):
        (root / "src" / f"{name}.txt").write_text(f"{name} text\n")

    t0 = time.monotonic()
    result, _ = _build(root, jobs=4)
    assert result.ok and result.count("done") == 5, result.outcomes
    assert time.monotonic() - t0 < 4 * 0.2 + 3  # the four 0.2 s tasks ran side by side (generous)
    assert (root / "all.txt").read_text() == "A TEXT\nB TEXT\nC TEXT\nD TEXT\n"
    assert not list(root.rglob("*.agentmake-tmp-*"))

    result, _ = _build(root)  # nothing changed: nothing runs
    assert result.count("up-to-date") == 5 and result.count("done") == 0

    # a change that leaves the uppercase output identical: early cutoff, `join` is not rerun
    (root / "src/a.txt").write_text("A text\n")
    result, _ = _build(root)
    assert result.outcomes["upper:a"].state == "done" and result.outcomes["join"].state == "up-to-date"
    assert (tmp_path / "joins.log").read_text().count("run") == 1

    # back to the original input: its cached result is the output in place already: up to date, with zero
    # runs and nothing rewritten
    out = root / "out/a.txt"
    written = out.stat().st_mtime_ns
    (root / "src/a.txt").write_text("a text\n")
    result, events = _build(root)
    assert result.outcomes["upper:a"].state == "up-to-date"
    assert not [e for e in events if e.state == "running"] and out.stat().st_mtime_ns == written

    # the same switch with the output gone: restored from the cache, with zero runs
    (root / "src/a.txt").write_text("A text\n")
    out.unlink()
    result, events = _build(root)
    assert result.outcomes["upper:a"].state == "cached" and out.read_text() == "A TEXT\n"
    assert not [e for e in events if e.state == "running"]


def test_real_failure_keep_going(tmp_path: Path) -> None:
    root = tmp_path / "p"
    (root / "src").mkdir(parents=True)
    (root / "Agentfile").write_text(AGENTFILE.replace("tr a-z A-Z", "test {name} != b && tr a-z A-Z"))
    for name in ("a", "b", "c"):
        (root / "src" / f"{name}.txt").write_text(f"{name}\n")
    result, _ = _build(root, jobs=2, keep_going=True)
    o = result.outcomes
    assert o["upper:b"].state == "failed" and o["upper:a"].state == o["upper:c"].state == "done"
    assert (o["join"].state, o["join"].message) == ("not-run", "upper:b failed")
    assert not (root / "out/b.txt").exists()
    store = Store.open(root)
    try:
        history = {(a.task_id, a.state) for a in store.attempts(result.run_id)}
        assert {("upper:a", "done"), ("upper:b", "failed"), ("join", "not-run")} <= history
        assert any(e["task_id"] == "upper:b" for e in store.events(result.run_id))
    finally:
        store.close()
