"""Ending a child's process group: SIGTERM (then SIGCONT, for a stopped member), a grace, SIGKILL; the groups
its processes moved to (`setsid`), found by the spawn token they carry; and a second Ctrl-C's hurry, which
ends every grace at once. `process` starts and watches the children; this module ends what they leave.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence

from agentmake.procstat import stat_fields
from agentmake.store.identity import groups_holding

GRACE = 3.0  # seconds between SIGTERM and SIGKILL (none once `hurry` was called)
_POLL = 0.05

_hurry = threading.Event()  # set by `hurry`: a group being ended gets its SIGKILL now, not after the grace


def hurry() -> None:
    """A second Ctrl-C (or SIGTERM) while a build ends its agents: the user asked to stop *now*, as make
    and ninja do at a second ^C. Every group being ended, and every one ended from now on, gets its SIGKILL
    without waiting for the rest of its grace (an agent that ignores SIGTERM no longer holds the build for
    it). Until `unhurried`."""
    _hurry.set()


def unhurried() -> None:
    """A build starts (watch mode runs many in one process): groups it ends get their grace again."""
    _hurry.clear()


def hurried() -> bool:
    """Whether `hurry` was called (and not `unhurried` since)."""
    return _hurry.is_set()


def _graced(deadline: float) -> bool:
    """Whether a group told to end may still be waited for: its grace, ending at `deadline`, is not over
    and no second Ctrl-C asked to stop now."""
    return time.monotonic() < deadline and not _hurry.is_set()


def kill_process_group(pgid: int, grace: float = GRACE, reap: Callable[[], object] | None = None) -> bool:
    """SIGTERM the group, wait up to `grace` seconds for it to empty (less after `hurry`), then SIGKILL what
    is left. `reap` (e.g. `Popen.poll`) collects our own child so its zombie does not count as alive.
    Returns False when the group did not exist. Safe to call on a group that is already gone."""
    try:
        terminate_group(pgid)
    except (ProcessLookupError, PermissionError):
        return False
    deadline = time.monotonic() + grace
    while _graced(deadline):
        if reap is not None:
            reap()
        if not group_alive(pgid):
            return True
        time.sleep(_POLL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
    return True


def kill_process_groups(pgids: Sequence[int], grace: float = GRACE) -> set[int]:
    """`kill_process_group` of several groups at once: SIGTERM to each, one grace for them all, then SIGKILL
    to what is left (ended one after another, N groups that ignore SIGTERM would take N graces). Returns the
    groups that existed."""
    existed: list[int] = []
    for pgid in dict.fromkeys(pgids):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            terminate_group(pgid)
            existed.append(pgid)
    deadline = time.monotonic() + grace
    left = list(existed)
    while left and _graced(deadline):
        time.sleep(_POLL)
        left = [pgid for pgid in left if group_alive(pgid)]
    for pgid in left:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
    return set(existed)


def terminate_group(pgid: int) -> None:
    """SIGTERM group `pgid`, then SIGCONT: a stopped member (`kill -STOP`, a Ctrl-Z of its own) would keep the
    SIGTERM pending, never handle it, and wait for the SIGKILL that follows the grace; resumed, it ends as
    it chooses to, at once. Raises ProcessLookupError (no such group) or PermissionError as `os.killpg`."""
    os.killpg(pgid, signal.SIGTERM)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGCONT)


def escaped_groups(token: str | None, pgid: int) -> list[int]:
    """The process groups, other than `pgid` and agentmake's own, of live processes whose environment holds
    `token` (`SPAWN_VAR`): descendants of the child that left its group. [] without a token or /proc."""
    return [] if token is None else groups_holding((token,), (pgid,))


def signal_escaped(token: str | None, pgid: int, *, kill: bool = False) -> list[int]:
    """Send SIGTERM (then SIGCONT, as `terminate_group`), or SIGKILL if `kill`, to every group
    `escaped_groups` finds; returns them."""
    groups = escaped_groups(token, pgid)
    for group in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if kill:
                os.killpg(group, signal.SIGKILL)
            else:
                terminate_group(group)
    return groups


def end_escaped(token: str | None, pgid: int, grace: float = GRACE) -> None:
    """End what a stopped child of `token` left running outside its group `pgid` (see the module docstring):
    SIGTERM to each such group, and SIGKILL to what is left after `grace` seconds."""
    if not signal_escaped(token, pgid):
        return
    deadline = time.monotonic() + grace
    while _graced(deadline):
        if not escaped_groups(token, pgid):
            return
        time.sleep(_POLL)
    signal_escaped(token, pgid, kill=True)


def group_alive(pgid: int) -> bool:
    """Whether a live (non-zombie) process is still in group `pgid`. Zombies count as gone: an init that does
    not reap (as in some containers) would otherwise keep a dead group "alive" forever."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if not os.path.isdir("/proc/self"):
        return True
    with os.scandir("/proc") as entries:
        pids = [e.name for e in entries if e.name.isdigit()]
    for pid in pids:
        fields = stat_fields(pid)
        if fields and len(fields) > 2 and int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
            return True
    return False
