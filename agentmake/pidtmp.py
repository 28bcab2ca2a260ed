"""Temporary files named for the process writing them (`{name}.{pid}.{thread}.tmp`), and the leftovers of
writers killed as they wrote (kill -9: nothing else ever removes them), looked for at most once in a while
(`due`: a directory listed at each write would cost every build)."""

from __future__ import annotations

import contextlib
import os
import threading
import time

_TMP = ".tmp"
_GONE = 60  # seconds: a temporary file of a writer not alive older than this is a leftover (`left_over`)
_STALE = 6 * 3600  # seconds: one older than this is, whoever has its pid now (a write takes milliseconds)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # (a FIFO put in a marker's place: its open would wait)


def tmp_name(path: str) -> str:
    """The temporary file of this process and thread for `path` (two threads may write the same path)."""
    return f"{path}.{os.getpid()}.{threading.get_ident()}{_TMP}"


def left_over(entry: os.DirEntry[str], now: float) -> bool:
    """Whether `entry` is a temporary file (`tmp_name`, or the older `{name}.{pid}.tmp`) that its writer left:
    its pid not alive and over a minute old (in case it is alive in another pid namespace that shares the
    directory), or over `_STALE` old (its pid since reused). Never one of this process's, nor one a live
    writer may still be writing."""
    pid = _writer(entry.name)
    if pid is None or pid == os.getpid():
        return False
    try:
        age = now - entry.stat(follow_symlinks=False).st_mtime
    except OSError:
        return False
    return age > _STALE or (age > _GONE and not alive(pid))


def sweep(directory: str, prefix: str = "") -> None:
    """Remove from `directory` each temporary file a writer left (`left_over`) whose name starts with
    `prefix` (in a directory other code writes in too: only one's own)."""
    now = time.time()
    with contextlib.suppress(OSError), os.scandir(directory) as entries:
        for entry in entries:
            if entry.name.startswith(prefix) and left_over(entry, now):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def due(marker: str, every: float) -> bool:
    """Whether `every` seconds have passed since the file `marker` was last set (or it is missing, or set
    ahead of the clock); then it is set (made when missing, 0600, never through a link nor waiting on a
    FIFO put in its place) before the work it stands for is done, so that another process asking meanwhile
    is told no. False when it cannot be set (the work is not done: it would be at every call). One `stat`
    when not due."""
    try:
        if 0 <= time.time() - os.stat(marker, follow_symlinks=False).st_mtime < every:
            return False
    except FileNotFoundError:
        pass
    except OSError:
        return False
    try:
        os.close(os.open(marker, os.O_WRONLY | os.O_CREAT | _NOFOLLOW | _NONBLOCK, 0o600))
        os.utime(marker, follow_symlinks=False)
    except OSError:
        return False
    return True


def _writer(name: str) -> int | None:
    """The pid in the name of a temporary file (`x.marshal.123.456.tmp`, `x.marshal.123.tmp`), else None."""
    if not name.endswith(_TMP):
        return None
    parts = name[: -len(_TMP)].split(".")
    pid = parts[-2] if len(parts) > 2 and parts[-1].isdigit() and parts[-2].isdigit() else parts[-1]
    return int(pid) if len(parts) > 1 and pid.isascii() and pid.isdigit() else None


def alive(pid: int) -> bool:
    """Whether a process `pid` is alive (or may be: one of another user's, or a pid the system refuses)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):
        return True
    return True
