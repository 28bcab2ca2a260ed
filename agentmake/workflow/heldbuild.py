"""A build while another agentmake holds the project (an `agentmake watch`, another build): what it would
run is decided as -n decides it, without the lock; nothing to run is said as a no-op build says it (exit 0),
else the holder is named (its pid, whether it is a watch, how to stop it) with what would run (exit 2)."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

from agentmake.errors import plural
from agentmake.safetext import term_safe
from agentmake.store.lock import LockedError, holder_words
from agentmake.workflow import EXIT_OK, Project, Request, _out
from agentmake.workflow.planning import plan

if TYPE_CHECKING:
    from collections.abc import Callable

    from agentmake.graph import Graph
    from agentmake.store import Store

__all__ = ["build_while_held"]


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
    from agentmake.firstfew import first_few
    from agentmake.scheduler.summary import summary_line

    elsewhere: dict[str, int] = {}
    decisions = plan(project, selected, req, tolerant=True, elsewhere=elsewhere, first=first)
    stale = [d.task_id for d in decisions if d.stale]
    stale += [t for t in elsewhere if t in selected.tasks and t not in stale]  # (running there now)
    if stale:
        would = f"{plural(len(stale), 'task')} to run ({first_few(stale, 5, each=term_safe)}), but {err}"
        raise LockedError(would, err.holder, err.role) from None
    note = f"agentmake: nothing to run; {holder_words(err.holder, err.role)} is using the project"
    print(note, file=sys.stderr)
    _out(summary_line({"up-to-date": len(decisions)}, time.monotonic() - started))
    return EXIT_OK
