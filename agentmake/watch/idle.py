"""Whether a build would do nothing at all: run, restore or tell nothing new (`check_idle`); watch then spares
it, so a save that changed no content prints nothing (unless a task that failed in the session is up to date
again: the build says so). When it would do something, the tasks the check found up to date are handed to it
as decided (`Idle.decided`), so it does not decide them all again.

An output edited by hand and kept is told by every build that decides its task ("was edited by hand; keeping
it"); watch tells it once: a notice the session has told already (`Idle.notices` of a check that led to a
build) does not make a build of its own."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from agentmake.graph import Graph
from agentmake.plan import Hasher, Rebuilder
from agentmake.plan.stamp import Verdict
from agentmake.scheduler.fastlane import Predecided, predecide
from agentmake.store import Store
from agentmake.trace import mark

# (task id, output, its content hash): an output "edited by hand; keeping it"
Notice = tuple[str, str | None, str | None]


@dataclass
class Idle:
    """What `check_idle` found."""

    idle: bool  # the build would do nothing
    # (when it would do something) the tasks found up to date with nothing to tell, as a build stamp says
    # what it vouches for: a build given it (`run_graph(stamp=)`) takes them as decided (`Rebuilder.vouched`)
    decided: Verdict | None = None
    # the outputs edited by hand and kept that a build would tell of: (task id, path, content hash)
    notices: frozenset[Notice] = frozenset()


def check_idle(
    root: Path, store: Store, selected: Graph, held: dict[str, str], told: frozenset[Notice] = frozenset()
) -> Idle:
    """Whether a build of `selected` would neither run nor restore anything, nor have anything new to tell:
    every task up to date with nothing to say, or nothing but hand edits kept that `told` holds, or held
    (`held`: task id -> the key it failed under in this session, which it has now), or downstream of a held
    task. Decided as a build decides (`predecide`: stats, and a hash of each file whose stat moved); the
    stat records found are kept, so neither the build it spares nor the one it hands its decisions to would
    have read less."""
    mark("idle-check")
    hasher = Hasher(root, store)
    pre = predecide(selected, Rebuilder(selected, store, hasher))
    idle = not _recovered(pre, held) and (
        pre.complete or (bool(held or told) and _nothing_new(selected, pre, held, told))
    )
    hasher.flush()
    mark("idle-checked", "idle" if idle else "build")
    return Idle(idle, None if idle else _vouching(selected, pre), _notices(pre))


def _vouching(graph: Graph, pre: Predecided) -> Verdict | None:
    """A verdict that vouches for the tasks `pre` found quiet and for no other task (`Verdict.vouches`: a
    task none of whose inputs and outputs is `changed`). Changed: the outputs of the other tasks (one
    producer each, so no quiet task's) and the source files they read; so a quiet task is decided again
    only if it reads a file that another task makes or reads and that task is not quiet. None if some other
    task has no outputs (nothing would keep it from being vouched for)."""
    quiet, producer = set(pre.quiet), graph.producer
    changed: set[str] = set()
    for task_id, task in graph.tasks.items():
        if task_id in quiet:
            continue
        if not task.outputs:
            return None
        changed.update(task.outputs)
        changed.update(p for p in task.inputs if p not in producer)
    return Verdict(tasks=len(quiet), changed=changed)


def _recovered(pre: Predecided, held: dict[str, str]) -> bool:
    """Whether a task that failed in this session (`held`) is up to date now: an edit brought back what it was
    last built from. Nothing runs, but the last word on screen for it was "failed": a build says it is up to
    date (and the session no longer holds it)."""
    if not held:
        return False
    quiet = set(pre.quiet)
    return any(
        task_id in quiet or (task_id in pre.decisions and pre.decisions[task_id].action == "skip")
        for task_id in held
    )


def _nothing_new(graph: Graph, pre: Predecided, held: dict[str, str], told: frozenset[Notice]) -> bool:
    """Whether every task `pre` did not find quiet is up to date with only hand edits kept to tell, all of
    them `told`, or is held (stale under the key it failed with: the build would not start it) or needs one
    that is (the build would not start it either)."""
    quiet, blocked = set(pre.quiet), set()
    for task_id in graph.tasks:  # (in topological order)
        if task_id in quiet:
            continue
        if any(d in blocked for d in graph.deps.get(task_id, ())):
            blocked.add(task_id)
            continue
        decision = pre.decisions.get(task_id)
        if decision is None:
            return False
        if decision.action == "skip" and all(
            r.kind == "output-edited" and (task_id, r.path, r.new) in told for r in decision.reasons
        ):
            continue
        if decision.action != "run" or held.get(task_id) != decision.key:
            return False
        blocked.add(task_id)
    return True


def _notices(pre: Predecided) -> frozenset[Notice]:
    """The outputs edited by hand and kept, as the build `pre` was decided for would tell them."""
    return frozenset(
        (task_id, r.path, r.new)
        for task_id, d in pre.decisions.items()
        if d.action == "skip"
        for r in d.reasons
        if r.kind == "output-edited"
    )
