"""The result cache: `cache` rows naming, per key, which blob each output is (the blobs themselves:
`agentmake.store.blobs`).

A cache row is committed only when every blob it names is stored. Restoring checks each blob against its
digest as it writes it beside its target, then puts them all in place (a damaged blob is dropped, and the
caller runs the task), with the mode recorded for an executable output. Trimming drops least-recently-used
rows, never those of the results in place, until the blobs the remaining rows name fit a limit (a blob
shared by several rows counts once), then deletes the blobs no remaining row names.
"""

from __future__ import annotations

import contextlib
import json
import os
import posixpath
import re
import shutil
import sqlite3
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import xxhash

from agentmake.confine import check_inside
from agentmake.errors import UsageError
from agentmake.store.blobs import _SMALL, Blobs
from agentmake.store.busy import StateBusy

_DRIVE = re.compile(r"^[A-Za-z]:")  # a Windows drive letter: absolute too


class BlobCache(Blobs):
    """The entries of the result cache, over the blobs they name."""

    def add(
        self,
        key: str,
        outputs: Mapping[str, str],
        sources: Mapping[str, Path],
        *,
        size: int | None = None,
        outputs_json: str | None = None,
        modes: Mapping[str, int] | None = None,
        made: Mapping[str, object] | None = None,
    ) -> None:
        """Store blobs for `sources` (path -> file), then (in the caller's transaction) the packed blobs the
        row names and the row for `key`. `size`: the blobs' total size when the caller already knows it
        (every blob already stored or read). `outputs_json`: ``json.dumps(dict(outputs), sort_keys=True)``
        when the caller has it already. `modes`: the file modes of outputs that are not plain files
        (executable), given back on restore. `made`: what making the result took and cost (`made`, read
        back when it is restored). The caller reports the transaction's end (`committed`,
        `rolled_back`)."""
        if size is None:
            size = 0
            for path, digest in outputs.items():
                src = sources.get(path)
                size += self.put_blob(digest, src) if src is not None else self._stored_size(digest)
        for digest in set(outputs.values()):
            data = self._pending.get(digest)
            if data is not None:
                self._conn.execute("INSERT OR IGNORE INTO blobs (digest, data) VALUES (?, ?)", (digest, data))
                self._inserted.append(digest)
        now = time.time()
        row = (key, outputs_json or json.dumps(dict(outputs), sort_keys=True), size, now, now)
        modes_json = json.dumps(dict(modes), sort_keys=True) if modes else None
        made_json = json.dumps(dict(made)) if made else None
        try:  # (one statement: the row with its modes and figures)
            self._conn.execute(
                "INSERT OR REPLACE INTO cache (key, outputs, size, created_at, last_used, modes, made)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (*row, modes_json, made_json),
            )
            return
        except sqlite3.OperationalError as exc:  # (an older database opened busy, without those columns)
            if "no column" not in str(exc):
                raise
        self._conn.execute(
            "INSERT OR REPLACE INTO cache (key, outputs, size, created_at, last_used) VALUES (?, ?, ?, ?, ?)",
            row,
        )
        if modes_json is not None:
            with contextlib.suppress(sqlite3.OperationalError):  # (no `modes` column: the mode is not kept)
                self._conn.execute("UPDATE cache SET modes = ? WHERE key = ?", (modes_json, key))
        if made_json is not None:
            with contextlib.suppress(sqlite3.OperationalError):  # (no `made` column: figures not kept)
                self._conn.execute("UPDATE cache SET made = ? WHERE key = ?", (made_json, key))

    def made(self, key: str) -> dict[str, Any] | None:
        """What making entry `key`'s result took and cost (`add`'s `made`), None if not known (no entry, an
        entry older than the column, or a database without it)."""
        with self._lock:
            try:
                row = self._conn.execute("SELECT made FROM cache WHERE key = ?", (key,)).fetchone()
            except sqlite3.OperationalError:
                return None
        if row is None or not row[0]:
            return None
        try:
            figures = json.loads(row[0])
        except ValueError:
            return None
        return figures if isinstance(figures, dict) else None

    def made_at(self, path: str, digest: str) -> bool:
        """Whether an entry holds content `digest` as output `path`: a result agentmake made there, under some
        key (one scan of the entries, in SQL)."""
        sql = "SELECT 1 FROM cache, json_each(cache.outputs) AS o WHERE o.key = ? AND o.value = ? LIMIT 1"
        with self._lock:
            return self._conn.execute(sql, (path, digest)).fetchone() is not None

    def _entry(self, key: str) -> tuple[dict[str, str], dict[str, int]] | None:
        """Entry `key`'s outputs (path -> digest) and the modes recorded with it (executable outputs), if
        every blob it names is stored."""
        with self._lock:
            try:
                row = self._conn.execute("SELECT outputs, modes FROM cache WHERE key = ?", (key,)).fetchone()
            except sqlite3.OperationalError:  # an older database, read only: no `modes` column
                row = self._conn.execute("SELECT outputs, NULL FROM cache WHERE key = ?", (key,)).fetchone()
            if row is None:
                return None
            outputs: dict[str, str] = json.loads(row[0])
            packed = self._packed(set(outputs.values()))
        if not all(d in packed or self.blob_path(d).is_file() for d in outputs.values()):
            return None
        modes = {path: int(mode) for path, mode in json.loads(row[1]).items()} if row[1] else {}
        return outputs, modes

    def modes(self, key: str) -> dict[str, int]:
        """The modes recorded with entry `key` (its executable outputs: path -> mode); {} for none."""
        with self._lock:
            try:
                row = self._conn.execute("SELECT modes FROM cache WHERE key = ?", (key,)).fetchone()
            except sqlite3.OperationalError:  # an older database, read only: no `modes` column
                return {}
        return {path: int(mode) for path, mode in json.loads(row[0]).items()} if row and row[0] else {}

    def lookup(self, key: str) -> dict[str, str] | None:
        entry = self._entry(key)
        return None if entry is None else entry[0]

    def restore(self, key: str, root: Path, moved: Mapping[str, str] | None = None) -> dict[str, str]:
        """Write the outputs of entry `key` in place; returns path -> digest. Every blob is checked against
        its digest as it is copied, and nothing is put in place unless all are whole: a damaged blob (a
        truncated file, a bad disk) is dropped with the entries naming it, and KeyError is raised (the
        caller runs the task instead). The files are written with the mode the outputs had when stored.
        `moved`: an output's path -> the path it is written at instead (and returned as)."""
        entry = self._entry(key)
        if entry is None:
            raise KeyError(f"no complete cache entry for key {key}")
        outputs, modes = entry
        if moved:
            outputs = {moved.get(p, p): d for p, d in outputs.items()}
            modes = {moved.get(p, p): m for p, m in modes.items()}
        base = root.resolve()
        targets = {path: _inside(base, path) for path in outputs}
        staged: dict[Path, Path] = {}
        try:
            for path, digest in outputs.items():
                target = targets[path]
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = target.with_name(f".{target.name}.agentmake-tmp-restore-{os.getpid()}")
                staged[tmp] = target
                if not self._copy_verified(digest, tmp, modes.get(path)):
                    self._drop_damaged(digest)
                    raise KeyError(f"cached blob {digest} of {path} is damaged: dropped")
            for tmp, target in staged.items():
                os.replace(tmp, target)
        finally:
            for tmp in staged:
                tmp.unlink(missing_ok=True)
        with self._lock, contextlib.suppress(StateBusy):  # (use for LRU: not worth failing the restore)
            self._conn.execute("UPDATE cache SET last_used = ? WHERE key = ?", (time.time(), key))
        return dict(outputs)

    def _copy_verified(self, digest: str, tmp: Path, mode: int | None) -> bool:
        """Write blob `digest` to `tmp`, with file mode `mode` (None: a new file's, after the umask); False if
        its content does not hash to `digest`."""
        hasher = xxhash.xxh3_128()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
        with open(fd, "wb") as out:
            if mode is not None:
                os.fchmod(fd, mode)  # (e.g. an executable output stays executable)
            data = self._packed_data(digest)
            if data is not None:
                hasher.update(data)
                out.write(data)
            else:
                with open(self.blob_path(digest), "rb") as blob:
                    while chunk := blob.read(_SMALL):
                        hasher.update(chunk)
                        out.write(chunk)
        return hasher.hexdigest() == digest

    def _drop_damaged(self, digest: str) -> None:
        """Forget blob `digest` and every entry naming it (its content is not what its name says)."""
        with self._lock:
            self._conn.execute("DELETE FROM cache WHERE outputs LIKE ?", (f'%"{digest}"%',))
            with contextlib.suppress(sqlite3.OperationalError):
                self._conn.execute("DELETE FROM blobs WHERE digest = ?", (digest,))
        self.blob_path(digest).unlink(missing_ok=True)
        self._have.pop(digest, None)

    def results(self) -> int:
        """How many results it holds: its entries, one filed under two keys (`Results.cache_alias`: a key an
        older agentmake gave it, a copy of the row, made at the same time) counted once. Two entries with the
        same outputs made apart (an agent that wrote the same bytes for an input changed since) are two:
        a build would restore either."""
        with self._lock:
            (count,) = self._conn.execute(
                "SELECT COUNT(*) FROM (SELECT DISTINCT outputs, created_at FROM cache)"
            ).fetchone()
        return int(count)

    def clear(self) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM cache")
            with contextlib.suppress(sqlite3.OperationalError):
                self._conn.execute("DELETE FROM blobs")
            with contextlib.suppress(sqlite3.OperationalError):  # (the cache is emptied: none is filed later)
                self._conn.execute("DELETE FROM uncached")
            _vacuum(self._conn, rewrite=True)
        shutil.rmtree(self.blobs, ignore_errors=True)
        self._dirs.clear()
        self._have.clear()
        self._pending.clear()

    def trim(self, limit_bytes: int) -> int:
        """Drop least-recently-used entries until the total fits `limit_bytes`; returns blob bytes deleted.
        The entries of the results tasks are recorded with (what is in place now) are never dropped, even
        over the limit: an up-to-date task never uses its entry, so by use alone it would be the first to
        go, and a `clean` or a deleted output would then cost a paid call again."""
        with self._lock:
            (total,) = self._conn.execute("SELECT COALESCE(SUM(size), 0) FROM cache").fetchone()
            if total <= limit_bytes:
                return 0  # nothing to drop (blobs no row names, left by a crash, wait for a trim that drops)
            rows = self._conn.execute(
                "SELECT c.key, c.outputs, t.key IS NOT NULL FROM cache c"
                " LEFT JOIN (SELECT DISTINCT key FROM tasks) t ON t.key = c.key"
                " ORDER BY t.key IS NOT NULL DESC, c.last_used DESC, c.key"
            ).fetchall()
            # what the cache holds is each blob once, however many rows name it (identical outputs of a
            # fan-out share one): a row's blobs are freed only when no row kept names them
            names = [
                (key, set(json.loads(outputs).values()), bool(current)) for key, outputs, current in rows
            ]
            refs = Counter(digest for _, digests, _ in names for digest in digests)
            sizes = self._blob_sizes(set(refs))
            total = sum(sizes.values())
            doomed: list[str] = []
            while names and total > limit_bytes and not names[-1][2]:  # (the results in place come first)
                key, digests, _ = names.pop()
                doomed.append(key)
                for digest in digests:
                    refs[digest] -= 1
                    if refs[digest] == 0:
                        total -= sizes[digest]
            if doomed:
                self._conn.execute("BEGIN IMMEDIATE")  # (waits for the lock: `busy`)
                self._conn.executemany("DELETE FROM cache WHERE key = ?", [(k,) for k in doomed])
                self._conn.execute("COMMIT")
            live: set[str] = set()
            for (outputs,) in self._conn.execute("SELECT outputs FROM cache"):
                live.update(json.loads(outputs).values())
            freed = self._sweep_packed(live)
        return freed + self._sweep(live)

    def _blob_sizes(self, digests: set[str]) -> dict[str, int]:
        """The stored size of each of `digests` (packed: one query; files: a stat each; missing: 0). The
        caller holds the lock."""
        sizes: dict[str, int] = {}
        with contextlib.suppress(sqlite3.OperationalError):
            for digest, size in self._conn.execute("SELECT digest, length(data) FROM blobs"):
                if digest in digests:
                    sizes[digest] = int(size)
        for digest in digests - sizes.keys():
            sizes[digest] = self._file_size(digest)
        return sizes

    def _sweep_packed(self, live: set[str]) -> int:
        """Delete the packed blobs no row names (the caller holds the lock); returns the bytes freed."""
        try:
            rows = self._conn.execute("SELECT digest, length(data) FROM blobs").fetchall()
        except sqlite3.OperationalError:
            return 0
        dead = [(digest, size) for digest, size in rows if digest not in live]
        if not dead:
            return 0
        self._conn.execute("BEGIN IMMEDIATE")  # (waits for the lock: `busy`)
        self._conn.executemany("DELETE FROM blobs WHERE digest = ?", [(d,) for d, _ in dead])
        self._conn.execute("COMMIT")
        for digest, _ in dead:
            self._have.pop(digest, None)
        _vacuum(self._conn)
        return sum(size for _, size in dead)

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


