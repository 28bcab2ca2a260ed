"""What a build would do, without doing it (`-n`, `-q`, explain).

`plan_build` walks the graph in topological order. Outputs of a task that would run are unknown until it runs:
they go into `pending`, so dependents report "input X will be rebuilt" instead of guessing. Outputs a task
would restore from the cache are known: their cached hashes are assumed for dependents, so early cutoff is
predicted exactly (a dependent whose inputs come back unchanged stays up to date).
"""

from __future__ import annotations

from agentmake.graph import Graph
from agentmake.plan.rebuilder import Decision, Rebuilder


def plan_build(graph: Graph, rebuilder: Rebuilder) -> list[Decision]:
    """One decision per task of `graph`, in its (topological) order."""
    pending: set[str] = set()
    assume: dict[str, str | None] = {}
    decisions = []
    for task in graph.tasks.values():
        decision = rebuilder.decide(task, pending=pending, assume=assume)
        if decision.action == "run":
            pending.update(task.outputs)
        elif decision.action == "restore" and decision.key is not None:
            cached = rebuilder.cached(decision) or {}
            assume.update(cached)
        decisions.append(decision)
    return decisions
