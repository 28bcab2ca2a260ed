"""Opening the store when another agentmake may hold the project lock: `--wait` (and every `watch`) says
so once on stderr and waits, as long as it takes, for the holder to end; Ctrl-C (or SIGTERM, SIGHUP) ends
the wait as it ends a build (exit 130), so `timeout 600 agentmake --wait` bounds it. Without `--wait` a
command waits a moment (`Store.open`'s default) and then stops with the holder's pid (exit 2), saying
`--wait` would wait. Each store is told the configuration of the command (`configuration_of`)."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from agentmake.interrupts import restore_signals, stop_on_signals
from agentmake.safetext import term_safe
from agentmake.store import Store
from agentmake.store.lock import LockedError, holder_words

if TYPE_CHECKING:
    from agentmake.model import Agentfile
    from agentmake.workflow import Project, Request


def configuration_of(req: Request, agentfile: Agentfile | None = None) -> str:
    """The configuration a command of `req` runs under (`store.owners.configuration`): the variables its
    command line sets, not the settings (`jobs=8` changes no output), nor, `agentfile` given (as loaded
    with them), a variable set to the value the Agentfile itself gives it (`lang=es` where it says `lang =
    es` builds what a plain build does: the same configuration, whose renamed outputs are leftovers of
    either)."""
    from agentmake.store.owners import configuration
    from agentmake.syntax.values import SETTINGS

    own = agentfile.own_values if agentfile is not None else {}
    return configuration({k: v for k, v in req.overrides.items() if k not in SETTINGS and own.get(k) != v})


def open_waiting(
    root: Path,
    agentfile: str,
    *,
    prefix: str = "agentmake",
    how: str = "",
    config: str | None = None,
    role: str = "",
) -> tuple[Store, bool]:
    """The project's store, locked: taken at once when it is free, else after saying who holds it
    (`PREFIX: another agentmake (pid N) is using ROOT: waiting for it to end (HOWCtrl-C to stop)`) and
    waiting for that holder to end. The store, and whether it waited. `role`: the lock's (`Store.open`)."""
    try:
        return Store.open(root, agentfile=agentfile, wait=0.5, config=config, role=role), False
    except LockedError as err:
        holder, holder_role = err.holder, err.role
    # (before the line that says it waits, which a script may answer with a signal at once; a build's own
    # handlers come later: SIGTERM or SIGHUP killed the wait)
    stopping = stop_on_signals()
    try:
        who = holder_words(holder, holder_role)
        print(
            f"{prefix}: {who} is using {term_safe(str(root))}: waiting for it to end ({how}Ctrl-C to stop)",
            file=sys.stderr,
            flush=True,
        )
        return Store.open(root, agentfile=agentfile, wait=math.inf, config=config, role=role), True
    finally:
        restore_signals(stopping)


def open_store(req: Request, project: Project, *, lock: bool = True) -> Store:
    """The project's store for a command of `req`: locked (`lock`) and, with `--wait`, taken however long
    another agentmake holds it (`open_waiting`); else as `Store.open` takes it (a moment, then exit 2)."""
    if req.wait and lock:
        return open_waiting(
            project.root, project.name, how="--wait; ", config=configuration_of(req, project.agentfile)
        )[0]
    try:
        return Store.open(
            project.root, lock=lock, agentfile=project.name, config=configuration_of(req, project.agentfile)
        )
    except LockedError as err:  # (say the option that would have waited: the user need not start over)
        again = f"{err}; or run it again with --wait, which waits for it"
        raise LockedError(again, err.holder, err.role) from None
