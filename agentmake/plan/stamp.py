"""The build stamp: proof that a whole selection was up to date, and of everything that answer rested on.

A build that finds every selected task up to date with nothing to tell writes `.agentmake/stamp`: the
request's signature (Agentfile, command, targets, VAR=value overrides, agentmake and decision versions) and
every file and directory the answer rested on, each with the stat it had when it was read:

- the files loading read: the Agentfile, includes, prompt files, templates (`Agentfile.reads`);
- the directories listed to expand globs and wildcards (`FileIndex.listed`): adding, removing or renaming
  an entry changes a directory's mtime;
- every input and output of the selected tasks, with the stat the stat cache vouched for (`Hasher.record`);
- the state database (`state.db`, `state.db-wal`) once it is closed: any later write to the state changes it.

The next build with the same signature stats every entry. When each still has the same (type, size,
mtime_ns, inode), nothing the answer rested on changed, so it stands: the build is a no-op without loading
the Agentfile, expanding the graph or deciding a task. As in the stat cache (`agentmake.plan.hashing`), an
entry whose mtime is within `racy_margin` of when it was read is *racily clean* (a write later in the
same timestamp tick keeps the stat); the stamp holds its content hash (files) or its listing (directories),
checked by reading it. Any difference, or anything unreadable, means "no verdict": the normal path runs.

The stamp is removed whenever a process takes the project lock (`Store.open`): a build, `clean` or `watch`
may change what it vouches for. Only a build that found everything up to date writes one, while it still
holds the lock.

Format (version 1): the line ``agentmake-stamp 1``, a JSON header line (signature, entry count, entry kinds,
racy entries' hashes, task count, report lines, byte order), the entry paths joined by NUL (relative to the
project root, or absolute), then a native int64 array of 4 numbers per entry (file type bits, size,
mtime_ns, inode; all -1 for a path that must not exist).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import xxhash

if TYPE_CHECKING:
    from agentmake.graph import Graph
    from agentmake.model import Agentfile
    from agentmake.plan.hashing import Hasher
    from agentmake.scheduler import BuildResult

STAMP_NAME = "stamp"
MAGIC = b"agentmake-stamp 1\n"
# the versions of how decisions are made: keys (`plan.keys.KEY_VERSION`), the rebuilder's fast memo and
# render signature (`plan.rebuilder.FAST_VERSION`, `RENDER_VERSION`); a test keeps these in step
DECIDER_VERSIONS = (1, 1, 1)
RACY_MARGIN_NS, FINE_MARGIN_NS = (
    2_000_000_000,
    100_000_000,
)  # as in `plan.hashing` (not imported: it loads SQLite)
_MISSING = (-1, -1, -1, -1)
_TYPE = 0o170000
_REGULAR = 0o100000
_GOOD = frozenset({"up-to-date", "done", "cached"})
STATE_FILES = ("state.db", "state.db-wal")  # in `.agentmake/`

# entry kinds: "f" a task's input or output, "l" a file loading read or a state file (racy: content hash),
# "d" a directory (racy: listing hash)
Stat = tuple[int, int, int, int]


@dataclass
class Verdict:
    """What the stamp says now. `up_to_date`: nothing it rests on changed, so the build it stands for is a
    no-op. Else, when `graph_same` (the files loading read, the directories listed and the state are as they
    were), the Agentfile loads to the same graph and every task none of whose inputs and outputs is in
    `changed` is still up to date, unless a task it depends on is not."""

    tasks: int  # tasks the stamped build found up to date
    lines: list[str] = field(default_factory=list)  # what the command printed after the summary
    graph_same: bool = True
    changed: set[str] = field(default_factory=set)  # task files (project-relative) that may have changed
    checked_ns: int = 0  # when the check began: the files not in `changed` had their stamped stat then

    @property
    def up_to_date(self) -> bool:
        return self.graph_same and not self.changed

    def vouches(self, paths: Iterable[str]) -> bool:
        """Whether none of `paths` (a task's inputs and outputs) changed since the stamp (`graph_same`)."""
        changed = self.changed
        return self.graph_same and not any(p in changed for p in paths)


@dataclass
class StampWriter:
    """Collects the entries of a stamp; `write` puts it in place atomically."""

    root: Path
    paths: list[str] = field(default_factory=list)
    stats: list[int] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    racy: dict[str, str] = field(default_factory=dict)

    def add(self, path: str, st: Stat | None, kind: str, *, read_ns: int = 0, proof: str = "") -> None:
        """One entry: `st` as observed when it was read at `read_ns` (wall clock, ns); `proof` (content or
        listing hash) is kept when the entry is racily clean."""
        index = len(self.paths)
        self.paths.append(self._rel(path))
        self.kinds.append(kind)
        if st is None:
            self.stats.extend(_MISSING)
            return
        self.stats.extend(st)
        if st[2] >= read_ns - racy_margin(st[2]):
            self.racy[str(index)] = proof

    def add_task_files(
        self,
        paths: Sequence[str],
        records: Sequence[tuple[int, int, int, str, int]],
        verified: Verdict | None = None,
    ) -> None:
        """Entries for project-relative regular files, from their stat cache records (size, mtime_ns, inode,
        hash, recorded_ns): `add` in bulk, for the thousands of a fan-out. `verified`: the check of the
        previous stamp, which saw every file it does not list as changed with this very stat and content
        (so such a file was read then, as far as racily-clean goes)."""
        first, stats, racy = len(self.paths), self.stats, self.racy
        self.paths.extend(paths)
        self.kinds.append("f" * len(paths))
        changed = verified.changed if verified is not None and verified.graph_same else None
        seen_ns = verified.checked_ns if changed is not None and verified is not None else 0
        for i, (size, mtime, inode, digest, recorded_ns) in enumerate(records):
            stats.extend((_REGULAR, size, mtime, inode))
            read_ns = recorded_ns if changed is None or paths[i] in changed else max(recorded_ns, seen_ns)
            if mtime >= read_ns - racy_margin(mtime):
                racy[str(first + i)] = digest

    def _rel(self, path: str) -> str:
        base = os.fspath(self.root) + os.sep
        return path[len(base) :] if path.startswith(base) else path

    def write(self, sig: str, tasks: int, lines: Sequence[str] = ()) -> None:
        if any("\0" in p for p in self.paths) or any(not p for p in self.racy.values()):
            return  # cannot be written faithfully: no stamp (the normal path runs next time)
        header = {
            "sig": sig, "n": len(self.paths), "kinds": "".join(self.kinds), "racy": self.racy,
            "tasks": tasks, "lines": list(lines), "byteorder": sys.byteorder,
        }  # fmt: skip
        blob = "\0".join(self.paths).encode("utf-8", "surrogateescape")
        data = MAGIC + json.dumps(header).encode() + b"\n" + len(blob).to_bytes(8, "little") + blob
        target = self.root / ".agentmake" / STAMP_NAME
        tmp = target.with_name(f".{STAMP_NAME}.{os.getpid()}.tmp")
        try:
            tmp.write_bytes(data + array("q", self.stats).tobytes())
            os.replace(tmp, target)
        except OSError:
            tmp.unlink(missing_ok=True)


def _moved(root: Path, rel: str, st: os.stat_result | None) -> bool:
    try:
        now: Stat | None = stat_of(os.stat(os.path.join(root, rel) if rel else root))
    except OSError:
        now = None
    return now != (None if st is None else stat_of(st))


def _same_graph(a: Graph, b: Graph) -> bool:
    if a.tasks.keys() != b.tasks.keys() or a.deps != b.deps:
        return False
    return all(
        (t.inputs, t.outputs) == (b.tasks[tid].inputs, b.tasks[tid].outputs) for tid, t in a.tasks.items()
    )


def racy_margin(mtime_ns: int) -> int:
    """`plan.hashing.racy_margin`: the racily-clean margin for a file with this mtime."""
    return FINE_MARGIN_NS if mtime_ns % 1_000_000 else RACY_MARGIN_NS


def stat_of(st: os.stat_result) -> Stat:
    return (st.st_mode & _TYPE, st.st_size, st.st_mtime_ns, st.st_ino)


def listing_hash(files: Iterable[str], dirs: Iterable[str]) -> str:
    text = "\0".join(files) + "\1" + "\0".join(dirs)
    return xxhash.xxh3_128_hexdigest(text.encode("utf-8", "surrogateescape"))


def signature(parts: Sequence[object]) -> str:
    """The request's signature: `parts` (command, Agentfile, targets, overrides, ...) and the versions."""
    from agentmake import __version__

    text = json.dumps([1, __version__, DECIDER_VERSIONS, *parts], sort_keys=True)
    return xxhash.xxh3_128_hexdigest(text.encode("utf-8", "surrogateescape"))


def check(root: Path, sig: str) -> Verdict | None:
    """What the stamp says for a request with signature `sig`; None when there is no stamp, it is for another
    request, or it cannot be read."""
    try:
        with open(os.path.join(root, ".agentmake", STAMP_NAME), "rb") as fh:
            data = fh.read()
        return _check(root, sig, data)
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None


def _check(root: Path, sig: str, data: bytes) -> Verdict | None:
    if not data.startswith(MAGIC):
        return None
    end = data.index(b"\n", len(MAGIC))
    header = json.loads(data[len(MAGIC) : end])
    if header["sig"] != sig or header["byteorder"] != sys.byteorder:
        return None
    n, kinds = header["n"], header["kinds"]
    start = end + 1 + 8
    size = int.from_bytes(data[end + 1 : start], "little")
    paths = data[start : start + size].decode("utf-8", "surrogateescape").split("\0") if n else []
    recorded = array("q")
    recorded.frombytes(data[start + size :])
    if len(paths) != n or len(kinds) != n or len(recorded) != 4 * n:
        return None
    started = time.time_ns()
    verdict = Verdict(int(header["tasks"]), [str(line) for line in header["lines"]], checked_ns=started)
    now = array("q", _stats(root, paths))
    differ = (
        set()
        if now == recorded
        else {i for i in range(n) if now[4 * i : 4 * i + 4] != recorded[4 * i : 4 * i + 4]}
    )
    for index, proof in header["racy"].items():
        i = int(index)
        if i not in differ and _proof(root, paths[i], kinds[i]) != proof:
            differ.add(i)
    for i in differ:
        if kinds[i] != "f":
            verdict.graph_same = False
            break
        verdict.changed.add(paths[i])
    if verdict.up_to_date and header["racy"]:
        # racily clean entries just read and found unchanged, whose mtimes are now past the margin, are
        # settled: stat alone will do for them from now on
        settled = [
            k
            for k in header["racy"]
            if recorded[4 * int(k) + 2] < started - racy_margin(recorded[4 * int(k) + 2])
        ]
        if settled:
            _settle(root, data, header, end, settled)
    return verdict


def _settle(root: Path, data: bytes, header: dict[str, Any], end: int, settled: list[str]) -> None:
    """Rewrite the stamp without the `settled` racy entries, if the project lock is free and the stamp is
    still the one that was read (a build that took the lock since removed it, or wrote another)."""
    import fcntl

    directory = os.path.join(root, ".agentmake")
    try:
        fd = os.open(os.path.join(directory, "lock"), os.O_RDWR)
    except OSError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with open(os.path.join(directory, STAMP_NAME), "rb") as fh:
            if fh.read() != data:
                return
        done = set(settled)
        header = dict(header, racy={k: v for k, v in header["racy"].items() if k not in done})
        tmp = os.path.join(directory, f".{STAMP_NAME}.{os.getpid()}.tmp")
        try:
            with open(tmp, "wb") as out:
                out.write(data[: len(MAGIC)] + json.dumps(header).encode() + data[end:])
            os.replace(tmp, os.path.join(directory, STAMP_NAME))
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    except OSError:
        return
    finally:
        os.close(fd)  # releases the lock


def _stats(root: Path, paths: list[str]) -> list[int]:
    base = os.fspath(root) + os.sep
    stat = os.stat
    out: list[int] = []
    extend = out.extend
    for path in paths:
        try:
            st = stat(path if path.startswith(os.sep) else base + path if path else base)
        except OSError:
            extend(_MISSING)
            continue
        extend((st.st_mode & _TYPE, st.st_size, st.st_mtime_ns, st.st_ino))
    return out


def _proof(root: Path, path: str, kind: str) -> str | None:
    """The content hash of a file, or the listing hash of a directory, as it is now."""
    full = path if path.startswith(os.sep) else os.path.join(root, path)
    if kind == "d":
        from agentmake.graph.globs import FileIndex

        index = FileIndex(root)
        return listing_hash(*index.listdir(path))
    from agentmake.plan.hashing import hash_path

    try:
        return hash_path(full)
    except OSError:
        return None


def stamp_if_up_to_date(
    af: Agentfile,
    graph: Graph,
    selected: Graph,
    result: BuildResult,
    hasher: Hasher,
    request: tuple[str, Sequence[str]],
    verified: Verdict | None = None,
) -> Callable[[Path], None] | None:
    """Prepare the stamp for `request` (signature, lines the command prints after the build) when the build
    of `selected` left every task up to date (it ran, was restored or was found so) with nothing to tell.
    Returns `finish(state_dir)`, to be called once the state database is closed and while the project lock
    is still held: it adds the state files and writes the stamp. None when there is nothing to stamp.
    `verified`: what the previous stamp said at the start of this build (see `StampWriter.add_task_files`)."""
    outcomes = result.outcomes
    if result.interrupted or len(outcomes) != len(selected.tasks) or graph.index is None:
        return None
    if any(o.state not in _GOOD or o.notice for o in outcomes.values()):
        return None
    writer = StampWriter(af.root)
    for path, (kind, size, mtime, inode, digest, read_ns) in af.reads.items():
        writer.add(path, (kind, size, mtime, inode), "l", read_ns=read_ns, proof=digest)
    index = graph.index
    if any(_moved(af.root, rel, st) for rel, (st, _) in index.listed.items()):
        # the build wrote into a directory the graph listed (its outputs, usually): the stamp can rest on
        # the listings as they are now only if they make the same graph
        from agentmake.graph import build_graph

        fresh = build_graph(af)
        if fresh.index is None or not _same_graph(fresh, graph):
            return None
        index = fresh.index
    for rel, (st, read_ns) in index.listed.items():
        listing = index.listing(rel)
        proof = listing_hash(*listing) if listing is not None else ""
        writer.add(rel, None if st is None else stat_of(st), "d", read_ns=read_ns, proof=proof)
    paths = list(dict.fromkeys(p for task in selected.tasks.values() for p in (*task.inputs, *task.outputs)))
    records = hasher.records(paths)
    if records is None:
        return None  # a file not looked at (or missing): nothing to vouch for it
    writer.add_task_files(paths, records, verified)

    def finish(state_dir: Path) -> None:
        for name in STATE_FILES:  # any later write to the state, by anything, changes one of them
            path = state_dir / name
            now = time.time_ns()
            try:
                st = stat_of(os.stat(path))
            except OSError:
                writer.add(str(path), None, "l")
                continue
            proof = _proof(af.root, str(path), "l") or ""
            writer.add(str(path), st, "l", read_ns=now, proof=proof)
        writer.write(request[0], len(selected.tasks), request[1])

    return finish
