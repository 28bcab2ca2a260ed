"""Replacing an output without paying for the old one on the scheduler thread.

Renaming a new file over an old one makes the kernel free the old file's blocks inside the rename (ext4:
0.1 ms, several under load), on the thread that starts the next tasks. `Discard.aside` first hard-links the
old file beside its target (``.NAME.agentmake-tmp-old-*``, which `commit.remove_stale_temps` removes if a kill
leaves it), so the rename only moves a name and stays atomic; `Discard` unlinks those links from a thread of
its own, and `close` waits until it has.

`held=True` (the scheduler's): `later` only notes a link, and `flush` hands all noted so far to the thread at
once, which the scheduler calls when it is about to wait. A hand-over wakes the thread, which then takes
turns with the scheduler thread for the interpreter at each of its system calls: once per burst of results,
while the scheduler waits, instead of once per result, while it starts the next tasks.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import queue
import threading

_serial = itertools.count()


class Discard:
    """Old outputs to unlink off the scheduler thread (started on the first one; `close` joins it)."""

    def __init__(self, *, held: bool = False) -> None:
        self._queue: queue.SimpleQueue[list[str] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._held: list[str] | None = [] if held else None  # noted by `later`, not yet handed over

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
        """Unlink `path` soon, on the discard thread (held: once `flush` hands it over)."""
        if self._held is not None:
            self._held.append(path)
        else:
            self._hand([path])

    def flush(self) -> None:
        """Hand every path `later` held so far to the discard thread."""
        if self._held:
            paths, self._held[:] = list(self._held), []
            self._hand(paths)

    def _hand(self, paths: list[str]) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="agentmake-discard", daemon=True)
            self._thread.start()
        self._queue.put(paths)

    def close(self) -> None:
        """Unlink everything handed over or held so far, then end the thread."""
        self.flush()
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while (paths := self._queue.get()) is not None:
            for path in paths:
                with contextlib.suppress(OSError):  # (gone already; else removed with the stale temps)
                    os.unlink(path)
