"""What the watcher queues for the main thread: the project-relative paths that changed, agentmake's own
files left out (`changed_paths`), a burst of saves gathered into one change (`Burst`), or `RESCAN`."""

from __future__ import annotations

import time
from collections.abc import Iterable

import watchfiles

from agentmake.watch.links import Links

MAX_WAIT = 2.0  # seconds: changes wait no longer than this for a quiet moment (a file written nonstop)
RESCAN = "\0rescan"  # in a change set: changes were lost, look at the whole project again (not a path: NUL)
IGNORED_DIRS = {".agentmake", ".git", "__pycache__", ".venv", ".hypothesis", ".pytest_cache", ".mypy_cache"}


def _is_own_file(rel: str) -> bool:
    parts = rel.split("/")
    if any(p in IGNORED_DIRS for p in parts[:-1]) or parts[0] in IGNORED_DIRS:
        return True
    name = parts[-1]
    return ".agentmake-tmp" in name or name.endswith(("~", ".swp", ".swx"))


def changed_paths(links: Links, raw: Iterable[tuple[watchfiles.Change, str]]) -> set[str]:
    """The project-relative paths of what changed, with the paths that read a changed file through a link,
    in or out of the project (`links`); agentmake's own files left out."""
    return {rel for _change, path in raw for rel in links.names(path) if not _is_own_file(rel)}


class Burst:
    """Changed paths gathered until the project is quiet, or for at most `MAX_WAIT` seconds."""

    def __init__(self) -> None:
        self.paths: set[str] = set()
        self.since = 0.0  # monotonic: when the oldest path gathered came

    def add(self, paths: set[str]) -> None:
        if paths and not self.paths:
            self.since = time.monotonic()
        self.paths |= paths

    def take(self, quiet: bool) -> set[str]:
        """The paths gathered, if the project is `quiet` now or the oldest has waited `MAX_WAIT`; else none
        (they are kept for a later call)."""
        if not self.paths or not (quiet or time.monotonic() - self.since >= MAX_WAIT):
            return set()
        paths, self.paths = self.paths, set()
        return paths
