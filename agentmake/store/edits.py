"""Hand edits saved aside: a copy of an output someone edited, kept under ``.agentmake/edited/<date>/``
before agentmake replaces it (`save_edited`), and the unfinished copies a killed agentmake left
(`remove_partials`). A base of `db.Store`.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import re
import shutil
import stat
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

PARTIAL = ".partial-"  # a copy of a hand edit being made (`Store.save_edited`): edited/.partial-<pid>-<n>
_PARTIAL_NAME = re.compile(re.escape(PARTIAL) + r"[0-9]+-[0-9]+")  # (a name `save_edited` gives one)


class Edits:
    """Copies of hand-edited outputs, made so that a kill never leaves part of one where one is looked for."""

    root: Path
    dir: Path
    _lock: threading.RLock
    _partial_numbers: itertools.count[int]

    if TYPE_CHECKING:  # provided by `db.Store`

        @property
        def locked(self) -> bool: ...

    def remove_partials(self) -> int:
        """Remove the copies of hand edits a killed agentmake left unfinished (``edited/.partial-<pid>-<n>``,
        see `save_edited`); returns how many. Only under the project lock: no other agentmake can be making
        one, and `scheduler.recover.take_over` calls it as a build or clean starts, before this one saves
        any (a save is finished, or its temporary removed, before `save_edited` returns). The pid in the name
        is not looked at: in a container, a new agentmake often has the pid of the one killed. A saved edit
        (in a dated directory) is never touched."""
        if not self.locked:
            return 0
        edited = self.dir / "edited"
        try:
            names = os.listdir(edited)
        except OSError:  # (none: the usual case)
            return 0
        removed = 0
        for name in names:
            if _PARTIAL_NAME.fullmatch(name):
                with contextlib.suppress(OSError):  # (a directory of that name is nobody's copy: left)
                    os.unlink(edited / name)
                    removed += 1
        return removed

    def save_edited(self, path: str, *, link: bool = False) -> Path:
        """Copy a hand-edited output to ``.agentmake/edited/<YYYYmmdd-HHMMSS>/<path>``; returns where. The
        copy is made under a temporary name (``edited/.partial-<pid>-<n>``) and renamed once complete (its
        directory made only then), so a kill during it never leaves a part of the edit, nor an empty dated
        directory, where a saved edit is looked for; the temporaries a killed agentmake left are removed
        when the next build or clean starts (`remove_partials`).

        `link`: the output is about to be replaced (renamed over): keep its own file, hard-linked, not a copy
        (a copy where no link can be made). An editor that saves in place (truncate, then write) may be
        between the two: what it writes after the result has replaced the output lands in the saved edit,
        where a copy would have kept the empty file. Not for an output that stays in place (a copy is a
        snapshot; a link would follow whatever writes to the output next)."""
        edited = self.dir / "edited"
        base = edited / time.strftime("%Y%m%d-%H%M%S")
        dest, n = base / path, 1
        while dest.exists():
            dest, n = Path(f"{base}-{n}") / path, n + 1
        src = self.root / path
        mode = os.lstat(src).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):  # a FIFO or a device: nothing to keep a copy of
            raise OSError(errno.EINVAL, f"{path} is not a regular file")
        edited.mkdir(parents=True, exist_ok=True)
        with self._lock:
            partial = edited / f"{PARTIAL}{os.getpid()}-{next(self._partial_numbers)}"
        try:
            if not (link and _linked(src, partial)):
                # a symbolic link is saved as the link (its target, e.g. /dev/zero, may be anything, anywhere)
                shutil.copy2(src, partial, follow_symlinks=False)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(partial, dest)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(partial)
            raise
        return dest


def _linked(src: Path, dest: Path) -> bool:
    """Hard-link `src` (a symbolic link itself, not what it names) as `dest`; False where no link can be made
    (another file system, one without hard links, too many links). Raises OSError if `src` is gone."""
    try:
        os.link(src, dest, follow_symlinks=False)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            raise
        return False
    return True
