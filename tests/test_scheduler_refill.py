"""A slot freed by a success is refilled before that success is committed, but never at the expense of the
critical path or of a failure's stop (real subprocesses; see test_scheduler_fakes for the stand-ins)."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

from test_scheduler import build
from test_scheduler_fakes import Spec, Step


def _order(sink: object, state: str) -> list[str]:
    return [e.task_id for e in sink.events if e.state == state]  # type: ignore[attr-defined]


def test_a_freed_slot_starts_the_next_ready_task_before_the_commit(tmp_path: Path) -> None:
    specs = [Spec(f"t{i}") for i in range(4)]
    result, executor, _, _, sink = build(tmp_path, specs, default=Step(0.05), jobs=1)
    assert result.ok and executor.max_overlap() == 1  # -j 1 still holds: one process at a time
    started = _order(sink, "running")
    when = {(e.state, e.task_id): e.time for e in sink.events if e.state in ("running", "done")}
    for previous, following in itertools.pairwise(started):
        # the next task was launched before the previous one's result was recorded and reported done (the
        # sink is told of it after that, as it is told of each event, with the time it happened)
        assert when["running", following] < when["done", previous], when
    for i in range(4):
        assert (tmp_path / f"out/t{i}.txt").read_text() == f"t{i} attempt 1\n"


def test_the_dependent_on_the_critical_path_is_not_passed_over(tmp_path: Path) -> None:
    # `head` leads the longest path; when it ends, `tail` (made ready by its commit) must have its slot, not
    # one of the short tasks that were ready all along
    specs = [Spec("head"), Spec("tail", deps=("head",))] + [Spec(f"s{i}") for i in range(4)]
    means = {"head": 1.0, "tail": 10.0, **{f"s{i}": 1.0 for i in range(4)}}
    result, executor, *_ = build(tmp_path, specs, means=means, default=Step(0.05), jobs=1)
    assert result.ok
    assert [e.task_id for e in executor.log][:2] == ["head", "tail"]


def test_ready_tasks_ranking_before_the_dependent_take_the_slot_early(tmp_path: Path) -> None:
    # the short tasks rank before `tail` here (longer recorded paths), so they may be started early
    specs = [Spec("head"), Spec("tail", deps=("head",))] + [Spec(f"s{i}") for i in range(2)]
    means = {"head": 3.0, "tail": 0.1, "s0": 2.0, "s1": 2.0}
    result, executor, _, _, sink = build(tmp_path, specs, means=means, default=Step(0.05), jobs=1)
    assert result.ok
    order = [e.task_id for e in executor.log]
    assert order == ["head", "s0", "s1", "tail"]
    when = {(e.state, e.task_id): e.time for e in sink.events if e.state in ("running", "done")}
    assert when["running", "s0"] < when["done", "head"], when


def test_without_keep_going_a_failure_still_stops_new_starts(tmp_path: Path) -> None:
    specs = [Spec(f"t{i}") for i in range(5)]
    plans = {"t1": [Step(0.05, outcome="fatal", error_type="exit")]}
    result, executor, *_ = build(tmp_path, specs, plans=plans, default=Step(0.05), jobs=1, retries=0)
    assert not result.ok
    ran = [e.task_id for e in executor.log]
    assert ran[-1] == "t1" and ran.index("t1") <= 2, ran  # at most the one started while t0 was committed


def test_at_one_job_a_task_is_told_done_before_the_next_is_told_running(tmp_path: Path) -> None:
    # the freed slot is refilled before the success is committed (throughput), but the log of a `-j 1`
    # build must read as one task at a time: "done copy:a" comes before "running copy:b"
    (tmp_path / "src").mkdir()
    for name in "abcd":
        (tmp_path / "src" / f"{name}.txt").write_text(f"{name}\n")
    (tmp_path / "Agentfile").write_text(
        'agent copy:\n    inputs = src/{n}.txt\n    outputs = out/{n}.txt\n    run = "cp {input} {output}"\n'
    )
    run = subprocess.run(
        [sys.executable, "-m", "agentmake", "-C", str(tmp_path), "-j", "1"],
        capture_output=True,
        text=True,
        env=dict(os.environ, NO_COLOR="1"),
    )
    assert run.returncode == 0, run.stderr
    lines = [line.split()[2:4] for line in run.stderr.splitlines() if line.startswith("[")]
    states = [state for state, _ in lines]
    assert states == ["running", "done"] * 4, lines  # never two running at once
    assert [task for _, task in lines[::2]] == [task for _, task in lines[1::2]]
