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

The one write after the start leaves a window: a kill between the child's start and that write (microseconds
on an idle machine; on a loaded one, until the worker gets a CPU again) would leave a child no line names. So
each start is announced first: an *intent* line (task, token, when), written before the child is started, and
the token goes into the child's environment (`runners.process.SPAWN_VAR`), which its own children inherit.
The spawn line then repeats the token. A token no spawn line repeats names a child that may have started
unlogged; the next build looks for this user's processes whose environment holds it
(`scheduler.processes.end_orphans`). A token is this build's random nonce and a count (`5f0c…e1.17`): only an
exact match counts, so no other build, project or user's process can carry one by chance.

Lines, one JSON array each (format 2; format 1 had no intent lines and no token, and still reads):
    ["lint:a.py", "5f0c9a7d3b21e4e1.17", 8123.456]                                 intent: task, token, when
    ["lint:a.py", 40125, 40125, 8123.457, "0c5e…", "5f0c9a7d3b21e4e1.17"]   spawn: ..., boot id, token
"When" is seconds of `CLOCK_BOOTTIME` (null where there is none).
"""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import TypeGuard

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
    token: str | None = None  # the token of its intent line (None: a format 1 line)


@dataclass(frozen=True)
class Intent:
    """A child a build was about to start: its task, the token in its environment, and when (seconds of
    `CLOCK_BOOTTIME`, None where unknown)."""

    task_id: str
    token: str
    at: float | None


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
        self._boot_json = _json_text(self._boot)
        self._lock = threading.Lock()
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)
        self._fd: int | None = os.open(self.path, flags, 0o600)
        self._nonce = os.urandom(8).hex()  # (not `secrets`: it imports hashlib, unused by shell builds)
        self._count = itertools.count(1)
        self._announced: dict[str, str] = {}  # task id -> the token of its latest intent line

    def intend(self, task_id: str) -> str | None:
        """Append an intent line for a child of `task_id` about to start; the token to put in its environment,
        None once the log is closed. A task starts one child at a time, from one thread: the next `add` for
        `task_id` repeats this token (an intent whose start failed is simply never repeated)."""
        token = f"{self._nonce}.{next(self._count)}"
        line = f'[{encode_basestring_ascii(task_id)}, "{token}", {_json_number(_now())}]\n'
        with self._lock:
            if self._fd is None:
                return None
            os.write(self._fd, line.encode("utf-8"))
            self._announced[task_id] = token
        return token

    def add(self, task_id: str, pid: int, pgid: int) -> None:
        """Append process `pid` (leading group `pgid`) of `task_id` (with the token `intend` gave it)."""
        when = _now()
        with self._lock:
            token = self._announced.pop(task_id, None)
            if self._fd is not None:
                fields = (encode_basestring_ascii(task_id), str(pid), str(pgid), _json_number(when))
                line = f"[{', '.join(fields)}, {self._boot_json}, {_json_text(token)}]\n"
                os.write(self._fd, line.encode("utf-8"))

    def close(self, *, remove: bool) -> None:
        """Stop writing; `remove` the file when no process it names can still be running."""
        with self._lock:
            fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
        if remove:
            self.path.unlink(missing_ok=True)


def _json_text(value: str | None) -> str:
    """`value` as `json.dumps` writes it (its own C quoting function): a line is formatted directly, not by
    a call of `json.dumps` with its encoder set up anew (two a task, on the scheduler thread)."""
    return "null" if value is None else encode_basestring_ascii(value)


def _json_number(value: float | None) -> str:
    """`value` (a finite float, or None) as `json.dumps` writes it."""
    return "null" if value is None else float.__repr__(value)


def _now() -> float | None:
    started = boot_clock()
    return None if started is None else round(started, 3)


def read_spawn_log(store_dir: Path) -> list[Spawned]:
    """The processes named by a spawn log left in `store_dir` (none if there is none). A line that does not
    parse (the torn end of a write cut short, a hand edit) is skipped."""
    return _read(store_dir)[0]


def unstarted(store_dir: Path) -> list[Intent]:
    """The intents of a spawn log left in `store_dir` that no spawn line repeats: children that may have
    started without a line naming them (or never started)."""
    spawned, intents = _read(store_dir)
    logged = {s.token for s in spawned}
    return [intent for intent in intents if intent.token not in logged]


def _read(store_dir: Path) -> tuple[list[Spawned], list[Intent]]:
    try:
        text = (store_dir / SPAWN_LOG).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return [], []
    found: list[Spawned] = []
    intents: list[Intent] = []
    for line in text.splitlines():
        try:
            fields = json.loads(line)
        except ValueError:
            continue
        if not isinstance(fields, list):
            continue
        if len(fields) == 3:
            intent = _intent(*fields)
            if intent is not None:
                intents.append(intent)
        elif len(fields) in (5, 6):
            spawned = _spawned(*fields)
            if spawned is not None:
                found.append(spawned)
    return found, intents


def _spawned(
    task_id: object, pid: object, pgid: object, started: object, boot: object, token: object = None
) -> Spawned | None:
    if not (isinstance(task_id, str) and isinstance(pid, int) and isinstance(pgid, int)):
        return None
    if not (_is_int(pid) and _is_int(pgid) and _is_time(started)):
        return None
    if not (boot is None or isinstance(boot, str)) or not (token is None or isinstance(token, str)):
        return None
    return Spawned(task_id, pid, pgid, None if started is None else float(started), boot, token)


def _intent(task_id: object, token: object, at: object) -> Intent | None:
    if not (isinstance(task_id, str) and isinstance(token, str) and token and _is_time(at)):
        return None
    return Intent(task_id, token, None if at is None else float(at))


def _is_time(value: object) -> TypeGuard[float | None]:
    return value is None or isinstance(value, float) or _is_int(value)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
