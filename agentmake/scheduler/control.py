"""Outside control of a running build: another thread (watch mode) asks for running tasks to be cancelled."""

from __future__ import annotations

import threading


class BuildControl:
    """Thread-safe requests to cancel tasks. The scheduler calls `take()` on each loop turn and cancels those
    tasks that are running (process group ended, nothing written, recorded as interrupted) — they are stale
    when the next build looks at them, so watch mode runs them again.

    A request may name the file whose change prompted it (`path`): the scheduler then cancels only if that
    file is no longer what the task was decided on (an upstream task of the same build writing the input a
    running task was started with, or a `touch`, is no change, and a paid call is not thrown away for it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[str, tuple[str, set[str] | None]] = {}
        self.cancelled: list[str] = []  # task ids the scheduler did cancel

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
