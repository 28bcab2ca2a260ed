"""The build stamp: proof that a whole selection was up to date, and of everything that answer rested on.

A build that leaves every selected task up to date with nothing to tell writes `.agentmake/stamp`: the
request's signature (Agentfile, command, targets, VAR=value overrides, agentmake and decision versions) and
every file and directory the answer rested on, each with the stat it had when it was read:

- the files loading read: the Agentfile, includes, prompt files, templates (`Agentfile.reads`);
- the directories listed to expand globs and wildcards (`FileIndex.listed`): adding, removing or renaming
  an entry changes a directory's mtime; and the symbolic links they hold that lead to neither a file nor a
  directory (`FileIndex.links`: dangling, say), whose target may become one with no change to the directory;
- every input and output of the selected tasks, with the stat the stat cache vouched for (`Hasher.records`);
- the state database (`state.db`, `state.db-wal`) once it is closed: any later write to the state changes it.

The next build with the same signature stats every entry. When each still has the same (type, size, mtime_ns,
inode), nothing the answer rested on changed, so it stands: the build is a no-op without loading the
Agentfile, expanding the graph or deciding a task. As in the stat cache (`agentmake.plan.hashing`), an entry
whose mtime is within the racy margin (`plan.racy`) of when it was read is *racily clean* (a write later in
the same timestamp tick keeps the stat); the stamp holds its content hash (files) or its listing
(directories), checked by reading it; once such an entry's mtime is past the margin, a check that found it
unchanged settles it (`_settle`, under the project lock when it is free). When only task files differ, the
graph is known to be the same and the tasks of the unchanged files are still up to date (`Verdict.vouches`);
when anything else differs, or the stamp cannot be read, the normal path decides everything.

Writing one: `agentmake.plan.stampwrite`, by a build that left every selected task up to date, once the
state is closed and while it still holds the project lock. The stamp is removed whenever a process takes
that lock (`Store.open`): a build, `clean` or `watch` may change what it vouches for.

Format (version 1): the line ``agentmake-stamp 1``; a JSON header line (signature, entry count, entry kinds,
racy entries' hashes, task count, report lines, byte order; ``"bare": 1`` when the signature is
`Signature.bare`); the byte length of the paths (8 bytes,
little-endian); the entry paths joined by NUL (relative to the project root, or absolute); then a native
int64 array of 4 numbers per entry (file type bits, and for a task's file its executable bits, size,
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
from typing import Any

import xxhash

from agentmake.pidtmp import due, sweep
from agentmake.plan.racy import racily_clean

STAMP_NAME = "stamp"
MAGIC = b"agentmake-stamp 1\n"
# how the temporary files a stamp is written to are named (`.stamp.{pid}.tmp`, in `.agentmake/`): the
# leftovers of writers killed as they wrote are removed as a stamp is written (`swept`), only those (other
# code writes in `.agentmake/` too)
TMP_PREFIX = f".{STAMP_NAME}."
_SWEPT = ".stamp-swept"  # (in `.agentmake/`: its mtime says when `swept` last looked)
_SWEEP_EVERY = 24 * 3600  # seconds: a build lists `.agentmake/` once already (`store`): not again each stamp
# the versions of how decisions are made: keys (`plan.keys.KEY_VERSION`), the rebuilder's fast memo and
# render signature (`plan.keyparts.FAST_VERSION`, `RENDER_VERSION`), how reports render
# (`plan.keyparts.REPORT_RENDERER`); a test keeps these in step
DECIDER_VERSIONS = (2, 4, 1, 2)
MISSING = (-1, -1, -1, -1)
_TYPE = 0o170000
_TASK_FILE = _TYPE | 0o111  # (a task file's entry: its type and executable bits)
REGULAR = 0o100000

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
    source: tuple[int, int, int] | None = None  # (inode, size, mtime_ns) of the stamp file read

    @property
    def up_to_date(self) -> bool:
        return self.graph_same and not self.changed

    def vouches(self, paths: Iterable[str]) -> bool:
        """Whether none of `paths` (a task's inputs and outputs) changed since the stamp (`graph_same`)."""
        changed = self.changed
        return self.graph_same and not any(p in changed for p in paths)


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


class Signature:
    """A request's signature (`signature`) in two forms: `bare`, without what the ``.env`` file gemini loads
    names, and `full()`, with it (as every stamp held it before: computed when first asked, for finding
    that file stats two names in every directory from the project root up). A stamp written by a build
    that ran no gemini task holds the bare one and says so in its header (``"bare": 1``), so that checking
    it walks no directory; any other stamp holds the full one."""

    __slots__ = ("_full", "bare", "make_full")  # (no dataclass: the no-op answer imports this module)

    def __init__(self, bare: str, make_full: Callable[[], str] | None = None) -> None:
        self.bare = bare
        self.make_full = make_full
        self._full: str | None = None

    def full(self) -> str:
        if self._full is None:
            self._full = self.bare if self.make_full is None else self.make_full()
        return self._full


def check(root: Path, sig: str | Signature) -> Verdict | None:
    """What the stamp says for a request with signature `sig`; None when there is no stamp, it is for another
    request, or it cannot be read."""
    if os.path.islink(os.path.join(root, ".agentmake")):
        from agentmake.confine import state_dir_escape

        if state_dir_escape(root) is not None:
            return None  # (the build then opens the state, which refuses it, with the reason)
    try:
        with open(os.path.join(root, ".agentmake", STAMP_NAME), "rb") as fh:
            st = os.fstat(fh.fileno())
            data = fh.read()
        verdict = _check(root, sig, data)
        if verdict is not None:
            verdict.source = (st.st_ino, st.st_size, st.st_mtime_ns)
        return verdict
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None


def _check(root: Path, sig: str | Signature, data: bytes) -> Verdict | None:
    if not data.startswith(MAGIC):
        return None
    end = data.index(b"\n", len(MAGIC))
    header = json.loads(data[len(MAGIC) : end])
    if isinstance(sig, Signature):
        sig = sig.bare if header.get("bare") else sig.full()
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
    now = array("q", _stats(root, paths, kinds))
    differ = (
        set()
        if now == recorded
        else {i for i in range(n) if now[4 * i : 4 * i + 4] != recorded[4 * i : 4 * i + 4]}
    )
    for index, proof in header["racy"].items():
        i = int(index)
        if i not in differ and proof_of(root, paths[i], kinds[i]) != proof:
            differ.add(i)
    for i in differ:
        if kinds[i] != "f":
            verdict.graph_same = False
            break
        verdict.changed.add(paths[i])
    if verdict.up_to_date and header["racy"]:
        # racily clean entries just read and found unchanged, whose mtimes are now past the margin, are
        # settled: stat alone will do for them from now on
        settled = [k for k in header["racy"] if not racily_clean(recorded[4 * int(k) + 2], started)]
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
        tmp = os.path.join(directory, f"{TMP_PREFIX}{os.getpid()}.tmp")
        try:
            with open(tmp, "wb") as out:
                out.write(data[: len(MAGIC)] + json.dumps(header).encode() + data[end:])
            os.replace(tmp, os.path.join(directory, STAMP_NAME))
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        swept(directory)
    except OSError:
        return
    finally:
        os.close(fd)  # releases the lock


def swept(directory: str) -> None:
    """Remove from `.agentmake/` (`directory`) the temporary files of stamp writers killed as they wrote
    (kill -9: `pidtmp.sweep`), at most once a day (`pidtmp.due`): one `stat` of a marker otherwise."""
    if due(os.path.join(directory, _SWEPT), _SWEEP_EVERY):
        sweep(directory, TMP_PREFIX)


def _stats(root: Path, paths: list[str], kinds: str) -> list[int]:
    """The stat of each entry as the stamp holds it: a task file's ("f") with its executable bits (a shell
    agent's key holds them: `Hasher.executable`), the others' with their file type alone."""
    base = os.fspath(root) + os.sep
    stat = os.stat
    out: list[int] = []
    extend = out.extend
    for path, kind in zip(paths, kinds, strict=True):
        try:
            st = stat(path if path.startswith(os.sep) else base + path if path else base)
        except OSError:
            extend(MISSING)
            continue
        extend((st.st_mode & (_TASK_FILE if kind == "f" else _TYPE), st.st_size, st.st_mtime_ns, st.st_ino))
    return out


def proof_of(root: Path, path: str, kind: str) -> str | None:
    """The content hash of a file, or the listing hash of a directory, as it is now."""
    full = path if path.startswith(os.sep) else os.path.join(root, path)
    if kind == "d":
        from agentmake.graph.fileindex import FileIndex

        index = FileIndex(root)
        return listing_hash(*index.listdir(path))
    from agentmake.plan.hashing import hash_path

    try:
        return hash_path(full)
    except OSError:
        return None
