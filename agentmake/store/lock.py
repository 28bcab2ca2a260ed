"""The project lock: one agentmake writes a project's state at a time.

`.agentmake/lock` is held with `fcntl.flock(LOCK_EX)` for the life of the process that opened the store, and
holds that process's pid and, on a second line, its role if it has one (`watch`: for the message another
process shows). The kernel releases a flock when its
holder dies, so a crashed run never leaves the project locked; the file itself is never deleted (deleting
lock files races).
"""

from __future__ import annotations

import fcntl
import math
import os
import time
from pathlib import Path

from agentmake.errors import UsageError
from agentmake.pidtmp import alive


class LockedError(UsageError):
    """Another agentmake process holds the project lock (message names its pid, `holder` when known, and
    its `role`: "watch" for an `agentmake watch`, else "")."""

    def __init__(self, message: str, holder: int | None = None, role: str = "") -> None:
        super().__init__(message)
        self.holder = holder
        self.role = role


def holder_words(holder: int | None, role: str) -> str:
    """Who holds the project, as messages name it: "an `agentmake watch` (pid 12)", "another agentmake
    (pid 12)"."""
    who = f"pid {holder}" if holder else "another process"
    return f"an `agentmake watch` ({who})" if role == "watch" else f"another agentmake ({who})"


class ProjectLock:
    """An exclusive flock on `path`; `acquire(wait)` polls up to `wait` seconds, then raises LockedError
    (`math.inf`: it blocks until the lock is free, as long as it takes; a signal's KeyboardInterrupt ends
    the wait); held by a live `agentmake watch`, which holds it until stopped, it raises at once."""

    def __init__(self, path: Path, root: Path, role: str = "") -> None:
        self.path = path
        self.root = root
        self.role = role  # (written after the pid: "watch" for an `agentmake watch`)
        self._fd: int | None = None

    def acquire(self, wait: float) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + max(wait, 0.0)
        if math.isinf(wait):
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)  # (the kernel wakes it when the holder ends: no polling)
            except BaseException:
                os.close(fd)
                raise
            wait = 0.0
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder, role = _read_holder(fd)
                # (a watch holds the project until stopped: waiting out `wait` for it only delays the answer)
                if time.monotonic() >= deadline or _live_watch(holder, role):
                    os.close(fd)
                    who = holder_words(holder, role)
                    if role == "watch":  # (it ends only when stopped: waiting for it is no plan)
                        stop = f"`kill {holder}`" if holder else "SIGTERM"
                        how = f" (it runs until stopped: {stop}, or Ctrl-C in its terminal)"
                    else:
                        how = ": wait for it to end, or stop it (an `agentmake watch` runs until stopped)"
                    raise LockedError(
                        f"{who} is using {self.root}{how}; `status`, `explain` and `-n` work meanwhile",
                        holder,
                        role,
                    ) from None
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        said = f"{os.getpid()}\n" + (f"{self.role}\n" if self.role else "")
        os.pwrite(fd, said.encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None


def held_elsewhere(path: Path) -> bool:
    """Whether another process holds the lock at `path` now. A probe that never waits and keeps nothing: a
    shared flock taken and dropped at once (an agentmake starting meanwhile just polls again)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    except OSError:  # cannot look: say what was said before this probe existed
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # (releases the shared lock)
    return False


def watch_holding(path: Path) -> int | None:
    """The pid of the live `agentmake watch` that holds the lock at `path` now, else None (free, or another
    holder). A probe that takes nothing (`held_elsewhere`)."""
    if not held_elsewhere(path):
        return None
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        holder, role = _read_holder(fd)
    finally:
        os.close(fd)
    return holder if _live_watch(holder, role) else None


def _live_watch(holder: int | None, role: str) -> bool:
    """Whether the lock's lines name a live `agentmake watch` (a watch killed by SIGKILL leaves its lines
    until the next holder writes its own)."""
    return role == "watch" and holder is not None and alive(holder)


def _read_holder(fd: int) -> tuple[int | None, str]:
    """The pid and role the holder wrote (`acquire`): (None, "") where it wrote nothing readable."""
    try:
        lines = os.pread(fd, 64, 0).decode("ascii", "replace").split("\n")
    except OSError:
        return None, ""
    pid = lines[0].strip()
    return (int(pid) if pid.isdigit() else None), (lines[1].strip() if len(lines) > 1 else "")
