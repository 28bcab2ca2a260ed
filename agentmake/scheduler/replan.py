"""Watch mode edits the Agentfile (or a prompt file) under a running build: which running tasks the new plan
changes, so their calls are ended rather than paid to the end for a result the next build redoes."""

from __future__ import annotations

from collections.abc import Iterable

from agentmake.errors import AgentmakeError
from agentmake.graph import Graph, Task
from agentmake.plan import Hasher, Rebuilder
from agentmake.scheduler.tasks import TaskState
from agentmake.store import Store


def changed_running(
    running: Iterable[TaskState], graph: Graph, store: Store, hasher: Hasher, reason: str
) -> dict[str, str]:
    """Task id -> why, for each of `running` whose key no task of `graph` has any more. A running task is
    looked for under its id, or else as the maker of its outputs (an agent renamed: the key does not hold the
    name); one whose key the new plan still has is left to finish, its result is what that plan asks for.
    `reason`: why, for a task the new plan wants otherwise."""
    keys = Rebuilder(graph, store, hasher)
    changed: dict[str, str] = {}
    for t in running:
        now = graph.tasks.get(t.id) or _maker(graph, t.task)
        if now is None:
            changed[t.id] = "no longer in the Agentfile"
            continue
        try:
            same = t.decision is not None and t.decision.key is not None and keys.key(now) == t.decision.key
        except (AgentmakeError, OSError):  # e.g. its prompt no longer renders: it cannot be what it was
            same = False
        if not same:
            changed[t.id] = reason
    return changed


def _maker(graph: Graph, task: Task) -> Task | None:
    """The task of `graph` that makes the outputs `task` makes (all of them, and nothing else), if any."""
    maker = graph.producer.get(task.outputs[0]) if task.outputs else None
    found = graph.tasks.get(maker) if maker is not None else None
    return found if found is not None and found.outputs == task.outputs else None
