"""Outputs stay inside the project: a path whose directory, with symbolic links followed, lies outside the
project root is refused before anything is written, restored or removed there.

Declared outputs are checked lexically when the Agentfile loads (no `..`, not absolute); this is the check on
disk, for a directory of the project that is a symbolic link to elsewhere (`build -> /tmp/x`), made before
an output is staged (once per directory and build), restored from the cache, or removed by `clean`; and
again, since an agent of the build may link a directory out while a task runs, just before an answer is
written to its staged file and before staged outputs are renamed into place.

agentmake's own state directory is held to the same rule: ``.agentmake``, or an entry of it (``logs``,
``home``, ``cache``...), that is a link out of the project is refused (`state_dir_error`) by every command
that opens the state (`Store.open`), exit 2, before anything is read or written there.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


class OutsideProject(OSError):
    """An output's directory leads outside the project through a symbolic link."""

    def __init__(self, rel: str, real: str) -> None:
        super().__init__(errno.EXDEV, f"{rel} resolves to {real}, outside the project")
        self.rel, self.real = rel, real

    def __str__(self) -> str:
        return f"output directory {self.rel} resolves to {self.real}, outside the project (a symbolic link)"


def within(real: str, real_root: str) -> bool:
    """Whether the resolved path `real` is the resolved directory `real_root` or lies under it."""
    return real == real_root or real.startswith(real_root + os.sep)


def plainly_relative(rel: str) -> bool:
    """Whether `rel` is, by a cheap lexical look, a relative path in normal form: no `.`, `..` or empty
    component, nothing before or after (so joining it to a directory's normal form by a `/` gives the
    joined path's normal form). False for some normal paths too (a component starting with a dot): the
    caller then takes the slow, exact way."""
    return bool(rel) and rel[0] not in "./" and rel[-1] != "/" and "//" not in rel and "/." not in rel


def check_inside(root: Path | str, rel: str, real_root: str | None = None) -> None:
    """Raise OutsideProject if the directory of the project-relative path `rel` (existing or not: what does
    not exist yet is judged by the part that does) is, with links followed, outside `root`. `real_root`:
    `root` resolved already (`os.path.realpath`) by a caller that checks many paths, each then resolving
    only its own directory (walking only its own components, `_resolved_under`)."""
    parent = rel.rpartition("/")[0]
    if not parent:
        return
    if real_root is None:
        real_root = os.path.realpath(root)
        real = None
    else:
        real = _resolved_under(real_root, parent)
    if real is None:
        real = os.path.realpath(os.path.join(root, parent))
    if not within(real, real_root):
        raise OutsideProject(parent, real)


def _resolved_under(real_root: str, parent: str) -> str | None:
    """`os.path.realpath` of `parent` (project-relative) under the resolved root `real_root`, walking only
    `parent`'s own components: where none of them is a symbolic link (one that is missing is taken as it is,
    as realpath takes it), the joined path itself; None where one is a link, or `parent` is not plainly
    relative, for the caller to resolve it all the way."""
    if not plainly_relative(parent):
        return None
    path = real_root.rstrip("/")
    for name in parent.split("/"):
        path = f"{path}/{name}"
        try:
            if stat.S_ISLNK(os.lstat(path).st_mode):
                return None
        except OSError:
            continue
    return path


STATE_DIR = ".agentmake"


def state_dir_escape(root: Path | str) -> tuple[str, str] | None:
    """The state directory's way out of the project, if it has one: (``.agentmake`` or ``.agentmake/NAME``,
    where it resolves) for ``.agentmake`` itself, or an entry of it, that is a symbolic link resolving
    outside `root`; None when there is none (a link that stays inside the project is followed)."""
    real_root = os.path.realpath(root)

    def outside(path: str) -> str | None:
        real = os.path.realpath(path)
        return None if within(real, real_root) else real

    state = os.path.join(root, STATE_DIR)
    if os.path.islink(state) and (real := outside(state)) is not None:
        return STATE_DIR, real
    try:
        with os.scandir(state) as entries:
            links = sorted(e.name for e in entries if e.is_symlink())
    except OSError:
        return None  # (none yet, or not a directory: whoever makes it there says so)
    for name in links:
        if (real := outside(os.path.join(state, name))) is not None:
            return f"{STATE_DIR}/{name}", real
    return None


def state_dir_error(root: Path | str) -> str | None:
    """Why agentmake may not use the project's state directory (see `state_dir_escape`), else None."""
    escape = state_dir_escape(root)
    if escape is None:
        return None
    rel, real = escape
    return (
        f"{rel} is a symbolic link to {real}, outside the project: agentmake keeps its state, the logs of "
        "what agents print and copies of CLI logins there, and writes nothing outside the project; remove "
        "the link (or point it inside the project)"
    )
