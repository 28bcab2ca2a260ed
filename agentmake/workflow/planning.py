"""Decisions without a build (a dry run, -q, `status`): the rebuilder over the state, read without the
lock, and which tasks another agentmake is running now."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

from agentmake.workflow import Project, Request

if TYPE_CHECKING:
    from agentmake.graph import Graph, Task
    from agentmake.store import Store

__all__ = ["checker", "plan", "plan_in", "running_elsewhere", "running_owners"]


def plan(
    project: Project, selected: Graph, req: Request, tolerant: bool = False,
    elsewhere: dict[str, int] | None = None, first: Callable[[Store], object] | None = None,
) -> list:  # fmt: skip
    """`elsewhere` (if given) receives the tasks another agentmake is running now, each with its pid;
    `first` (if given) is called with the state before the decisions are made (the dry run's warnings)."""
    from agentmake.store import Store
    from agentmake.workflow.waiting import configuration_of

    store = Store.open(
        project.root, lock=False, agentfile=project.name, config=configuration_of(req, project.agentfile)
    )
    try:
        if first is not None:
            first(store)
        owners = running_owners(store)
        if elsewhere is not None:
            elsewhere.update(owners)
        return plan_in(store, project, selected, req, tolerant, busy=frozenset(owners))
    finally:
        store.close()


def plan_in(
    store: Store, project: Project, selected: Graph, req: Request, tolerant: bool = False,
    busy: Collection[str] | None = None,
) -> list:  # fmt: skip
    """`tolerant`: a task that cannot be decided is stale, with the error (`plan_build`), not an error.
    `busy`: the tasks another agentmake is running now (`running_elsewhere`, read if not given)."""
    from agentmake.plan import Hasher, Rebuilder
    from agentmake.plan.dryrun import plan_build

    rebuilder = Rebuilder(
        selected, store, Hasher(project.root, store), force=req.force, checker=checker(project),
        busy=running_elsewhere(store) if busy is None else busy,
    )  # fmt: skip
    return plan_build(selected, rebuilder, tolerant)


def running_elsewhere(store: Store) -> frozenset[str]:
    """The tasks whose processes another agentmake, alive now, is running (what `status` shows running), for
    a command that only reads: their outputs are work in progress (`Rebuilder.busy`). None under the lock."""
    return frozenset(running_owners(store))


def running_owners(store: Store) -> dict[str, int]:
    """`running_elsewhere`, each task with the pid of the agentmake running it."""
    if store.locked:
        return {}
    running = store.running()
    from agentmake.store.lock import held_elsewhere

    if not running or not held_elsewhere(store.dir / "lock"):  # (else a stopped agentmake left them)
        return {}
    return {task_id: owner or pid for task_id, pid, _pgid, owner in running}


def checker(project: Project) -> Callable[[Task], str | None]:
    """How the rebuilder judges a changed check on outputs in place (`Rebuilder.checker`): a check command
    is left to the build's attempt of the task (`Decision.recheck`), run in a slot like any other work."""
    from agentmake.runners.check import check_in_place

    return check_in_place(project.agentfile)
