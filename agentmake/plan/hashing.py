"""Content hashing with a stat cache: a file is read only when its stat says it may have changed.

Digests are xxh3-128, 32 hex characters. The stat cache (`FileRecord`: size, mtime_ns, inode, hash,
recorded_ns) is loaded from the store once. A file whose size, mtime and inode match its record is trusted
without reading it, unless the record is *racily clean* (`plan.racy`, git's rule: the file's mtime is within
the filesystem's timestamp tick of the moment the record was made, so a later write in the same tick could
have changed the content without changing the stat), and then the file is hashed again. Re-hashing refreshes
the record with a new `recorded_ns`, so a file is re-read at most once after it settles.

A path whose content this process finds other than a digest it gave out before (`raced`: saved, or deleted,
during the build, by anything but agentmake) means the build's tasks were decided on different contents of one
file: the build stamp must not vouch for it (`plan.stampwrite`).

The executable bits of the files it stats are kept too (`executable`, `xbits`): a chmod changes no stat the
cache compares, and every file is stat'ed each time anyway. Files larger than `CHUNK` are hashed streaming.
`file_hashes` hashes many large misses on a thread pool (reads and xxhash release the GIL). `flush` writes
only new or changed records, in one transaction. Thread-safe.
"""

from __future__ import annotations

import errno
import os
import stat
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import xxhash

from agentmake.plan.racy import racily_clean, racy_margin
from agentmake.store.records import FileRecord

if TYPE_CHECKING:
    from agentmake.store import Store

__all__ = ["CHUNK", "Hasher", "Seen", "hash_bytes", "hash_path", "racy_margin"]

Seen = tuple[int, int, int, str, int]  # what the Hasher saw of a file: size, mtime_ns, inode, hash, read_ns

CHUNK = 1 << 20
_POOL_THRESHOLD = 4
# bytes to read before a pool pays: starting its threads (and importing concurrent.futures, which loads
# logging) costs milliseconds, a fan-in of small files is read in far less
_POOL_BYTES = 1 << 22
_local = threading.local()


def hash_bytes(data: bytes) -> str:
    return xxhash.xxh3_128_hexdigest(data)


def hash_path(path: Path | str) -> str:
    """Digest of a file's content, read in `CHUNK`s into a reused per-thread buffer (raises OSError). Only a
    regular file (or a link to one) is read: a FIFO would block the open forever and `/dev/zero` would be
    read forever, so either raises OSError (EINVAL) instead."""
    buf = getattr(_local, "buf", None)
    if buf is None:
        buf = _local.buf = bytearray(CHUNK)
    view = memoryview(buf)
    digest = xxhash.xxh3_128()
    fd = os.open(path, _READ_FLAGS)  # (non-blocking: opening a FIFO with no writer returns at once)
    if not _READV:  # (no readv here: read through a file object)
        with open(fd, "rb", buffering=0) as fh:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise OSError(errno.EINVAL, f"not a regular file: {os.fspath(path)}")
            while n := fh.readinto(buf):
                digest.update(view[:n])
        return digest.hexdigest()
    try:  # (the descriptor read as it is: a file object costs an object, and a second fstat, a file)
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, f"not a regular file: {os.fspath(path)}")
        while n := os.readv(fd, (buf,)):  # (into the buffer; retried after a signal, as `readinto` is)
            digest.update(view[:n])
    finally:
        os.close(fd)
    return digest.hexdigest()


_READV = hasattr(os, "readv")


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


