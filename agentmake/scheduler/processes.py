"""Child processes of running tasks: recording them, and ending orphans a killed agentmake left running.

`ProcessRecorder` is the executor's `on_process` callback. While a build runs it hands each (task, pid,
pgid) to the scheduler thread, which writes it to the store, so the store is only ever used from one thread.
`end_orphans` runs before a build: a recorded task whose agentmake process is gone but whose process group
still lives is ended, so there are never two live copies of one task.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from agentmake.runners.process import group_alive, kill_process_group
from agentmake.store import Store

ProcessNote = tuple[str, str, int, int]  # ("process", task_id, pid, pgid)


class ProcessRecorder:
    """Pass it as `Executor(on_process=...)` and to `run_build(..., processes=...)`."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.run_id = 0
        self.post: Callable[[ProcessNote], None] | None = None  # set by run_build while a build runs

    def __call__(self, task_id: str, pid: int, pgid: int) -> None:
        post = self.post
        if post is not None:
            post(("process", task_id, pid, pgid))
        else:
            self.store.mark_running(task_id, self.run_id, pid, pgid)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def end_orphans(store: Store) -> list[str]:
    """End the process groups of tasks whose agentmake died and clear their records; returns their ids."""
    ended: list[str] = []
    for task_id, _pid, pgid, owner in store.running():
        if owner != os.getpid() and alive(owner):
            continue  # another live agentmake owns it (cannot happen under the project lock; be safe)
        if pgid > 0 and pgid != os.getpgrp() and group_alive(pgid):
            kill_process_group(pgid)
            ended.append(task_id)
        store.clear_running(task_id)
    return ended
