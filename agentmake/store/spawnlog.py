"""The spawn log: one line per task process, appended by the thread that started it, the moment it started.

The store's `running` table learns of a process only once it has run for `scheduler.loop.MARK_DELAY` (a
transaction for every quick shell task would cost more than the task). The spawn log closes that window: the
worker that started the process appends (task, pid, pgid, start time, boot id) with one `write` on an
`O_APPEND` descriptor, before the scheduler has even heard of it. No transaction and no fsync: a killed
agentmake loses nothing that the kernel already has (a machine that goes down takes the processes with it).
The start time is read from the clock `/proc/<pid>/stat` counts process start times in (`CLOCK_BOOTTIME`)
just after the process started, not from that stat file: reading it then waits for the child's `exec` to
finish (about half a millisecond per task, measured); the two agree to within a few milliseconds.

A build truncates the log under the project lock when it starts and removes it when it ends with no process
left running. A log still there when the next build starts was left by an agentmake that was killed, and
`scheduler.processes.end_orphans` ends every group it names that is still the process it recorded.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from agentmake.store.identity import boot_id

SPAWN_LOG = "spawned"  # under .agentmake/


@dataclass(frozen=True)
class Spawned:
    """One process a build started: its task, pid, process group, when it started (seconds of
    `CLOCK_BOOTTIME`, a few milliseconds late) and boot id (None where unknown)."""

    task_id: str
    pid: int
    pgid: int
    started: float | None
    boot: str | None


def boot_clock() -> float | None:
    """Seconds since boot on the clock process start times count in (Linux), or None where there is none."""
    clock = getattr(time, "CLOCK_BOOTTIME", None)
    return None if clock is None else time.clock_gettime(clock)


class SpawnLog:
    """The log of one build, open for appending. `add` is safe from any thread; after `close` it does nothing
    (a late worker never writes into whatever file reuses the descriptor)."""

    def __init__(self, store_dir: Path) -> None:
        self.path = store_dir / SPAWN_LOG
        self._boot = boot_id()
        self._lock = threading.Lock()
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)
        self._fd: int | None = os.open(self.path, flags, 0o600)

    def add(self, task_id: str, pid: int, pgid: int) -> None:
        """Append process `pid` (leading group `pgid`) of `task_id`."""
        started = boot_clock()
        when = None if started is None else round(started, 3)
        line = json.dumps([task_id, pid, pgid, when, self._boot]) + "\n"
        with self._lock:
            if self._fd is not None:
                os.write(self._fd, line.encode("utf-8"))

    def close(self, *, remove: bool) -> None:
        """Stop writing; `remove` the file when no process it names can still be running."""
        with self._lock:
            fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
        if remove:
            self.path.unlink(missing_ok=True)


def read_spawn_log(store_dir: Path) -> list[Spawned]:
    """The processes named by a spawn log left in `store_dir` (none if there is none). A line that does not
    parse (the torn end of a write cut short, a hand edit) is skipped."""
    try:
        text = (store_dir / SPAWN_LOG).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    found: list[Spawned] = []
    for line in text.splitlines():
        try:
            task_id, pid, pgid, started, boot = json.loads(line)
        except (ValueError, TypeError):
            continue
        if not (isinstance(task_id, str) and _is_int(pid) and _is_int(pgid)):
            continue
        if started is not None and not (isinstance(started, float) or _is_int(started)):
            continue
        if boot is not None and not isinstance(boot, str):
            continue
        found.append(Spawned(task_id, pid, pgid, None if started is None else float(started), boot))
    return found


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
