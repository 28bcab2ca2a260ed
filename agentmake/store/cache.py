"""The result cache: content-addressed blobs plus `cache` rows naming, per key, which blob each output is.

Blobs are stored once per content (``blobs/ab/cdef…``, the xxh3-128 hex digest split after two characters)
and written atomically (temporary file + `os.replace`), always before the row that names them. Restoring
writes each output atomically beside its target. Trimming drops least-recently-used rows until the rows'
sizes fit a limit, then deletes the blobs no remaining row names (a blob shared by two rows counts in both
sizes: trimming errs on the side of freeing more).
"""

from __future__ import annotations

import contextlib
import json
import os
import posixpath
import re
import shutil
import sqlite3
import threading
import time
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

import xxhash

from agentmake.errors import UsageError

_DRIVE = re.compile(r"^[A-Za-z]:")  # a Windows drive letter: absolute too
_SMALL = 1 << 20  # files up to this size are hashed and written to the cache from one read
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC


class BlobCache:
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

    def blob_path(self, digest: str) -> Path:
        return self.blobs / digest[:2] / digest[2:]

    def put_blob(self, digest: str, source: Path | str) -> int:
        """Copy `source` (whose content hash is `digest`) into the blob store; returns its size.
        Safe from any thread (the database is not touched)."""
        size = self._have.get(digest)
        if size is not None:  # stored (or found) by this process already: no stat
            return size
        dest = self._dest(digest)
        try:
            size = self._have[digest] = os.stat(dest).st_size
            return size
        except FileNotFoundError:
            pass
        tmp = self._tmp(dest)
        try:
            shutil.copyfile(source, tmp)
        except FileNotFoundError:
            if not os.path.exists(source):
                raise
            os.makedirs(os.path.dirname(dest), exist_ok=True)  # the cache was emptied meanwhile
            shutil.copyfile(source, tmp)
        os.replace(tmp, dest)
        size = self._have[digest] = os.stat(dest).st_size
        return size

    def hash_and_put(self, source: Path | str) -> tuple[str, bool]:
        """(xxh3-128 digest of `source`, whether its blob is stored): one read of the file both hashes it
        and, for a small file, writes the blob from memory (a larger one is copied after hashing). Raises
        OSError only when `source` cannot be read; a blob that cannot be written is left to a later
        `put_blob` (the cache is best-effort). Thread-safe."""
        hasher = xxhash.xxh3_128()
        with open(source, "rb", buffering=0) as fh:
            data = fh.read(_SMALL)
            hasher.update(data)
            size, small = len(data), len(data) < _SMALL
            while not small and (chunk := fh.read(_SMALL)):
                hasher.update(chunk)
                size += len(chunk)
        digest = hasher.hexdigest()
        if digest in self._have:
            return digest, True
        try:
            if small:
                self._write_blob(digest, data)
            else:
                self.put_blob(digest, source)
        except OSError:
            return digest, False
        return digest, True

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

    def add(
        self,
        key: str,
        outputs: Mapping[str, str],
        sources: Mapping[str, Path],
        *,
        size: int | None = None,
        outputs_json: str | None = None,
    ) -> None:
        """Store blobs for `sources` (path -> file), then (in the caller's transaction) the row for `key`.
        `size`: the blobs' total size when the caller already knows it (every blob already stored).
        `outputs_json`: ``json.dumps(dict(outputs), sort_keys=True)`` when the caller has it already."""
        if size is None:
            size = 0
            for path, digest in outputs.items():
                src = sources.get(path)
                if src is not None:
                    size += self.put_blob(digest, src)
                elif self.blob_path(digest).exists():
                    size += self.blob_path(digest).stat().st_size
        now = time.time()
        self._conn.execute(
            "INSERT OR REPLACE INTO cache (key, outputs, size, created_at, last_used) VALUES (?, ?, ?, ?, ?)",
            (key, outputs_json or json.dumps(dict(outputs), sort_keys=True), size, now, now),
        )

    def lookup(self, key: str) -> dict[str, str] | None:
        with self._lock:
            row = self._conn.execute("SELECT outputs FROM cache WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        outputs: dict[str, str] = json.loads(row[0])
        if not all(self.blob_path(d).is_file() for d in outputs.values()):
            return None
        return outputs

    def restore(self, key: str, root: Path) -> dict[str, str]:
        outputs = self.lookup(key)
        if outputs is None:
            raise KeyError(f"no complete cache entry for key {key}")
        base = root.resolve()
        targets = {path: _inside(base, path) for path in outputs}
        for path, digest in outputs.items():
            target = targets[path]
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.agentmake-tmp-restore-{os.getpid()}")
            try:
                shutil.copyfile(self.blob_path(digest), tmp)
                os.replace(tmp, target)
            finally:
                tmp.unlink(missing_ok=True)
        with self._lock:
            self._conn.execute("UPDATE cache SET last_used = ? WHERE key = ?", (time.time(), key))
        return dict(outputs)

    def clear(self) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM cache")
        shutil.rmtree(self.blobs, ignore_errors=True)
        self._dirs.clear()
        self._have.clear()

    def trim(self, limit_bytes: int) -> int:
        """Drop least-recently-used entries until the total fits `limit_bytes`; returns blob bytes deleted."""
        with self._lock:
            (total,) = self._conn.execute("SELECT COALESCE(SUM(size), 0) FROM cache").fetchone()
            if total <= limit_bytes:
                return 0  # nothing to drop (blobs no row names, left by a crash, wait for a trim that drops)
            rows = self._conn.execute("SELECT key, size FROM cache ORDER BY last_used DESC, key").fetchall()
            total = sum(size for _, size in rows)
            doomed: list[str] = []
            while rows and total > limit_bytes:
                key, size = rows.pop()
                doomed.append(key)
                total -= size
            if doomed:
                self._conn.execute("BEGIN")
                self._conn.executemany("DELETE FROM cache WHERE key = ?", [(k,) for k in doomed])
                self._conn.execute("COMMIT")
            live: set[str] = set()
            for (outputs,) in self._conn.execute("SELECT outputs FROM cache"):
                live.update(json.loads(outputs).values())
        return self._sweep(live)

    def _sweep(self, live: set[str]) -> int:
        freed = 0
        if not self.blobs.is_dir():
            return 0
        for sub in self.blobs.iterdir():
            if not sub.is_dir():
                continue
            for blob in sub.iterdir():
                if blob.name.startswith("."):
                    continue
                if sub.name + blob.name not in live:
                    self._have.pop(sub.name + blob.name, None)
                    freed += blob.stat().st_size
                    blob.unlink(missing_ok=True)
        return freed


def _inside(base: Path, path: str) -> Path:
    """`base / path` if `path` names a file inside the project, judged lexically (the rule the graph applies
    to declared outputs): symlinks are not resolved, so an output directory that is a symlink to elsewhere
    (e.g. `build -> /scratch/...`) restores like any other."""
    norm = posixpath.normpath(path)
    pure = PurePosixPath(norm)
    if not path or pure.is_absolute() or norm in (".", "") or ".." in pure.parts or _DRIVE.match(norm):
        raise UsageError(f"cached output {path!r} is outside the project {base}")
    return base / norm
