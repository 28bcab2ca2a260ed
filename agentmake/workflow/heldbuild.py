"""A build while another agentmake holds the project (an `agentmake watch`, another build): what it would
run is decided as -n decides it, without the lock; nothing to run is said as a no-op build says it (exit 0),
else the holder is named (its pid, whether it is a watch, how to stop it) with what would run (exit 2). With
`--wait`, a watch's project with nothing to run is said so too, not waited for; with something to run, once
the watch has built it (`up_to_date_beside_watch`), or the watch says it will not (`watchwait`)."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

from agentmake.errors import plural
from agentmake.store.lock import LockedError, holder_words
from agentmake.workflow import EXIT_OK, Project, Request, _out
from agentmake.workflow.planning import plan
from agentmake.workflow.watchwait import NotBuilt, task_names, to_do

if TYPE_CHECKING:
    from collections.abc import Callable

    from agentmake.graph import Graph
    from agentmake.store import Store

__all__ = ["build_while_held", "up_to_date_beside_watch"]


def build_while_held(
    project: Project,
    selected: Graph,
    req: Request,
    err: LockedError,
    started: float,
    first: Callable[[Store], object] | None = None,
) -> int:
    """EXIT_OK, with the build's summary line, when every task of `selected` is up to date and none runs
    elsewhere now (two builds never run at once: nothing is run or written here); else `err`, saying what
    would run. `started`: when the build began (`time.monotonic`), for its summary line; `first`: the
    warnings a build gives before it decides (leftovers it reads: `workflow.plan`'s `first`)."""
    stale, decisions, running = _to_run(project, selected, req, first)
    if stale:
        would = f"{to_do(stale, decisions, running)}, but {err}"
        raise LockedError(would, err.holder, err.role) from None
    return _up_to_date(len(decisions), holder_words(err.holder, err.role), started)


def up_to_date_beside_watch(
    project: Project,
    selected: Graph,
    req: Request,
    started: float,
    first: Callable[[Store], object] | None = None,
) -> int | None:
    """A `--wait` build while a live `agentmake watch` holds the project: EXIT_OK, said as without `--wait`
    (`build_while_held`, with the warnings of `first`), once nothing is to run, as waiting for a watch,
    which runs until stopped, would never end: what is to run (the watch building it now, say) is decided
    again until it is built, or the watch ends (then None: the build takes the project, and warns), or
    it says it will not build it (`NotBuilt`: exit 1 or 2); None at once with -B (everything is to run)."""
    from agentmake.interrupts import restore_signals, stop_on_signals
    from agentmake.store.lock import watch_holding

    lock = project.root / ".agentmake" / "lock"
    stopping = stop_on_signals()  # (SIGTERM or SIGHUP stop the wait as Ctrl-C does, as `open_waiting`'s)
    try:
        pause, said, unbuilt = 0.2, False, NotBuilt(project, req)
        while (holder := watch_holding(lock)) is not None:
            stale, decisions, running = _to_run(project, selected, req)
            if not stale:
                if first is not None:  # (only now: a build that takes the project warns once it holds it)
                    _warn(project, req, first)
                return _up_to_date(len(decisions), holder_words(holder, "watch"), started)
            if req.force:
                return None
            if (never := unbuilt.check(holder, stale, decisions, running)) is not None:
                return never
            if not said:
                tasks = task_names(stale)
                print(
                    f"agentmake: {holder_words(holder, 'watch')} is using the project: waiting for it to"
                    f" build {plural(len(stale), 'task')} ({tasks}), or to end (--wait; Ctrl-C to stop)",
                    file=sys.stderr,
                    flush=True,
                )
                said = True
            time.sleep(pause)
            pause = min(pause * 1.5, 2.0)  # (each look decides the selected tasks again)
        return None
    finally:
        restore_signals(stopping)


def _warn(project: Project, req: Request, first: Callable[[Store], object]) -> None:
    """`first`'s warnings, over the state read without the lock (as `planning.plan` reads it)."""
    from agentmake.store import Store
    from agentmake.workflow.waiting import configuration_of

    config = configuration_of(req, project.agentfile)
    store = Store.open(project.root, lock=False, agentfile=project.name, config=config)
    try:
        first(store)
    finally:
        store.close()


def _to_run(
    project: Project, selected: Graph, req: Request, first: Callable[[Store], object] | None = None
) -> tuple[list[str], list, set[str]]:
    """The tasks of `selected` a build would run or restore now, decided as -n decides (no lock), with those
    running elsewhere now; the decisions; and those running elsewhere. `first`: as `build_while_held`'s."""
    elsewhere: dict[str, int] = {}
    decisions = plan(project, selected, req, tolerant=True, elsewhere=elsewhere, first=first)
    stale = [d.task_id for d in decisions if d.stale]
    running = {t for t in elsewhere if t in selected.tasks}
    stale += [t for t in running if t not in stale]  # (running there now)
    return stale, decisions, running


def _up_to_date(count: int, who: str, started: float) -> int:
    """Say a build of `count` tasks, all up to date, while `who` holds the project: EXIT_OK."""
    from agentmake.scheduler.summary import summary_line

    print(f"agentmake: nothing to run; {who} is using the project", file=sys.stderr)
    _out(summary_line({"up-to-date": count}, time.monotonic() - started))
    return EXIT_OK
