"""The watch of directories outside the project that tasks read through links (`Links.watch_dirs`).

The project is watched recursively; these directories are not (one holding a linked file may be a home
directory), and watchfiles takes one `recursive` for all its paths, so they have a watchfiles of their own,
in a thread of its own. The project's watcher takes what it saw at each of its own turns (`take`: at least
every `quiet_ms`) and treats it as its own; it waits for it to watch before it says it is watching (`ready`),
replaces it by a watch of other directories once that one watches, and raises its failure as its own
(`error`) once it had watched.
"""

from __future__ import annotations

import os
import queue
import threading

import watchfiles


class OutsideWatch:
    """watchfiles over `dirs` (absolute, resolved), not recursive, until `close`."""

    def __init__(self, dirs: frozenset[str], step_ms: int, quiet_ms: int) -> None:
        self.wanted = dirs
        self.dirs = sorted(d for d in dirs if os.path.isdir(d))  # (one gone since: nothing to see)
        self.step_ms, self.quiet_ms = step_ms, quiet_ms
        self.stop = threading.Event()
        self.ready = threading.Event()  # watching, or failed
        self.watching = False  # watchfiles has yielded: it is watching
        self.error: Exception | None = None  # why it stopped (it does not start again by itself)
        self._seen: queue.SimpleQueue[set[tuple[watchfiles.Change, str]]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        if not self.dirs:
            self.ready.set()
            return
        self._thread = threading.Thread(target=self._run, name="agentmake-watch-outside", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for raw in watchfiles.watch(
                *self.dirs,
                watch_filter=None,
                recursive=False,
                step=self.step_ms,
                debounce=1600,
                stop_event=self.stop,
                raise_interrupt=False,
                rust_timeout=self.quiet_ms,
                yield_on_timeout=True,
            ):
                self.watching = True
                self.ready.set()
                if raw:
                    self._seen.put(raw)
        except Exception as exc:  # watchfiles' own errors have no common base class
            if not self.stop.is_set():
                self.error = exc
        finally:
            self.ready.set()

    def take(self) -> list[tuple[watchfiles.Change, str]]:
        """What it saw since the last call."""
        out: list[tuple[watchfiles.Change, str]] = []
        while True:
            try:
                out.extend(self._seen.get_nowait())
            except queue.Empty:
                return out

    def close(self) -> None:
        self.stop.set()
        if self._thread is not None:
            self._thread.join(5)
