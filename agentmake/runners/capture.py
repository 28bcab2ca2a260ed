"""A child's stdout/stderr pipes (`Pipes`, drained by `process.run_process`) copied into log files
(`LogFile`): a log is an ordinary file created at the stream's first byte. A stream that printed nothing
leaves no log file at all (and an older log of that name is removed, so it never passes for this attempt's).
A log can instead be given to the child as its stream (`LogFile.open_for_child`), as LLM agents' are: their
answer is then on disk the moment they print it; an empty one is removed when it is closed.

Why: most shell tasks print nothing on either stream, and each file (or even a hard link to a shared empty
one) costs a directory entry in a log directory that holds two per attempt; creating them was a measurable
share of a trivial task, and the entries of many parallel workers contend for the directory's lock.

What is kept of an attempt holds prompts and answers: logs are created owner-only (0600) whatever the umask,
in a log directory that is owner-only (0700, `private_dir`), as the rendered prompts are (`write_private`).
"""

from __future__ import annotations

import codecs
import contextlib
import io
import os
import select
from collections.abc import Iterator
from pathlib import Path

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
_CHUNK = 1 << 16
_DRAIN_CHUNKS = 64  # at most this many chunks are copied per drain once the child is gone


PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def private_dir(path: Path | str) -> None:
    """Make the directory `path` (and any missing parent) owner-only (0700); one that is there already (made
    by an older version, or under another umask) is made owner-only too, if it is ours to change. Raises
    FileExistsError when something else is there (a file), as `mkdir(exist_ok=True)` does."""
    try:
        os.makedirs(path, mode=PRIVATE_DIR)
    except FileExistsError:
        if not os.path.isdir(path):
            raise
        with contextlib.suppress(OSError):
            os.chmod(path, PRIVATE_DIR)


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path`, owner-only (0600) whatever the umask; a file there already is made so too."""
    with open(open_private(path), "w", encoding="utf-8") as fh:
        fh.write(text)


def replace_private(path: Path, text: str) -> None:
    """`write_private`, whole or not at all: written to ``<path>.part``, then renamed onto `path`: a kill -9
    meanwhile leaves `path` as it was, never created empty (a file that vouches for a paid answer: an empty
    one hid it, and the next build paid for it again)."""
    part = path.with_name(path.name + ".part")
    write_private(part, text)
    os.replace(part, path)


def open_private(path: Path | str) -> int:
    """`path` opened for writing, truncated, and owner-only (0600) whatever the umask, even a file that was
    there with another mode; its descriptor."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _create(path: str) -> int:
    """A new owner-only file at `path` opened for writing, replacing any file of that name (never writing
    into it)."""
    for _ in range(3):
        try:
            return os.open(path, _CREATE, PRIVATE_FILE)
        except FileExistsError:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        except FileNotFoundError:  # the log directory was removed meanwhile
            private_dir(os.path.dirname(path))
    return open_private(path)


class LogFile:
    """One stream's log: `write` creates the file at the first byte; `close` leaves no file if nothing was
    written. Errors writing the log never stop the draining of the pipe (the data is then dropped).
    `absent`: no file of this name is there (its log directory was made in this build, or `clear` removed
    it): `close` of a log nothing was written to has nothing to remove (two failing unlinks a task saved)."""

    __slots__ = ("absent", "broken", "direct", "fd", "path")

    def __init__(self, path: Path | str, *, absent: bool = False) -> None:
        self.path = os.fspath(path)
        self.fd: int | None = None
        self.broken = False
        self.direct = False  # the child writes into the file itself (`open_for_child`)
        self.absent = absent

    def open_for_child(self) -> int:
        """Create the file now and return its descriptor, for the child to write into directly (no pipe, no
        copy: what the child wrote is in the file even if agentmake dies the next moment). `close` then
        removes it if the child wrote nothing."""
        self.fd = _create(self.path)
        self.direct = True
        return self.fd

    def clear(self) -> None:
        """Remove an older log of this name (from an earlier run), so nobody reads it as this attempt's."""
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        except OSError:  # (not removed: `close` tries again)
            return
        self.absent = True

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
        """Finish the log (idempotent). Nothing written: no log, and no older one of this name either."""
        if self.fd is not None:
            empty = self.direct and os.fstat(self.fd).st_size == 0
            os.close(self.fd)
            if empty:
                with contextlib.suppress(OSError):
                    os.unlink(self.path)
        elif not self.broken and not self.absent:
            with contextlib.suppress(OSError):
                os.unlink(self.path)
        self.fd, self.broken = None, True  # closed: later writes and closes do nothing


class Pipes:
    """The read ends of the child's stdout/stderr pipes, each copied to its log as data arrives."""

    def __init__(self, logs: dict[int, LogFile]) -> None:
        self.logs = logs

    def read(self, fd: int, *, close: bool = True) -> bool:
        """Copy one chunk from `fd` to its log; False at end of file (the pipe is then forgotten, and closed
        unless `close` is False: then the caller closes it, e.g. after removing it from an epoll set)."""
        try:
            data = os.read(fd, _CHUNK)
        except BlockingIOError:
            return True
        except OSError:
            data = b""
        if not data:
            del self.logs[fd]
            if close:
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

    def drain_ready(self) -> None:
        """`drain` for pipes set non-blocking (`os.set_blocking(fd, False)`, as `supervise.Supervisor` sets
        them): each is read until it is empty for now or at its end (then forgotten and closed), at most
        `_DRAIN_CHUNKS` chunks, without a poll to ask first (a reading that finds nothing is the answer)."""
        for fd in list(self.logs):
            for _ in range(_DRAIN_CHUNKS):
                try:
                    data = os.read(fd, _CHUNK)
                except BlockingIOError:  # empty, and still open (e.g. held by a process that left the group)
                    break
                except OSError:
                    data = b""
                if not data:
                    del self.logs[fd]
                    os.close(fd)
                    break
                self.logs[fd].write(data)

    def close(self) -> None:
        for fd in self.logs:
            os.close(fd)
        self.logs.clear()


MESSAGE_BYTES = 1 << 20  # bytes of a log read for a message: its first and last half of this (`read_ends`)
_ELIDED = "\n…\n".encode()


def read_log(stem: Path, suffix: str, limit: int | None = None) -> str:
    """The text of an attempt's log (`suffix`: ".out" or ".err"); a log that is not there is empty. `limit`:
    a log longer than that many bytes is read only at its ends (`read_ends`), as a message needs it."""
    path = stem.with_name(stem.name + suffix)
    if limit is not None:
        return read_ends(path, limit)
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def read_ends(path: Path | str, limit: int = MESSAGE_BYTES) -> str:
    """The text of the file at `path` ("" if it cannot be read); if it is longer than `limit` bytes, only its
    first and last `limit // 2`, a line "…" between them. A failure's message takes the first line of what a
    program printed (a traceback's last), and a log may hold gigabytes: read whole, it took twice its size
    in memory, for one line."""
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size <= limit:
                data = fh.read()
            else:
                head = fh.read(limit // 2)
                fh.seek(size - limit // 2)
                data = head + _ELIDED + fh.read(limit // 2)
    except OSError:
        return ""
    return data.decode("utf-8", errors="replace")


TEXT_CHUNK = 1 << 18  # bytes of a plain-text answer copied (or looked at) at a time


def text_chunks(path: Path | str) -> Iterator[str]:
    """The text of the file at `path` (nothing if it cannot be read), a chunk at a time, decoded as
    `read_log` decodes it (UTF-8, an invalid byte replaced, line ends made "\\n"; a character or a "\\r\\n"
    split between two chunks is whole in the second): a plain-text answer may be gigabytes, and read whole
    it took several times its size in memory (the bytes, the text, the text encoded again to write it)."""
    utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
    decoder = io.IncrementalNewlineDecoder(utf8, translate=True)
    try:
        with open(path, "rb") as fh:
            while data := fh.read(TEXT_CHUNK):
                yield decoder.decode(data)
    except OSError:
        return
    yield decoder.decode(b"", final=True)


def text_blank(path: Path | str) -> bool:
    """Whether the text of the file at `path` is empty or whitespace only (`text_chunks`: read until the
    first character that is not, so an answer is seldom read past its first chunk)."""
    return all(not chunk or chunk.isspace() for chunk in text_chunks(path))


def copy_text(source: Path | str, target: Path | str) -> None:
    """Write the text of the file at `source` (`text_chunks`) to `target` in UTF-8, a chunk at a time, as
    `Path.write_text(read_log(...))` would have written it whole. Raises OSError as writing does."""
    with open(target, "w", encoding="utf-8") as fh:
        for chunk in text_chunks(source):
            fh.write(chunk)
