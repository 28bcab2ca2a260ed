"""Where the scheduler thread's CPU goes, per task: run one build in-process with the main steps of a task's
life wrapped in `time.thread_time_ns()` accounting (inclusive: a step's time includes the steps it calls).

cProfile inflates every Python call several times over, so its shares mislead on a loop of small steps; this
costs about a microsecond per wrapped call. Only the scheduler (main) thread is counted: with inline shell
attempts (`scheduler.inline`) it does nearly all of a shell task's work. `Popen.__init__` is also timed on
the wall clock: the difference from its CPU time is the wait for the child's exec and then for a CPU.
Where Linux keeps scheduler statistics (`/proc/thread-self/schedstat`), the scheduler thread's whole life on
the CPU is given too: its run time, its time runnable but waiting for a CPU (each wake-up while every CPU is
busy with children), and how often it was put on a CPU.

    python benchmarks/phases.py DIR [agentmake arguments...]   (DIR: a project; its state is removed and
    every task is built, -B)
"""

from __future__ import annotations

import functools
import importlib
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

STEPS = (  # (module, Class.method): the steps of one shell task, outermost first
    ("agentmake.scheduler.loop", "Build._loop"),
    ("agentmake.scheduler.results", "Results._handle_all"),
    ("agentmake.scheduler.starting", "Starting._launch"),
    ("agentmake.runners.shell", "ShellAttempts.begin_shell"),
    ("agentmake.scheduler.inline", "InlineAttempts._spawn"),
    ("agentmake.store.spawnlog", "SpawnLog.add"),
    ("agentmake.scheduler.starting", "Starting._decide"),
    ("agentmake.scheduler.results", "Results._on_result"),
    ("agentmake.store.db", "Store.record_success"),
    ("agentmake.scheduler.loop", "Build._receive"),
    ("agentmake.runners.supervise", "Supervisor.wait"),
    ("agentmake.runners.shell", "ShellAttempts.end_shell"),
    ("agentmake.scheduler.outcomes", "Outcomes._emit"),
)


def account(steps: tuple[tuple[str, str], ...] = STEPS) -> tuple[Counter[str], Counter[str]]:
    """Wrap `steps` (and `subprocess.Popen.__init__`); returns (nanoseconds, calls) per step, filled in as
    the scheduler thread runs them."""
    spent: Counter[str] = Counter()
    calls: Counter[str] = Counter()
    main = threading.main_thread()

    def wrapped(label: str, fn: Callable[..., Any], wall: bool = False) -> Callable[..., Any]:
        @functools.wraps(fn)
        def step(*args: Any, **kwargs: Any) -> Any:
            if threading.current_thread() is not main:
                return fn(*args, **kwargs)
            cpu, clock = time.thread_time_ns(), time.perf_counter_ns()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[label] += time.thread_time_ns() - cpu
                calls[label] += 1
                if wall:
                    spent[f"{label} (wall)"] += time.perf_counter_ns() - clock
                    calls[f"{label} (wall)"] += 1

        return step

    for module, qualname in steps:
        owner_name, method = qualname.split(".")
        owner = getattr(importlib.import_module(module), owner_name)
        setattr(owner, method, wrapped(qualname, getattr(owner, method)))
    subprocess.Popen.__init__ = wrapped("Popen.__init__", subprocess.Popen.__init__, wall=True)  # type: ignore[method-assign]
    return spent, calls


def report(spent: Counter[str], calls: Counter[str], tasks: int) -> str:
    lines = [f"scheduler thread, per task ({tasks} tasks; inclusive):"]
    for label, ns in sorted(spent.items(), key=lambda item: -item[1]):
        lines.append(f"  {ns / tasks / 1000:7.1f} µs  {calls[label]:6d} calls  {label}")
    return "\n".join(lines)


def schedstat() -> tuple[int, int, int] | None:
    """This thread's (ns on a CPU, ns runnable but waiting for one, times put on a CPU), if Linux says."""
    try:
        with open("/proc/thread-self/schedstat") as fh:
            run, wait, slices = (int(v) for v in fh.read().split()[:3])
    except (OSError, ValueError):
        return None
    return run, wait, slices


def cpu_report(before: tuple[int, int, int], after: tuple[int, int, int], wall_ns: int, tasks: int) -> str:
    run, wait, slices = (a - b for a, b in zip(after, before, strict=True))
    return (
        f"scheduler thread, per task (whole build, /proc/thread-self/schedstat):\n"
        f"  {wall_ns / tasks / 1000:7.1f} µs  wall\n"
        f"  {run / tasks / 1000:7.1f} µs  on a CPU\n"
        f"  {wait / tasks / 1000:7.1f} µs  runnable, waiting for a CPU"
        f" ({slices / tasks:.2f} times put on one)"
    )


def main() -> None:
    directory, args = Path(sys.argv[1]), sys.argv[2:]
    shutil.rmtree(directory / ".agentmake", ignore_errors=True)  # from clean: every task runs
    spent, calls = account()
    from agentmake.cli import main as agentmake_main

    # (the wall clock encloses the two readings: time spent, or waited for a CPU, between a reading and the
    # clock would otherwise count in the thread's CPU and waiting times but not in the wall time)
    clock = time.perf_counter_ns()
    before = schedstat()
    agentmake_main(["-C", str(directory), "-B", "-s", *args])
    after = schedstat()
    wall = time.perf_counter_ns() - clock
    tasks = max(calls["Starting._launch"], 1)
    print(report(spent, calls, tasks))
    if before is not None and after is not None:
        print(cpu_report(before, after, wall, tasks))


if __name__ == "__main__":
    main()
