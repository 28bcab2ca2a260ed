"""Watch mode edits the Agentfile (or a prompt file) under a running build: which running tasks the new
plan changes, so their calls are ended rather than paid to the end for a result the next build redoes."""

from __future__ import annotations

from collections.abc import Iterable

from agentmake.errors import AgentmakeError
from agentmake.graph import Graph
from agentmake.plan import Hasher, Rebuilder
from agentmake.scheduler.tasks import TaskState
from agentmake.store import Store


def changed_running(
    running: Iterable[TaskState], graph: Graph, store: Store, hasher: Hasher
) -> dict[str, str]:
    """Task id -> why, for each of `running` that `graph` no longer has or gives another key (one it has
    the same key for is left to finish: its result is what the new plan asks for)."""
    keys = Rebuilder(graph, store, hasher)
    changed: dict[str, str] = {}
    for t in running:
        task = graph.tasks.get(t.id)
        if task is None:
            changed[t.id] = "no longer in the Agentfile"
            continue
        try:
            same = t.decision is not None and t.decision.key is not None and keys.key(task) == t.decision.key
        except (AgentmakeError, OSError):  # e.g. its prompt no longer renders: it cannot be what it was
            same = False
        if not same:
            changed[t.id] = "its settings or prompt changed"
    return changed
