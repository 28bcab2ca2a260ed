"""What the last build did not finish, task by task: the first reason `status` and `explain` give of a task
the last build stopped (Ctrl-C, a watch cancel) or did not run (a dependency failed, the budget was reached,
the build stopped after a failure), before the reasons its key gives."""

from __future__ import annotations

import re

from agentmake.store import Store

__all__ = ["stopped_last"]


def stopped_last(store: Store) -> dict[str, str]:
    """Tasks the last build stopped before they finished (Ctrl-C, a watch cancel), or did not run (a
    dependency failed, the budget reached, the build stopped) -> the reason to give first, saying so."""
    last = store.last_run_id()
    if last is None:
        return {}
    said = {"interrupted": "the last build was stopped (Ctrl-C) before it finished"}
    found = {}
    for a in store.attempts(last):
        if a.state == "interrupted":
            message = a.message or "interrupted"
            stopped = re.fullmatch(r"stopped by (SIG[A-Z]+)", message)  # (the signal that stopped the build)
            if stopped:
                why = f"the last build was stopped ({stopped[1]}) before it finished"
            else:
                why = said.get(message, f"the last build stopped it ({message})")
            found[a.task_id] = f"interrupted: {why}"
        elif a.state == "not-run":
            found[a.task_id] = "not run by the last build" + (f": {a.message}" if a.message else "")
    return found
