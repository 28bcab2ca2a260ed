"""Child processes of running tasks: recording them, and ending orphans a killed agentmake left running.

`ProcessRecorder` is the executor's `on_process` callback. While a build runs it hands each (task, pid,
pgid) to the scheduler thread, which writes it to the store, so the store is only ever used from one thread.
`end_orphans` runs before a build, under the project lock: every recorded task process still alive is an
orphan of a killed agentmake and is ended, so there are never two live copies of one task. The scheduler
writes a process only once it has run for `loop.MARK_DELAY` (see there for the trade-off). A group is only
ended if its leader is still the process recorded (same boot, same start time; `agentmake.store.identity`):
after a reboot, in another container sharing `.agentmake`, or after pid wrap-around, its pgid may name an
unrelated group, which is left alone (its row is just cleared).
"""

from __future__ import annotations

import os
from collections.abc import Callable

from agentmake.procstat import stat_fields
from agentmake.runners.process import group_alive, kill_process_group
from agentmake.store import Store
from agentmake.store.identity import boot_id, proc_available, start_ticks
from agentmake.trace import mark

ProcessNote = tuple[str, str, int, int]  # ("process", task_id, pid, pgid)


class ProcessRecorder:
    """Pass it as `Executor(on_process=...)` and to `run_build(..., processes=...)`."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.run_id = 0
        self.post: Callable[[ProcessNote], None] | None = None  # set by run_build while a build runs

    def __call__(self, task_id: str, pid: int, pgid: int) -> None:
        mark("spawn", task_id)
        post = self.post
        if post is not None:
            post(("process", task_id, pid, pgid))
        else:
            self.store.mark_running(task_id, self.run_id, pid, pgid)


def alive(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie counts as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    fields = stat_fields(pid)
    if not fields:
        return True  # no /proc (not Linux): trust the signal check
    return fields[0] not in (b"Z", b"X")


def end_orphans(store: Store) -> list[str]:
    """End the process groups of tasks whose agentmake is gone and clear their records; returns their ids.

    Under the project lock (`store.locked`) no other agentmake can be running this project, so every recorded
    entry is an orphan, whatever its owner pid says now (that pid may be a zombie or reused by an unrelated
    process). Without the lock (a store opened read-only, a test double), an entry whose owner is another
    live process is left alone."""
    ended: list[str] = []
    locked = bool(getattr(store, "locked", False))
    me = os.getpid()
    read_identities = getattr(store, "running_identities", None)  # absent from test doubles
    identities = read_identities() if callable(read_identities) else {}
    boot = boot_id()
    for task_id, pid, pgid, owner in store.running():
        if not locked and owner != me and alive(owner):
            continue  # another live agentmake may own it
        ticks, recorded_boot = identities.get(task_id, (None, None))
        same = same_process(pid, ticks, recorded_boot, boot)
        if same and pgid > 0 and pgid != os.getpgrp() and group_alive(pgid):
            kill_process_group(pgid)
            ended.append(task_id)
        store.clear_running(task_id)
    return ended


def same_process(pid: int, ticks: int | None, recorded_boot: str | None, boot: str | None) -> bool:
    """Whether `pid` is still the process recorded with start time `ticks` during boot `recorded_boot`
    (`boot` is this boot's id). Unknown parts (None, or no /proc) are trusted: the pid alone decides."""
    if recorded_boot is not None and boot is not None and recorded_boot != boot:
        return False
    if ticks is None or not proc_available():
        return True
    return start_ticks(pid) == ticks  # None when the leader is gone: its group may be anyone's by now
