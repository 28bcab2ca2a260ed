"""A child's stdout/stderr pipes (`Pipes`, drained by `process.run_process`) copied into log files
(`LogFile`): a log with content is an ordinary file created at its first byte; an *empty* log is a hard link
to one shared empty file (``<log dir>/.agentmake-empty``) rather than a new file.

Why: most shell tasks print nothing, and creating a file costs an inode allocation, which on ext4 is by far
the dearest step of a trivial task (it scans past recently deleted inodes). A hard link costs a directory
entry only. Every log name still exists after the attempt, so "each attempt's stdout/stderr is under
.agentmake/logs/" holds; `ls -l` merely shows a large link count on empty logs.

Safety of the shared inode: a log is never opened for writing in place. Writing one starts by creating a
fresh file (``O_EXCL``; an older log of the same name, possibly a link to the shared file, is unlinked
first), so the shared file stays empty. When it reaches the filesystem's link limit (EMLINK) it is replaced
by a new one; on a filesystem without hard links each empty log is an ordinary empty file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import threading
from pathlib import Path

EMPTY_NAME = ".agentmake-empty"
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
_CHUNK = 1 << 16
_DRAIN_CHUNKS = 64  # at most this many chunks are copied per drain once the child is gone
_FULL_LINKS = 1000  # a shared file refusing another link (EMLINK) with more links than this is full
_no_links: set[str] = set()  # log directories whose filesystem refused a hard link
_lock = threading.Lock()  # serialises replacing a shared empty file


def _create(path: str) -> int:
    """A new file at `path` opened for writing, replacing any file of that name (never writing into it)."""
    for _ in range(3):
        try:
            return os.open(path, _CREATE, 0o644)
        except FileExistsError:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        except FileNotFoundError:  # the log directory was removed meanwhile
            os.makedirs(os.path.dirname(path), exist_ok=True)
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)


def _new_empty(directory: str) -> None:
    """Put a fresh shared empty file in place (atomically: links made meanwhile keep the old one)."""
    empty = os.path.join(directory, EMPTY_NAME)
    tmp = f"{empty}.{os.getpid()}.{threading.get_ident()}"
    os.close(_create(tmp))
    os.replace(tmp, empty)


def link_empty(path: str) -> None:
    """Make `path` an empty log (replacing a file of that name): a hard link to the shared empty file."""
    directory = os.path.dirname(path)
    if directory not in _no_links:
        empty = os.path.join(directory, EMPTY_NAME)
        for _ in range(4):
            try:
                os.link(empty, path)
                return
            except FileExistsError:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
            except FileNotFoundError:  # no shared file yet (or no directory)
                os.makedirs(directory, exist_ok=True)
                with _lock:
                    if not os.path.exists(empty):
                        _new_empty(directory)
            except OSError as e:
                if e.errno != errno.EMLINK:  # EPERM/ENOTSUP: no hard links here
                    _no_links.add(directory)
                    break
                with _lock, contextlib.suppress(OSError):
                    if os.stat(empty).st_nlink > _FULL_LINKS:  # still the full one: replace it
                        _new_empty(directory)
    os.close(_create(path))


class LogFile:
    """One stream's log: `write` creates the file at the first byte; `close` links an empty log if nothing
    was written. Errors writing the log never stop the draining of the pipe (the data is then dropped)."""

    __slots__ = ("broken", "fd", "path")

    def __init__(self, path: Path | str) -> None:
        self.path = os.fspath(path)
        self.fd: int | None = None
        self.broken = False

    def clear(self) -> None:
        """Remove an older log of this name (from an earlier run), so nobody reads it as this attempt's."""
        with contextlib.suppress(OSError):
            os.unlink(self.path)

    def write(self, data: bytes) -> None:
        if self.broken or not data:
            return
        try:
            if self.fd is None:
                self.fd = _create(self.path)
            view = memoryview(data)
            while view:
                view = view[os.write(self.fd, view) :]
        except OSError:
            self.broken = True

    def close(self) -> None:
        """Finish the log (idempotent)."""
        if self.fd is not None:
            os.close(self.fd)
        elif not self.broken:
            with contextlib.suppress(OSError):
                link_empty(self.path)
        self.fd, self.broken = None, True  # closed: later writes and closes do nothing


class Pipes:
    """The read ends of the child's stdout/stderr pipes, each copied to its log as data arrives."""

    def __init__(self, logs: dict[int, LogFile]) -> None:
        self.logs = logs

    def read(self, fd: int) -> bool:
        """Copy one chunk from `fd` to its log; False at end of file (the pipe is then closed)."""
        try:
            data = os.read(fd, _CHUNK)
        except BlockingIOError:
            return True
        except OSError:
            data = b""
        if not data:
            del self.logs[fd]
            os.close(fd)
            return False
        self.logs[fd].write(data)
        return True

    def drain(self) -> None:
        """Copy what the pipes hold now, without waiting for more (a process that left the group may keep
        a pipe open forever): at most a bounded number of chunks per call."""
        if not self.logs:
            return
        poller = select.poll()
        for fd in self.logs:
            poller.register(fd, select.POLLIN)
        for _ in range(_DRAIN_CHUNKS):
            ready = poller.poll(0)
            if not ready:
                return
            for fd, _events in ready:
                if fd in self.logs and not self.read(fd):
                    poller.unregister(fd)
            if not self.logs:
                return

    def close(self) -> None:
        for fd in self.logs:
            os.close(fd)
        self.logs.clear()