class Hasher:
    """xxh3-128 hex digests of project files, re-hashing only files whose stat changed (racily-clean aware).

    Counters (for tests and `-v`): `files_read` (files whose content was hashed), `bytes_read`, `stat_hits`
    (files answered from the stat cache). `raced`: paths whose digest (None: missing) changed during this
    process other than by agentmake writing them (`note_written`)."""

    def __init__(self, root: Path, store: Store | None) -> None:
        self.root = Path(root)
        self._base = os.fspath(self.root) + os.sep  # joined by concatenation: the hot path stats every file
        self.store = store
        # path -> (size, mtime_ns, inode, hash, recorded_ns): plain tuples, cheap to load by the ten thousand
        self._records: dict[str, tuple[int, int, int, str, int]] = {}
        if store is not None:
            rows = getattr(store, "file_rows", None)
            if rows is not None:
                self._records = rows()
            else:
                self._records = {p: _row(r) for p, r in store.file_records().items()}
        self._dirty: dict[str, FileRecord] = {}
        self._gone: set[str] = set()
        # path -> the digest first given out for it (or last written by agentmake): a later answer that
        # differs means the file changed under the build (`raced`)
        self._served: dict[str, str | None] = {}
        # path -> the executable bits (mode & 0o111) of a file this process stat'ed that has any: part of a
        # shell agent's key (`executable`), and of the build stamp's entry for it
        self._xbits: dict[str, int] = {}
        self.raced: set[str] = set()
        self._lock = threading.Lock()
        self.files_read = 0
        self.bytes_read = 0
        self.stat_hits = 0

    def file_hash(self, path: str) -> str | None:
        """Hash of a project-relative file, None if it does not exist (or is not a regular file)."""
        st = self._stat(path)
        if st is None:
            return self._serve(path, None)
        cached = self._cached(path, st)
        return self._serve(path, cached if cached is not None else self._hash(path, st))

    def file_hashes(self, paths: Iterable[str]) -> dict[str, str | None]:
        result: dict[str, str | None] = {}
        misses: list[tuple[str, os.stat_result]] = []
        for path in paths:
            st = self._stat(path)
            if st is None:
                result[path] = None
                continue
            cached = self._cached(path, st)
            if cached is None:
                misses.append((path, st))
            result[path] = cached
        if len(misses) > _POOL_THRESHOLD and sum(st.st_size for _, st in misses) >= _POOL_BYTES:
            from concurrent.futures import ThreadPoolExecutor  # only when many files need reading

            with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 2)) as pool:
                for (path, _), digest in zip(misses, pool.map(lambda m: self._hash(*m), misses), strict=True):
                    result[path] = digest
        else:
            for path, st in misses:
                result[path] = self._hash(path, st)
        serve = self._serve
        for path, digest in result.items():
            serve(path, digest)
        return result

    def _serve(self, path: str, digest: str | None) -> str | None:
        """`digest` given out for `path`: noted in `raced` if it differs from the one given out before.
        (Dict and set operations the GIL makes atomic: the hot path takes no lock.)"""
        if self._served.setdefault(path, digest) != digest:
            self.raced.add(path)
            self._served[path] = digest
        return digest

    def note_written(self, path: str, digest: str, read_ns: int | None = None) -> None:
        """agentmake just wrote `path` with content hash `digest` (no need to re-read it). `read_ns`: a wall
        clock time (ns) no later than the moment `digest` was read (an attempt's end, before its outputs
        were hashed: `workers.run_attempt`), recorded as the record's read time: the stat taken here, after
        the rename, pairs with that digest only if nothing wrote the file since it was read, and a write
        since (a process the task left running, an editor) makes it racily clean, so the next look reads
        it again rather than trust a content never hashed. None: now (agentmake wrote it just before)."""
        self._served[path] = digest  # (what its readers see from now on: no race)
        st = self._stat(path)
        if st is not None:
            self._remember(path, st, digest, read_ns)

    def executable(self, paths: Iterable[str]) -> list[str]:
        """Those of `paths` (hashed by this process) that are executable (any of the mode's x bits), sorted:
        `chmod +x` changes no content, but what a command can do with the file (run it, copy it with its
        mode)."""
        xbits = self._xbits
        return sorted(p for p in paths if p in xbits)

    def xbits(self, paths: Iterable[str]) -> list[int]:
        """The executable bits of each of `paths` as this process last saw them (0: none, or not seen)."""
        get = self._xbits.get
        return [get(p, 0) for p in paths]

    def seen(self, paths: Iterable[str]) -> list[Seen | None]:
        """What is known of each of `paths`: (size, mtime_ns, inode, hash, recorded_ns), for a file looked at
        in this process the stat its hash was answered for; None where unknown (or last found missing)."""
        with self._lock:
            gone, get = self._gone, self._records.get
            return [None if p in gone else get(p) for p in paths]

    def records(self, paths: Iterable[str]) -> list[Seen] | None:
        """`seen(paths)`, or None if any of them is unknown."""
        found = self.seen(paths)
        return None if any(r is None for r in found) else found  # type: ignore[return-value]

    def changed(self, paths: Iterable[str], seen: Iterable[Seen | None]) -> Iterator[str]:
        """Each of `paths` whose content may no longer be what `seen` (from `seen(paths)`) says: it is gone,
        its stat differs, or it was racily clean then and its content differs now (re-read); one seen as
        None (absent) that exists now."""
        for path, rec in zip(paths, seen, strict=True):
            try:
                st = os.stat(self._base + path)
                if rec is None:
                    yield path
                    continue
                size, mtime_ns, inode, digest, read_ns = rec
                if (st.st_size, st.st_mtime_ns, st.st_ino) != (size, mtime_ns, inode) or (
                    racily_clean(mtime_ns, read_ns) and hash_path(self._base + path) != digest
                ):
                    yield path
            except OSError:
                if rec is not None:
                    yield path

    def moved(self, paths: Iterable[str], seen: list[Seen]) -> str | None:
        """The first of `paths` that `changed` since `seen` (from `records(paths)`); None: none moved."""
        return next(self.changed(paths, seen), None)

    def forget(self, path: str) -> None:
        """Drop what is known about `path` (e.g. watch saw it change)."""
        with self._lock:
            self._records.pop(path, None)
            self._dirty.pop(path, None)

    def flush(self) -> None:
        """Persist new stat records (and forget records of files that vanished) in one transaction each."""
        with self._lock:
            dirty, self._dirty = list(self._dirty.values()), {}
            gone, self._gone = list(self._gone), set()
        if self.store is None:
            return
        if dirty:
            self.store.save_file_records(dirty)
        if gone:
            self.store.delete_file_records(gone)

    def _stat(self, path: str) -> os.stat_result | None:
        try:
            st = os.stat(self._base + path)
        except (FileNotFoundError, NotADirectoryError):
            if path in self._records:
                with self._lock:
                    self._gone.add(path)
            return None
        if not _is_regular(st):
            return None
        if st.st_mode & 0o111:
            self._xbits[path] = st.st_mode & 0o111
        elif path in self._xbits:
            self._xbits.pop(path, None)
        return st

    def _cached(self, path: str, st: os.stat_result) -> str | None:
        rec = self._records.get(path)
        if (
            rec is None
            or rec[0] != st.st_size
            or rec[1] != st.st_mtime_ns
            or rec[2] != st.st_ino
            or racily_clean(rec[1], rec[4])
        ):
            return None
        self.stat_hits += 1
        return rec[3]

    def _hash(self, path: str, st: os.stat_result) -> str | None:
        now = time.time_ns()
        try:
            digest = hash_path(self._base + path)
        except FileNotFoundError:
            return None
        with self._lock:
            self.files_read += 1
            self.bytes_read += st.st_size
        self._remember(path, st, digest, now)
        return digest

    def _remember(self, path: str, st: os.stat_result, digest: str, now: int | None = None) -> None:
        row = (st.st_size, st.st_mtime_ns, st.st_ino, digest, now or time.time_ns())
        with self._lock:
            if self._records.get(path) != row:
                self._records[path] = row
                self._dirty[path] = FileRecord(path, *row)
            self._gone.discard(path)


def _row(r: FileRecord) -> tuple[int, int, int, str, int]:
    return (r.size, r.mtime_ns, r.inode, r.hash, r.recorded_ns)


def _is_regular(st: os.stat_result) -> bool:
    return (st.st_mode & 0o170000) == 0o100000
