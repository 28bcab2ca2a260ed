"""Making a finished attempt's outputs real: rename the staged files onto their targets and hash them.

The executor leaves each output *staged* (a temporary file beside its target), so a target is either its old
content or its complete new content, never half-written. Staged names look like ``.NAME.agentmake-tmp-*``;
`remove_stale_temps` deletes the ones a killed run left behind.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from agentmake.plan.hashing import hash_path

TEMP_PATTERN = ".*.agentmake-tmp-*"


def hash_staged(staged: Mapping[str, Path]) -> dict[str, str]:
    """Digest of each staged output (done in the worker thread, before the commit)."""
    return {path: hash_path(tmp) for path, tmp in staged.items()}


def commit_outputs(root: Path, staged: Mapping[str, Path]) -> dict[str, Path]:
    """Rename each staged file onto its target (creating parent directories); returns path -> target."""
    targets: dict[str, Path] = {}
    for path, tmp in staged.items():
        target = root / path
        try:  # a staged file lies beside its target: the directory is there (no mkdir per task)
            os.replace(tmp, target)
        except FileNotFoundError:
            if not os.path.exists(tmp):
                raise
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, target)
        targets[path] = target
    return targets


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
            name = entry.name
            if name[:1] != "." or ".agentmake-tmp-" not in name:  # cheap test first: most names fail it
                continue
            if fnmatch.fnmatchcase(name, TEMP_PATTERN) and entry.is_file(follow_symlinks=False):
                try:
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
                except OSError:
                    pass
    return removed
