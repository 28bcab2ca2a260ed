"""What a build would do, without doing it (`-n`, `-q`, explain).

`plan_build` walks the graph in topological order. Outputs of a task that would run are unknown until it runs:
they go into `pending`, so dependents report "input X will be rebuilt" instead of guessing. Outputs a task
would restore from the cache are known: their cached hashes are assumed for dependents, so early cutoff is
predicted exactly (a dependent whose inputs come back unchanged stays up to date).
"""

from __future__ import annotations

from agentmake.errors import AgentmakeError, located
from agentmake.graph import Graph
from agentmake.plan.changes import Reason
from agentmake.plan.rebuilder import Decision, Rebuilder


def plan_build(graph: Graph, rebuilder: Rebuilder, tolerant: bool = False) -> list[Decision]:
    """One decision per task of `graph`, in its (topological) order. A task that cannot be decided (its
    prompt does not render for its inputs: a build fails that task alone) raises the located error, unless
    `tolerant` (`status`, which shows every task): then it is stale, the error its reason."""
    pending: set[str] = set()
    assume: dict[str, str | None] = {}
    decisions = []
    for task in graph.tasks.values():
        try:
            decision = rebuilder.decide(task, pending=pending, assume=assume)
        except AgentmakeError as exc:
            if not tolerant:
                raise
            why = located(exc)
            decision = Decision(task.id, "run", [Reason("undecided", f"cannot be decided: {why}")])
        if decision.action == "run":
            pending.update(task.outputs)
        elif decision.action == "restore" and decision.key is not None:
            cached = rebuilder.cached(decision) or {}
            assume.update(cached)
        decisions.append(decision)
    return decisions


def undecided(d: Decision) -> bool:
    """Whether `d` is of a task that cannot be decided: its prompt does not render (`plan_build`, tolerant);
    a build fails it, with no call, and runs nothing that depends on it."""
    return bool(d.reasons) and d.reasons[0].kind == "undecided"
