"""Outside control of a running build: another thread (watch mode) asks for running tasks to be cancelled."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agentmake.graph import Graph

HOLD_LIMIT = 10.0  # seconds: a hold no `replan` followed (its watcher failed meanwhile) lets the build go on


class BuildControl:
    """Thread-safe requests to cancel tasks. The scheduler calls `take()` on each loop turn and cancels those
    tasks that are running (process group ended, nothing written, recorded as interrupted) — they are stale
    when the next build looks at them, so watch mode runs them again. A request for a task the build has
    already made (or found up to date) whose file changed, or one of whose outputs is gone (`gone`), holds
    back what depends on it and has not started.

    A request may name the file whose change prompted it (`path`): the scheduler then cancels only if that
    file is no longer what the task was decided on (an upstream task of the same build writing the input a
    running task was started with, or a `touch`, is no change, and a paid call is not thrown away for it).

    The files that plan the build (the Agentfile, its includes, prompt files, templates) are being saved:
    `hold` stops the build from starting tasks until `replan` says what the files plan once they are quiet:
    other work (the build starts nothing more and cancels each running task whose key the new graph no
    longer has, `scheduler.replan`), the same (it goes on), or nothing that loads (it starts nothing more:
    an edit is under way)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[str, tuple[str, set[str] | None]] = {}
        self.cancelled: list[str] = []  # task ids the scheduler did cancel
        self._replan: tuple[Graph | None, str] | None = None
        self._hold: float | None = None  # monotonic time of the last `hold` not yet answered by a `replan`
        self._gone: dict[str, set[str]] = {}  # task id -> its outputs found gone (`gone`)

    def cancel(self, task_id: str, reason: str, path: str | None = None) -> None:
        """Cancel `task_id`; with `path`, only if that file (an input, prompt or template of the task) changed
        since the task was decided. Requests for one task add up: any path changed, or one without a path,
        cancels it."""
        with self._lock:
            _, paths = self._requests.get(task_id, (reason, set()))
            if paths is not None and path is not None:
                paths.add(path)
            else:
                paths = None
            self._requests[task_id] = (reason, paths)

    def take(self) -> dict[str, tuple[str, frozenset[str] | None]]:
        """The requests since the last call: task id -> (reason, the paths to check, or None: cancel)."""
        with self._lock:
            requests, self._requests = self._requests, {}
        return {tid: (why, None if ps is None else frozenset(ps)) for tid, (why, ps) in requests.items()}

    def gone(self, task_id: str, path: str) -> None:
        """An output of `task_id` was deleted (or moved away): if the build made it already (or found it up
        to date), what depends on it and has not started is held back; a task not made yet is not
        concerned (it writes its outputs)."""
        with self._lock:
            self._gone.setdefault(task_id, set()).add(path)

    def take_gone(self) -> dict[str, frozenset[str]]:
        """The `gone` requests since the last call: task id -> its outputs found gone."""
        with self._lock:
            gone, self._gone = self._gone, {}
        return {task_id: frozenset(paths) for task_id, paths in gone.items()}

    def hold(self) -> None:
        """Files that plan the build are being saved: start no task until `replan`."""
        with self._lock:
            self._hold = time.monotonic()

    def held(self) -> bool:
        """Whether the build must start nothing now (a `hold` not yet answered, for at most `HOLD_LIMIT`)."""
        with self._lock:
            if self._hold is not None and time.monotonic() - self._hold > HOLD_LIMIT:
                self._hold = None
            return self._hold is not None

    def replan(self, graph: Graph | None, reason: str = "") -> None:
        """Ends a `hold`. With a `reason` (what changed, e.g. "Agentfile changed"): start nothing more, and
        with a `graph` (what the project plans now) cancel the running tasks whose key it no longer has;
        the last such call wins. Without: the same work: go on."""
        with self._lock:
            self._hold = None
            if reason or self._replan is None:
                self._replan = (graph, reason)

    def take_replan(self) -> tuple[Graph | None, str] | None:
        """The newest `replan` request since the last call, or None."""
        with self._lock:
            request, self._replan = self._replan, None
        return request
