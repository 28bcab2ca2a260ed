"""Outside control of a running build: another thread (watch mode) asks for running tasks to be cancelled."""

from __future__ import annotations

import threading


class BuildControl:
    """Thread-safe requests to cancel tasks. The scheduler calls `take()` on each loop turn and cancels those
    tasks that are running (process group ended, nothing written, recorded as interrupted) — they are stale
    when the next build looks at them, so watch mode runs them again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[str, str] = {}
        self.cancelled: list[str] = []  # task ids the scheduler did cancel

    def cancel(self, task_id: str, reason: str) -> None:
        with self._lock:
            self._requests[task_id] = reason

    def take(self) -> dict[str, str]:
        with self._lock:
            requests, self._requests = self._requests, {}
        return requests
