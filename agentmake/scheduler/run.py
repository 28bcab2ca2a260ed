"""Run a build: the public entry point of the scheduler (the loop itself is in `scheduler.loop`).

Semantics, in short (details in `loop.py`):
- a task is decided the moment all its dependencies succeeded (done, cached, up to date): early cutoff works;
- only tasks that run an attempt take a slot: `jobs` overall and each runner's `parallel`;
- among tasks waiting for a slot, the one heading the longest remaining path goes first;
- attempts failed with "retry" are retried with backoff; without `keep_going` a failure stops new starts;
- `budget`: once this run's recorded cost reaches it, no new LLM attempt starts (agents with a prompt, reports
  with `merge`); shell agents and built-in reports still run, since they cost nothing, and so do the
  re-check of a task whose check alone changed (`Decision.recheck`) and a first attempt that may salvage an
  answer already paid for (`Executor.may_salvage`), each held only before it calls its agent;
- Ctrl-C cancels running tasks, records them as interrupted and returns with `interrupted` set.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from agentmake.graph import Graph
from agentmake.plan import Hasher, Rebuilder
from agentmake.runners.local import LocalExecutor
from agentmake.scheduler.control import BuildControl
from agentmake.scheduler.events import BuildResult, TaskEvent
from agentmake.scheduler.loop import Build
from agentmake.scheduler.processes import ProcessRecorder
from agentmake.store import Store


@dataclass
class BuildOptions:
    """How a build runs: jobs, -k, the budget, the retry backoff, the keys held back."""

    jobs: int = 4
    keep_going: bool = False
    budget: float | None = None
    backoff_base: float = 2.0  # seconds: first retry waits up to this long (at least half after a rate limit)
    backoff_cap: float = 60.0  # seconds: no retry waits longer than this
    # task id -> key: a task that failed under that key is not started again under it (watch: an edit of
    # something else does not pay for the same failure again); it is `not-run`, saying why
    hold: Mapping[str, str] = field(default_factory=dict)


def run_build(
    graph: Graph,
    rebuilder: Rebuilder,
    executor: LocalExecutor,
    store: Store,
    options: BuildOptions,
    sink: Callable[[TaskEvent], None],
    *,
    processes: ProcessRecorder | None = None,
    control: BuildControl | None = None,
    on_run_id: Callable[[int], None] | None = None,
    hasher: Hasher | None = None,
    tick: Callable[[], None] | None = None,
) -> BuildResult:
    """Build every task of `graph` (already selected). `sink` receives every TaskEvent, from this thread only.

    `processes`: the `ProcessRecorder` given to the executor as `on_process` (looked for on the executor when
    omitted), so child processes are recorded in the store from this thread.
    `control`: lets another thread (watch mode) cancel running tasks; they end as interrupted and their ids
    are appended to `control.cancelled`. `on_run_id(run_id)` is called once the store has opened the run.
    `hasher`: the rebuilder's Hasher (default: `rebuilder.hasher`), told about every output written.
    `tick()` is called from this thread about every 0.2 s while tasks run (to refresh elapsed times).
    """
    if processes is None:
        processes = _find_recorder(executor)
    build = Build(
        graph, rebuilder, executor, store, options, sink, processes,
        control=control, on_run_id=on_run_id, hasher=hasher, tick=tick,
    )  # fmt: skip
    return build.run()


def _find_recorder(executor: object) -> ProcessRecorder | None:
    for name in ("on_process", "_on_process"):
        value = getattr(executor, name, None)
        if isinstance(value, ProcessRecorder):
            return value
    return None
