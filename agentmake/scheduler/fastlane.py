"""The fast lane: decide up front, in one tight loop, every task that no stale task feeds.

A task whose dependencies are all up to date can be decided before the build starts: nothing it reads
will change. `predecide` walks the tasks in topological order and decides each such task (with the
rebuilder's memo fast path: a few stats and a hash). Up-to-date tasks with nothing to tell ("quiet") are then
finished in bulk, without a pair of events each (`events.emit_up_to_date`); when every task is quiet the
build is a no-op and needs no task states, priorities or workers at all. The other decisions are reused by
the loop, so no task is decided twice.

Deciding up front stops after `STALE_LIMIT` stale tasks: on a build where much is stale (a first build, -B)
the loop decides the rest as their turn comes, so the first process starts without waiting for every
decision. A task the build stamp vouches for (`Rebuilder.vouched`: none of its files changed since a build
that left everything up to date, see `agentmake.plan.stamp`) is quiet without being decided at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from agentmake.errors import AgentmakeError
from agentmake.gcpause import gc_paused
from agentmake.graph import Graph
from agentmake.plan import Decision, Rebuilder

STALE_LIMIT = 64  # stale tasks decided up front before the rest is left to the loop
_CHECK_EVERY = 256  # decisions between checks for Ctrl-C


@dataclass
class Predecided:
    """What was decided before the build started."""

    decisions: dict[str, Decision] = field(default_factory=dict)  # task id -> its decision
    quiet: list[str] = field(default_factory=list)  # up to date with nothing to tell, in topological order
    complete: bool = False  # every task is quiet: nothing to run, restore or report

    @property
    def stale(self) -> int:
        return sum(1 for d in self.decisions.values() if d.action != "skip")


def predecide(graph: Graph, rebuilder: Rebuilder, check: Callable[[], None] | None = None) -> Predecided:
    """Decide every task whose dependencies (in `graph`) were all found up to date, in topological order.
    A task whose decision raises is left to the loop (which decides it again and reports the error).
    `check()` is called every few hundred decisions (it may raise KeyboardInterrupt)."""
    with gc_paused():
        return _predecide(graph, rebuilder, check)


def _predecide(graph: Graph, rebuilder: Rebuilder, check: Callable[[], None] | None) -> Predecided:
    tasks, deps = graph.tasks, graph.deps
    pre = Predecided()
    decisions, quiet = pre.decisions, pre.quiet
    settled: set[str] = set()  # found up to date (quiet or with a notice)
    stale = 0
    # tasks a build stamp proves up to date without a decision (test doubles of the rebuilder lack it)
    vouched = getattr(rebuilder, "vouched", None)
    deciding = True
    for n, (task_id, task) in enumerate(tasks.items()):
        if check is not None and n % _CHECK_EVERY == _CHECK_EVERY - 1:
            check()
        ds = deps.get(task_id, ())
        if ds and any(d not in settled and d in tasks for d in ds):
            continue
        if vouched is not None and vouched(task):
            settled.add(task_id)
            quiet.append(task_id)
            continue
        if not deciding:
            continue
        try:
            decision = rebuilder.decide(task)
        except (AgentmakeError, OSError):
            stale += 1
            continue
        decisions[task_id] = decision
        if decision.action == "skip":
            settled.add(task_id)
            if not decision.reasons:
                quiet.append(task_id)
        else:
            stale += 1
            if stale > STALE_LIMIT:
                deciding = False
                if vouched is None:
                    break
    pre.complete = len(quiet) == len(tasks)
    return pre
