"""The blob store under the result cache: content stored once per content, named by its xxh3-128 hex
digest, written and read here; `agentmake.store.cache` names, per key, which blob each output is. Where a
blob lives depends on its size:

- **Packed** (up to `PACK_LIMIT`, most agent answers): a row of the `blobs` table in the state database,
  inserted in the same transaction as the cache row that first names it. A small file costs no inode: on
  ext4 creating a file is by far the dearest step of a trivial task, and SQLite reads and writes blobs this
  small faster than the filesystem does.
- **Files** (larger): ``blobs/ab/cdef…`` (the digest split after two characters), written atomically
  (temporary file + `os.replace`) before the row that names them.

Worker threads never touch the database: they read a small output once (`hash_and_put`), and its bytes wait
in memory until the scheduler thread records the task (`BlobCache.add`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import threading
from pathlib import Path

import xxhash

_SMALL = 1 << 20  # files up to this size are hashed and written to the cache from one read
PACK_LIMIT = 1 << 17  # blobs up to this size are rows of the `blobs` table (packed), larger ones files
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
_READ = os.O_RDONLY | os.O_CLOEXEC
_MODES_KEPT = 4096  # `hashed_mode` entries kept at most (one a file hashed and not yet recorded)


class Blobs:
    """The blobs under `directory` / "blobs" and in the `blobs` table of `conn` (guarded by `lock`)."""

    def __init__(self, directory: Path, conn: sqlite3.Connection, lock: threading.RLock) -> None:
        self.dir = directory
        self.blobs = directory / "blobs"
        self._conn = conn
        self._lock = lock
        self._blobs = os.fspath(self.blobs)
        self._dirs: set[str] = set()  # blob directories known to exist
        # digest -> size of blobs this process wrote or found: `put_blob` of a known one costs no syscall.
        # Only `clear` and `trim` delete blobs (under the project lock); both forget what they delete.
        self._have: dict[str, int] = {}
        # packed blobs read but not yet committed (digest -> content), and those the open transaction inserted
        self._pending: dict[str, bytes] = {}
        self._inserted: list[str] = []
        # path -> permission bits from the fstat of its `hash_and_put`, taken by `hashed_mode` (no stat again)
        self._modes: dict[str, int] = {}

    def blob_path(self, digest: str) -> Path:
        return self.blobs / digest[:2] / digest[2:]

    def put_blob(self, digest: str, source: Path | str) -> int:
        """Store `source` (whose content hash is `digest`); returns its size. A large file is copied into a
        blob file; a small one is read and held until `add` inserts it with the row that names it. Safe from
        any thread (the database is not touched)."""
        size = self._have.get(digest)
        if size is not None:  # stored (or found) by this process already: no stat
            return size
        data = self._pending.get(digest)
        if data is not None:
            return len(data)
        with open(source, "rb", buffering=0) as fh:  # a large file is not read here: it is copied below
            small = os.fstat(fh.fileno()).st_size <= PACK_LIMIT
            data = fh.read(PACK_LIMIT + 1) if small else b""
        if small and len(data) <= PACK_LIMIT:  # (one that grew past the limit meanwhile is copied too)
            self._pending[digest] = data
            return len(data)
        dest = self._dest(digest)
        try:
            size = self._have[digest] = os.stat(dest).st_size
            return size
        except FileNotFoundError:
            pass
        tmp = self._tmp(dest)
        try:
            try:
                shutil.copyfile(source, tmp)
            except FileNotFoundError:
                if not os.path.exists(source):
                    raise
                os.makedirs(os.path.dirname(dest), exist_ok=True)  # the cache was emptied meanwhile
                shutil.copyfile(source, tmp)
            os.replace(tmp, dest)
        except BaseException:  # (e.g. a full disk: a half copy, named after this process, no sweep removes)
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        size = self._have[digest] = os.stat(dest).st_size
        return size

    def hash_and_put(self, source: Path | str) -> tuple[str, bool]:
        """(xxh3-128 digest of `source`, whether its blob is stored): one read of the file both hashes it
        and, for a small file, writes the blob from memory (a larger one is copied after hashing). Raises
        OSError only when `source` cannot be read; a blob that cannot be written is left to a later
        `put_blob` (the cache is best-effort). Thread-safe."""
        hasher = xxhash.xxh3_128()
        fd = os.open(source, _READ)  # (read as a descriptor: a file object costs an object and an fstat)
        try:
            # ask for what the file holds (plus one byte, to see its end): a read of `_SMALL` would allocate
            # (mmap) a megabyte for every output, however small
            stat = os.fstat(fd)
            want = min(stat.st_size + 1, _SMALL)
            data = os.read(fd, want)
            hasher.update(data)
            size, small = len(data), len(data) < want
            while not small and (chunk := os.read(fd, _SMALL)):
                hasher.update(chunk)
                size += len(chunk)
        finally:
            os.close(fd)
        if len(self._modes) >= _MODES_KEPT:  # (files hashed and never recorded: a failed build, a watch)
            self._modes.clear()
        self._modes[os.fspath(source)] = stat.st_mode & 0o7777
        digest = hasher.hexdigest()
        if digest in self._have or digest in self._pending:
            return digest, True
        if small and size <= PACK_LIMIT:  # inserted by `add`, with the row that names it
            self._pending[digest] = data
            return digest, True
        try:
            if small:
                self._write_blob(digest, data)
            else:
                self.put_blob(digest, source)
        except OSError:
            return digest, False
        return digest, True

    def hashed_mode(self, source: Path | str) -> int:
        """The permission bits of `source` (0 if it is gone): as the fstat of its `hash_and_put` saw them,
        once, without a stat of its own (a recorded task's outputs were hashed just before); else a stat."""
        mode = self._modes.pop(os.fspath(source), None)
        if mode is not None:
            return mode
        try:
            return os.stat(source).st_mode & 0o7777
        except OSError:
            return 0

    def _write_blob(self, digest: str, data: bytes) -> None:
        dest = self._dest(digest)
        try:
            self._have[digest] = os.stat(dest).st_size
            return
        except FileNotFoundError:
            pass
        tmp = self._tmp(dest)
        try:
            fd = os.open(tmp, _CREATE, 0o644)
        except FileNotFoundError:  # the cache was emptied meanwhile
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            fd = os.open(tmp, _CREATE, 0o644)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
            finally:
                os.close(fd)
            os.replace(tmp, dest)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        self._have[digest] = len(data)

    def _dest(self, digest: str) -> str:
        """The blob's path, creating its directory once per process (not once per blob)."""
        sub = digest[:2]
        directory = os.path.join(self._blobs, sub)
        if sub not in self._dirs:
            os.makedirs(directory, exist_ok=True)
            self._dirs.add(sub)
        return os.path.join(directory, digest[2:])

    @staticmethod
    def _tmp(dest: str) -> str:
        head, name = os.path.split(dest)
        return os.path.join(head, f".{name}.agentmake-tmp-{os.getpid()}-{threading.get_ident()}")

    def committed(self) -> None:
        """The transaction that `add` wrote into is committed: its packed blobs leave memory."""
        for digest in self._inserted:
            data = self._pending.pop(digest, None)
            if data is not None:
                self._have[digest] = len(data)
        self._inserted.clear()

    def rolled_back(self) -> None:
        """The transaction was rolled back: its packed blobs stay in memory for the next row naming them."""
        self._inserted.clear()

    def _stored_size(self, digest: str) -> int:
        size = self._have.get(digest)
        if size is not None:
            return size
        if (data := self._pending.get(digest)) is not None:
            return len(data)
        with self._lock, contextlib.suppress(sqlite3.OperationalError):
            row = self._conn.execute("SELECT length(data) FROM blobs WHERE digest = ?", (digest,)).fetchone()
            if row is not None:
                return int(row[0])
        return self._file_size(digest)

    def _file_size(self, digest: str) -> int:
        """The size of blob file `digest`, 0 if there is none."""
        try:
            return os.stat(self.blob_path(digest)).st_size
        except OSError:
            return 0

    def _packed(self, digests: set[str]) -> set[str]:
        """Which of `digests` are rows of the `blobs` table (the caller holds the lock)."""
        found: set[str] = set()
        names = sorted(digests)
        with contextlib.suppress(sqlite3.OperationalError):  # an old read-only database without the table
            for i in range(0, len(names), 500):
                chunk = names[i : i + 500]
                marks = ", ".join("?" * len(chunk))
                sql = f"SELECT digest FROM blobs WHERE digest IN ({marks})"
                found.update(d for (d,) in self._conn.execute(sql, chunk))
        return found

    def _packed_data(self, digest: str) -> bytes | None:
        """A packed blob's content, None if it is not a row (or the table is missing)."""
        with self._lock, contextlib.suppress(sqlite3.OperationalError):
            row = self._conn.execute("SELECT data FROM blobs WHERE digest = ?", (digest,)).fetchone()
            if row is not None:
                return bytes(row[0])
        return None

    def holds(self, digest: str) -> bool:
        """Whether blob `digest` is stored (packed or a file): content agentmake made and kept."""
        if digest in self._have or digest in self._pending:
            return True
        with self._lock:
            if self._packed({digest}):
                return True
        return os.path.exists(self.blob_path(digest))

    def read(self, digest: str) -> bytes | None:
        """A stored blob's content (packed or a file), None if it is not stored."""
        data = self._packed_data(digest)
        if data is not None:
            return data
        try:
            return self.blob_path(digest).read_bytes()
        except OSError:
            return None