def _vacuum(conn: sqlite3.Connection, *, rewrite: bool = False) -> None:
    """Give the pages of deleted blobs back to the filesystem (databases created with incremental
    auto-vacuum, see `agentmake.store.schema`; elsewhere they are reused by later blobs). `rewrite` (the
    cache was emptied: what is left is small, so rewriting it is cheap): a database made without auto-vacuum
    (by an agentmake from before blobs were packed into it) is rewritten with it, which frees its pages now
    and makes every later trim give space back."""
    with contextlib.suppress(sqlite3.OperationalError):
        if rewrite and conn.execute("PRAGMA auto_vacuum").fetchone()[0] == 0:
            conn.execute("PRAGMA auto_vacuum = INCREMENTAL")  # (takes effect with the VACUUM)
            conn.execute("VACUUM")
            return
        conn.executescript("PRAGMA incremental_vacuum;")  # (`execute` would free one page only)


def _inside(base: Path, path: str) -> Path:
    """`base / path` if `path` names a file inside the project: judged lexically (the rule the graph applies
    to declared outputs), then on disk (an output directory that is a symbolic link to elsewhere raises
    `confine.OutsideProject`)."""
    norm = posixpath.normpath(path)
    pure = PurePosixPath(norm)
    if not path or pure.is_absolute() or norm in (".", "") or ".." in pure.parts or _DRIVE.match(norm):
        raise UsageError(f"cached output {path!r} is outside the project {base}")
    check_inside(base, norm)
    return base / norm
