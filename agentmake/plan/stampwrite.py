"""Writing the build stamp (`agentmake.plan.stamp` says what it is and how it is checked).

`stamp_if_up_to_date` gathers, at the end of a build that left every selected task up to date, what the answer
rested on (from the load, the graph's directory listings and the stat cache) into a `StampWriter`; the
stamp itself is written once the state database is closed, while the project lock is still held.
"""

from __future__ import annotations

import json
import os
import sys
import time
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from agentmake.plan.racy import racily_clean
from agentmake.plan.stamp import (
    MAGIC,
    MISSING,
    REGULAR,
    STAMP_NAME,
    TMP_PREFIX,
    Signature,
    Stat,
    Verdict,
    listing_hash,
    proof_of,
    stat_of,
    swept,
)

if TYPE_CHECKING:
    from agentmake.graph import Graph
    from agentmake.model import Agentfile
    from agentmake.plan.hashing import Hasher
    from agentmake.scheduler import BuildResult

_GOOD = frozenset({"up-to-date", "done", "cached"})
STATE_FILES = ("state.db", "state.db-wal")  # in `.agentmake/`


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
            self.stats.extend(MISSING)
            return
        self.stats.extend(st)
        if racily_clean(st[2], read_ns):
            self.racy[str(index)] = proof

    def add_task_files(
        self,
        paths: Sequence[str],
        records: Sequence[tuple[int, int, int, str, int]],
        verified: Verdict | None = None,
        xbits: Sequence[int] | None = None,
    ) -> None:
        """Entries for project-relative regular files, from their stat cache records (size, mtime_ns, inode,
        hash, recorded_ns): `add` in bulk, for the thousands of a fan-out. `verified`: the check of the
        previous stamp, which saw every file it does not list as changed with this very stat and content
        (so such a file was read then, as far as racily-clean goes). `xbits`: each file's executable bits
        (`Hasher.xbits`), kept in its entry's type field."""
        first, stats, racy = len(self.paths), self.stats, self.racy
        self.paths.extend(paths)
        self.kinds.append("f" * len(paths))
        changed = verified.changed if verified is not None and verified.graph_same else None
        seen_ns = verified.checked_ns if changed is not None and verified is not None else 0
        modes = xbits or [0] * len(paths)
        for i, (size, mtime, inode, digest, recorded_ns) in enumerate(records):
            stats.extend((REGULAR | modes[i], size, mtime, inode))
            read_ns = recorded_ns if changed is None or paths[i] in changed else max(recorded_ns, seen_ns)
            if racily_clean(mtime, read_ns):
                racy[str(first + i)] = digest

    def _rel(self, path: str) -> str:
        base = os.fspath(self.root) + os.sep
        return path[len(base) :] if path.startswith(base) else path

    def write(self, sig: str, tasks: int, lines: Sequence[str] = (), *, bare: bool = False) -> None:
        """`bare`: `sig` is a `Signature.bare`, which the header says (no such word otherwise)."""
        if any("\0" in p for p in self.paths) or any(not p for p in self.racy.values()):
            return  # cannot be written faithfully: no stamp (the normal path runs next time)
        header = {
            "sig": sig, "n": len(self.paths), "kinds": "".join(self.kinds), "racy": self.racy,
            "tasks": tasks, "lines": list(lines), "byteorder": sys.byteorder,
        }  # fmt: skip
        if bare:
            header["bare"] = 1
        blob = "\0".join(self.paths).encode("utf-8", "surrogateescape")
        data = MAGIC + json.dumps(header).encode() + b"\n" + len(blob).to_bytes(8, "little") + blob
        target = self.root / ".agentmake" / STAMP_NAME
        tmp = target.with_name(f"{TMP_PREFIX}{os.getpid()}.tmp")
        try:
            tmp.write_bytes(data + array("q", self.stats).tobytes())
            os.replace(tmp, target)
        except OSError:
            tmp.unlink(missing_ok=True)
        swept(str(target.parent))  # (those of writers killed as they wrote: kill -9)


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


