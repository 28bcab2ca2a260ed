"""Naming what the file watcher saw as the paths tasks read, through symbolic links in and out of the project.

An input may be a link (`docs/a.md -> ../versions/v3.md`), or lie under a linked directory: the kernel
reports a save of the file itself (`versions/v3.md`), never of the link a task reads, and a link re-pointed
at another file is a change of the link itself, not of either file. So an event path is made
project-relative without resolving its last component, and a saved link target is named with the paths
that read it through a link (`Links.names`).

A link may lead out of the project (`data/x.csv -> /srv/data/x.csv`, `docs -> ../shared/docs`). The project's
own watch does not see edits there, so `Links.watch_dirs` names the directories outside to watch as well,
not recursively and no wider than what is read: the directory holding each file read through such a link
(an event there for another file names nothing), and each directory the graph listed through one (its
fan-out patterns: a file that appears there is named, as it would be inside). An event there is named with
the paths that reach it (`/srv/data/x.csv` -> `data/x.csv`; `../shared/docs/new.md` -> `docs/new.md`).
Those directories are found again whenever the paths read may have changed (the Agentfile reloaded, a
build done: a link re-pointed, a file added), and watch then watches the new set (`agentmake.watch`).

`resolve_links` resolves each directory once and looks at each read path with one `readlink` (a link is
followed through those resolved directories): a `realpath` of each path (a system call per component)
cost 80-120 ms after each build of a 5,000-input fan-out, this costs 15-20 (`benchmarks/bench_links.py`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Links:
    """Where the paths tasks read lead through symbolic links (`resolve_links`)."""

    root: str  # the project (resolved)
    # a file inside the project -> the read paths reaching it through a link
    aliases: dict[str, list[str]] = field(default_factory=dict)
    # a file outside the project (resolved) -> the read paths reaching it
    outside_files: dict[str, list[str]] = field(default_factory=dict)
    # a directory outside the project (resolved) -> the project directories reaching it that the graph listed
    outside_dirs: dict[str, list[str]] = field(default_factory=dict)
    # the directories outside the project to watch, not recursively (what holds the two above)
    watch_dirs: frozenset[str] = frozenset()

    def names(self, path: str) -> list[str]:
        """The project-relative paths an event at `path` (absolute, as the watcher reports it) stands for: the
        path itself when it lies inside the project (its directories resolved, not its last component: a
        link's own change is the link's), and the read paths that reach it through a link; none for a path
        outside that nothing read reaches."""
        parent, name = os.path.split(path)
        real = os.path.realpath(parent)
        inside = _inside(self.root, real)
        if inside is not None:
            rel = f"{inside}/{name}" if inside else name
            return [rel, *self.aliases.get(rel, ())]
        full = os.path.join(real, name)
        out = list(self.outside_files.get(full, ()))
        out.extend(f"{d}/{name}" for d in self.outside_dirs.get(real, ()))
        out.extend(self.outside_dirs.get(full, ()))  # (the directory itself: moved or removed)
        return list(dict.fromkeys(out))

    def under(self, dirs: Iterable[str]) -> list[str]:
        """The files read, and the directories listed, that lie in `dirs` (some of `watch_dirs`): what a
        watch of them starting now may have missed (resolved paths, for `names`)."""
        wanted = set(dirs)
        found = [f for f in self.outside_files if os.path.dirname(f) in wanted]
        return found + [d for d in self.outside_dirs if d in wanted]


def resolve_links(root: Path, paths: Iterable[str], listed: Iterable[str] = ()) -> Links:
    """The `Links` of `paths` (project-relative, read by tasks) and `listed` (project-relative directories the
    graph listed; '' is the root) in the project `root` (resolved)."""
    base = os.fspath(root)
    real_dirs: dict[str, str] = {base: base}  # a directory (absolute) -> its realpath

    def real_dir(path: str) -> str:
        real = real_dirs.get(path)
        if real is None:
            real = real_dirs[path] = os.path.realpath(path)
        return real

    def resolve(path: str) -> str:
        """The realpath of `path` (its directory resolved): one readlink unless it is a link."""
        for _ in range(40):  # (a longer chain, or a loop: as realpath says)
            try:
                target = os.readlink(path)
            except OSError:
                return path  # (not a link, or missing: what its directory resolves to)
            head, name = os.path.split(os.path.join(os.path.dirname(path), target))
            if name in ("", ".", ".."):
                break
            path = os.path.join(real_dir(head), name)
        return os.path.realpath(path)

    aliases: dict[str, list[str]] = {}
    outside_files: dict[str, list[str]] = {}
    outside_dirs: dict[str, list[str]] = {}
    watch: set[str] = set()
    for rel in listed:
        real = real_dir(os.path.join(base, rel) if rel else base)
        if _inside(base, real) is None:
            outside_dirs.setdefault(real, []).append(rel)
            watch.add(real)
    for path in paths:
        head, _, name = path.rpartition("/")
        real = resolve(os.path.join(real_dir(os.path.join(base, head) if head else base), name))
        target = _inside(base, real)
        if target is None:
            outside_files.setdefault(real, []).append(path)
            watch.add(os.path.dirname(real))
        elif target and target != path:  # (the root itself: no file)
            aliases.setdefault(target, []).append(path)
    return Links(base, aliases, outside_files, outside_dirs, frozenset(watch))


def _inside(base: str, real: str) -> str | None:
    """`real` (resolved) relative to `base` ('' for `base` itself), in '/' form; None if it is outside."""
    if real == base:
        return ""
    if real.startswith(base + os.sep):
        return real[len(base) + 1 :].replace(os.sep, "/")
    return None
