"""Outputs stay inside the project: a path whose directory, with symbolic links followed, lies outside the
project root is refused before anything is written, restored or removed there.

Declared outputs are checked lexically when the Agentfile loads (no `..`, not absolute); this is the check on
disk, for a directory of the project that is a symbolic link to elsewhere (`build -> /tmp/x`), made before
an output is staged (once per directory and build), restored from the cache, or removed by `clean`.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path


class OutsideProject(OSError):
    """An output's directory leads outside the project through a symbolic link."""

    def __init__(self, rel: str, real: str) -> None:
        super().__init__(errno.EXDEV, f"{rel} resolves to {real}, outside the project")
        self.rel, self.real = rel, real

    def __str__(self) -> str:
        return f"output directory {self.rel} resolves to {self.real}, outside the project (a symbolic link)"


def check_inside(root: Path | str, rel: str) -> None:
    """Raise OutsideProject if the directory of the project-relative path `rel` (existing or not: what does
    not exist yet is judged by the part that does) is, with links followed, outside `root`."""
    parent = rel.rpartition("/")[0]
    if not parent:
        return
    real_root = os.path.realpath(root)
    real = os.path.realpath(os.path.join(root, parent))
    if real != real_root and not real.startswith(real_root + os.sep):
        raise OutsideProject(parent, real)
