"""The files of a project as patterns see them: `FileIndex` lists each directory at most once (one
`os.scandir`), walking only below a pattern's fixed prefix and only as deep as the pattern can reach
(`globs.Pattern`), and keeps what it listed, and when, for the build stamp.

A file or directory whose name is not valid UTF-8 is left out of the listing: such a name cannot be a task's
input or output (task ids, prompts, keys and the state database are text), and one stray file must not stop
the build of all the others. A pattern that would have matched it warns once per process, naming it escaped.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Collection, Iterator

from agentmake.graph.globs import AGENTMAKE_DIR, TMP_MARK, Pattern
from agentmake.safetext import utf8_safe

__all__ = ["FileIndex"]

_warned: set[str] = set()  # undecodable paths already warned about (once per process: watch lists again)


def _valid_utf8(name: str) -> bool:
    """False for a name os.scandir could only give with surrogate escapes (its bytes are not UTF-8)."""
    if name.isascii():
        return True
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _warn_undecodable(path: str, directory: bool) -> None:
    shown = utf8_safe(path)  # the bytes as \xff escapes
    if shown in _warned:
        return
    _warned.add(shown)
    what = "nothing under it is seen" if directory else "it is not an input"
    sys.stderr.write(
        f"agentmake: warning: skipping {shown}{'/' if directory else ''}: its name is not valid UTF-8, "
        f"so {what} (rename it to use it)\n"
    )


class FileIndex:
    """Files under `root`, each directory listed at most once; skips `.agentmake/`, staged temp files and
    names that are not valid UTF-8 (see the module docstring)."""

    def __init__(self, root: str | os.PathLike[str], absent: Collection[str] = ()) -> None:
        self.root = os.fspath(root)
        # project-relative paths of files taken as not there (`clean --leftovers`: the graph once the
        # leftovers it removes are gone)
        self.absent = frozenset(absent)
        self._listing: dict[str, tuple[list[str], list[str]]] = {}
        self._file_sets: dict[str, frozenset[str]] = {}
        # rel -> (the directory's stat taken just before it was listed (None: missing), when (wall clock ns)):
        # what the graph rests on, for the build stamp (`agentmake.plan.stamp`)
        self.listed: dict[str, tuple[os.stat_result | None, int]] = {}
        # rel -> names left out of its listing for not being valid UTF-8 (a directory's with a trailing "/")
        self.undecodable: dict[str, list[str]] = {}
        # rel -> (its stat, links followed (None: dangling), when) of each symbolic link a listing left out
        # for leading to neither a file nor a directory: its target may become one with no change to the
        # directory listed (for the build stamp, as `listed`)
        self.links: dict[str, tuple[os.stat_result | None, int]] = {}

    def listing(self, rel: str) -> tuple[list[str], list[str]] | None:
        """The (files, dirs) listed for `rel`, None if it was never listed."""
        return self._listing.get(rel)

    def listdir(self, rel: str) -> tuple[list[str], list[str]]:
        """(file names, directory names) in `rel` ('' is the root), sorted; empty if it is missing."""
        cached = self._listing.get(rel)
        if cached is not None:
            return cached
        files: list[str] = []
        dirs: list[str] = []
        path = os.path.join(self.root, rel) if rel else self.root
        now = time.time_ns()
        try:
            self.listed[rel] = (os.stat(path), now)
        except OSError:
            self.listed[rel] = (None, now)
        try:
            with os.scandir(path) as it:
                for entry in it:
                    name = entry.name
                    if name == AGENTMAKE_DIR or (name.startswith(".") and TMP_MARK in name):
                        continue
                    try:
                        if entry.is_dir():
                            listed = dirs
                        elif entry.is_file():
                            listed = files
                        else:
                            if entry.is_symlink():
                                self._left_out_link(f"{rel}/{name}" if rel else name)
                            continue
                    except OSError:
                        continue
                    if not _valid_utf8(name):
                        self.undecodable.setdefault(rel, []).append(name + "/" if listed is dirs else name)
                        continue
                    if self.absent and listed is files and (f"{rel}/{name}" if rel else name) in self.absent:
                        continue
                    listed.append(name)
        except OSError:
            pass
        files.sort()
        dirs.sort()
        self._listing[rel] = (files, dirs)
        return files, dirs

    def _left_out_link(self, rel: str) -> None:
        now = time.time_ns()
        try:
            self.links[rel] = (os.stat(os.path.join(self.root, rel)), now)
        except OSError:
            self.links[rel] = (None, now)

    def is_file(self, rel: str) -> bool:
        head, _, name = rel.rpartition("/")
        if not name or name in (".", "..") or rel.startswith("/"):
            return os.path.isfile(os.path.join(self.root, rel))
        names = self._file_sets.get(head)
        if names is None:
            names = self._file_sets[head] = frozenset(self.listdir(head)[0])
        return name in names

    def candidates(self, pattern: Pattern) -> Iterator[str]:
        """Files that may match `pattern`: those below its prefix, at its depth (any depth under `**`)."""
        yield from self._walk(pattern.prefix, pattern.depth, pattern.hidden, 0, pattern)

    def _walk(self, rel: str, depth: int | None, hidden: bool, level: int, pattern: Pattern) -> Iterator[str]:
        files, dirs = self.listdir(rel)
        base = rel + "/" if rel else ""
        if rel in self.undecodable:
            self._warn_skipped(base, self.undecodable[rel], depth, hidden, level, pattern)
        if depth is None or depth == level + 1:
            for name in files:
                if hidden or name[0] != ".":
                    yield base + name
        if depth is not None and level + 1 >= depth:
            return
        for name in dirs:
            if not hidden and name[0] == ".":
                continue
            if depth is None and os.path.islink(os.path.join(self.root, base + name)):
                continue  # never follow symlinked directories under ** (loops)
            yield from self._walk(base + name, depth, hidden, level + 1, pattern)

    @staticmethod
    def _warn_skipped(
        base: str, names: list[str], depth: int | None, hidden: bool, level: int, pattern: Pattern
    ) -> None:
        """Warn about the names left out of a listing that `pattern` would have matched (a file) or walked
        into (a directory)."""
        for name in names:
            if not hidden and name[0] == ".":
                continue
            if name.endswith("/"):
                if depth is None or level + 1 < depth:
                    _warn_undecodable(base + name[:-1], directory=True)
            elif (depth is None or depth == level + 1) and pattern.match(base + name) is not None:
                _warn_undecodable(base + name, directory=False)
