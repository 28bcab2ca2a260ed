"""Replacing an output without paying for the old one on the scheduler thread.

Renaming a new file over an old one makes the kernel free the old file's blocks inside the rename (ext4:
0.1 ms, several under load), on the thread that starts the next tasks. `Discard.aside` first hard-links the
old file beside its target (``.NAME.agentmake-tmp-old-*``, which `commit.remove_stale_temps` removes if a kill
leaves it), so the rename only moves a name and stays atomic; `Discard` unlinks those links from a thread of
its own, and `close` waits until it has.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import queue
import threading

_STOP = ""
_serial = itertools.count()


class Discard:
    """Old outputs to unlink off the scheduler thread (started on the first one; `close` joins it)."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def aside(self, target: str) -> str | None:
        """Hard-link `target` (not following a link) to a temporary name beside it; that name, or None
        when there is nothing to keep aside (no such file, a directory, a file system without links)."""
        head, _, name = target.rpartition(os.sep)
        spare = f"{head}{os.sep}.{name}.agentmake-tmp-old-{os.getpid()}-{next(_serial)}"
        try:
            os.link(target, spare, follow_symlinks=False)
        except OSError:
            return None
        return spare

    def later(self, path: str) -> None:
        """Unlink `path` soon, on the discard thread."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="agentmake-discard", daemon=True)
            self._thread.start()
        self._queue.put(path)

    def close(self) -> None:
        """Unlink everything handed over so far, then end the thread."""
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while (path := self._queue.get()) != _STOP:
            with contextlib.suppress(OSError):  # (gone already; else removed with the stale temporary files)
                os.unlink(path)
