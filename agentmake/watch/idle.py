"""Whether a build would do nothing at all: run, restore or tell nothing (`nothing_to_do`); watch then
spares it, so a save that changed no content prints nothing."""

from __future__ import annotations

from pathlib import Path

from agentmake.graph import Graph
from agentmake.plan import Hasher, Rebuilder
from agentmake.scheduler.fastlane import Predecided, predecide
from agentmake.store import Store
from agentmake.trace import mark


def nothing_to_do(root: Path, store: Store, selected: Graph, held: dict[str, str]) -> bool:
    """Whether a build of `selected` would neither run nor restore anything, nor have anything to tell:
    every task up to date with nothing to say, or held (`held`: task id -> the key it failed under in this
    session, which it has now), or downstream of a held task. Decided as a build decides (`predecide`:
    stats, and a hash of each file whose stat moved); the stat records found are kept, so the build it
    spares would not have read less."""
    mark("idle-check")
    hasher = Hasher(root, store)
    pre = predecide(selected, Rebuilder(selected, store, hasher))
    idle = pre.complete or (bool(held) and _held_only(selected, pre, held))
    if idle:
        hasher.flush()
    mark("idle-checked", "idle" if idle else "build")
    return idle


def _held_only(graph: Graph, pre: Predecided, held: dict[str, str]) -> bool:
    """Whether every task `pre` did not find quiet is held (stale under the key it failed with: the build
    would not start it) or needs one that is (the build would not start it either)."""
    quiet, blocked = set(pre.quiet), set()
    for task_id in graph.tasks:  # (in topological order)
        if task_id in quiet:
            continue
        if any(d in blocked for d in graph.deps.get(task_id, ())):
            blocked.add(task_id)
            continue
        decision = pre.decisions.get(task_id)
        if decision is None or decision.action != "run" or held.get(task_id) != decision.key:
            return False
        blocked.add(task_id)
    return True
