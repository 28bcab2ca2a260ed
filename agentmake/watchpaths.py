"""Naming what the file watcher saw as the paths tasks read, through symbolic links inside the project.

An input may be a link (`docs/a.md -> ../versions/v3.md`), or lie under a linked directory: the kernel
reports a save of the file itself (`versions/v3.md`), never of the link a task reads, and a link re-pointed
at another file is a change of the link itself, not of either file. So an event path is made
project-relative without resolving its last component (`relative`), and a saved link target is named with
the paths that read it through a link (`link_aliases`). A link out of the project is not watched: edits of
its target are seen only by the next build that runs for another reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


def relative(root: Path, path: str) -> str | None:
    """`path` (absolute, as the watcher reports it) relative to `root` (resolved), its directories resolved
    but not its last component (a link's own change is the link's); None if it is outside `root`."""
    parent, name = os.path.split(path)
    try:
        rel = Path(os.path.realpath(parent)).relative_to(root).as_posix()
    except ValueError:
        return None
    return name if rel == "." else f"{rel}/{name}"


def link_aliases(root: Path, paths: Iterable[str]) -> dict[str, list[str]]:
    """For each of `paths` (project-relative, read by tasks) that is a link or under a linked directory and
    resolves to another file inside `root`: that file -> the paths that reach it."""
    aliases: dict[str, list[str]] = {}
    base = os.fspath(root)
    for path in paths:
        real = os.path.realpath(os.path.join(base, path))
        if not real.startswith(base + os.sep):
            continue  # (outside the project: not watched)
        target = real[len(base) + 1 :].replace(os.sep, "/")
        if target != path:
            aliases.setdefault(target, []).append(path)
    return aliases