def _runs_gemini(af: Agentfile, selected: Graph) -> bool:
    """Whether a task of `selected` may call gemini (a runner of its preset, or one not known): its key reads
    the ``.env`` gemini loads, so the stamp's signature must hold it (`Signature`)."""
    from agentmake.model import AgentSpec, runner_name
    from agentmake.runners.presets import preset_of

    for task in selected.tasks.values():
        spec = task.spec
        if isinstance(spec, AgentSpec) and spec.is_shell:
            continue
        runner = af.runners.get(runner_name(spec, af.settings))
        if runner is None or preset_of(runner) == "gemini":
            return True
    return False


def _add_config(writer: StampWriter, root: Path, path: str) -> None:
    """An entry for the config file at `path`, as it is now (or must not exist)."""
    now = time.time_ns()
    try:
        seen: Stat | None = stat_of(os.stat(path))
    except OSError:
        seen = None
    proof = "" if seen is None else proof_of(root, path, "l") or ""
    writer.add(path, seen, "l", read_ns=now, proof=proof)


def _codex_cwd_files(af: Agentfile, selected: Graph) -> list[str]:
    """The ``.codex/config.toml`` files a codex runner of `selected`'s tasks given ``-C``/``--cd DIR`` may
    read as project layers that the stamp's signature does not digest (`configfiles.codex_files` digests
    those of the project root and the directories above it): those of DIR and the directories above it up
    to the root, existing or not (`authsettings.codex_cwd`), and the ``.git`` of each that has none, whose
    making would move codex's project root there (`configstamp._codex_roots` stamps the root's own)."""
    from agentmake.model import runner_name
    from agentmake.runners.argvflags import clap_value
    from agentmake.runners.presets import preset_of

    found: dict[str, None] = {}
    covered: set[Path] = set()  # (the root and the directories above it, once one is asked)
    for runner in {runner_name(t.spec, af.settings) for t in selected.tasks.values()}:
        spec = af.runners.get(runner)
        chosen = (
            None
            if spec is None or preset_of(spec) != "codex"
            else clap_value(list(spec.command), "-C", "--cd")
        )
        if not chosen:
            continue
        cwd = Path(os.path.realpath(af.root / chosen))
        if not covered:
            root = Path(os.path.realpath(af.root))
            covered = {root, *root.parents}
        for directory in (cwd, *cwd.parents):
            if directory in covered:
                break
            found[str(directory / ".codex" / "config.toml")] = None
            marker = directory / ".git"  # (a ``git init`` there moves codex's root: `codex_project_root`)
            if not os.path.lexists(marker):
                found[str(marker)] = None
    return list(found)


def stamp_if_up_to_date(
    af: Agentfile,
    graph: Graph,
    selected: Graph,
    result: BuildResult,
    hasher: Hasher,
    request: tuple[str | Signature, Sequence[str]],
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
    if hasher.raced:
        # a file changed during the build, after some task was decided on it: the tasks decided earlier were
        # not decided on what it holds now, so its stat vouches for nothing (the next build decides them)
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
    for rel, (st, read_ns) in index.links.items():
        # (a link to a FIFO or a device has no content hash: if racily clean, no stamp is written)
        writer.add(rel, None if st is None else stat_of(st), "l", read_ns=read_ns, proof="")
    for path in _codex_cwd_files(af, selected):  # (the signature holds those of the root and above)
        _add_config(writer, af.root, path)
    paths = list(dict.fromkeys(p for task in selected.tasks.values() for p in (*task.inputs, *task.outputs)))
    records = hasher.records(paths)
    if records is None:
        return None  # a file not looked at (or missing): nothing to vouch for it
    writer.add_task_files(paths, records, verified, hasher.xbits(paths))

    def finish(state_dir: Path) -> None:
        for name in STATE_FILES:  # any later write to the state, by anything, changes one of them
            path = state_dir / name
            now = time.time_ns()
            try:
                st = stat_of(os.stat(path))
            except OSError:
                writer.add(str(path), None, "l")
                continue
            proof = proof_of(af.root, str(path), "l") or ""
            writer.add(str(path), st, "l", read_ns=now, proof=proof)
        sig = request[0]
        bare = isinstance(sig, Signature) and not _runs_gemini(af, selected)
        signed = sig if isinstance(sig, str) else sig.bare if bare else sig.full()
        writer.write(signed, len(selected.tasks), request[1], bare=bare)

    return finish
