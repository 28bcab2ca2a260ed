"""Making a finished attempt's outputs real: rename the staged files onto their targets and hash them.

The executor leaves each output *staged* (a temporary file beside its target), so a target is either its old
content or its complete new content, never half-written. Staged names look like ``.NAME.agentmake-tmp-*``;
`remove_stale_temps` deletes the ones a killed run left behind. `edited_since` finds the targets a person
changed after their task was decided, before the result replaces them.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path

from agentmake.pathwords import quote_path
from agentmake.plan.hashing import Seen, hash_path
from agentmake.scheduler.discard import Discard

TEMP_PATTERN = ".*.agentmake-tmp-*"


def hash_staged(staged: Mapping[str, Path]) -> dict[str, str]:
    """Digest of each staged output (done in the worker thread, before the commit)."""
    return {path: hash_path(tmp) for path, tmp in staged.items()}


UNKNOWN: Seen = (-1, -1, -1, "", 0)  # seen of a file agentmake did not make: it never matches, so it is
# compared by content at the commit


def saved_notice(saved: Mapping[str, Path], unknown: Iterable[str]) -> str:
    """What to tell of outputs copied to `.agentmake/edited/` (`saved`: output -> its copy) before a
    result replaced them: hand edits, or files agentmake did not make (`unknown`); each path written as the
    Agentfile would (`pathwords.quote_path`: one with a space in quotes)."""
    odd = set(unknown)
    parts = []
    for label, paths in (
        ("hand-edited output saved: ", [p for p in saved if p not in odd]),
        ("output agentmake did not make saved: ", [p for p in saved if p in odd]),
    ):
        if paths:
            parts.append(label + ", ".join(f"{quote_path(p)} → {quote_path(str(saved[p]))}" for p in paths))
    return "; ".join(parts)


def edited_since(root: Path, changed: Iterable[str], new: Mapping[str, str]) -> list[str]:
    """The outputs among `changed` (written since their task was decided: `Hasher.changed`) that are there
    and hold something other than their new content (`new`: path -> digest): a hand edit made meanwhile (or
    a file agentmake did not make), which replacing the output would lose."""
    base = os.fspath(root) + os.sep
    edited: list[str] = []
    for path in changed:
        try:
            if hash_path(base + path) == new.get(path):
                continue  # written with the very content the task made: nothing to lose
        except OSError:
            if not os.path.islink(base + path):
                continue  # not there (any more), or a FIFO or device: no content to lose
            # a link to something that is not a regular file (e.g. /dev/zero): the link is saved
        edited.append(path)
    return edited


def commit_outputs(
    root: Path, staged: Mapping[str, Path], discard: Discard | None = None, absent: Collection[str] = ()
) -> dict[str, Path]:
    """Rename each staged file onto its target (creating parent directories); returns path -> target. With
    `discard`, a target's old file is kept aside for the rename and unlinked on its thread; not that of an
    output in `absent`, which the caller just found not there (a hard link that would fail: a first build's
    every output)."""
    targets: dict[str, Path] = {}
    for path, tmp in staged.items():
        target = root / path
        spare = discard.aside(os.fspath(target)) if discard is not None and path not in absent else None
        try:  # a staged file lies beside its target: the directory is there (no mkdir per task)
            os.replace(tmp, target)
        except FileNotFoundError:
            if not os.path.exists(tmp):
                raise
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, target)
        finally:
            if discard is not None and spare is not None:
                discard.later(spare)
        targets[path] = target
    return targets


def staged_name(name: str) -> bool:
    """Whether a file name is one agentmake stages an output under (`TEMP_PATTERN`)."""
    # (the cheap test first: most names fail it)
    return name[:1] == "." and ".agentmake-tmp-" in name and fnmatch.fnmatchcase(name, TEMP_PATTERN)


def remove_stale_temps(root: Path, outputs: Iterable[str]) -> list[Path]:
    """Delete leftover staged files in the directories of `outputs`; returns what was removed."""
    removed: list[Path] = []
    base = os.fspath(root)
    parents = {path.rpartition("/")[0] for path in outputs}  # project-relative POSIX paths
    for directory in sorted(os.path.join(base, parent) if parent else base for parent in parents):
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            if staged_name(entry.name) and entry.is_file(follow_symlinks=False):
                try:
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
                except OSError:
                    pass
    return removed
