"""Shell attempts run on the scheduler thread itself: started where they are launched, watched by one
`Supervisor`, collected as the same ("result", ...) messages a worker posts.

Why: a quick shell task on a worker thread costs two thread hand-offs (to start it, to report it), each a wait
for the GIL while other threads run; on a build of many small tasks those waits set the pace (see
`agentmake.runners.supervise`). Here a freed slot is refilled the moment its child is reaped, in the same
thread that decides what runs next. What cannot run this way (LLM agents, reports, shell agents with a check
command, verbose builds; every task where `runners.supervise.available()` is false) still goes to the
worker pool, whose posts wake the supervisor's wait (`wake`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agentmake.graph import Task
from agentmake.plan import Decision
from agentmake.runners import AttemptResult, Executor
from agentmake.runners.execute import ShellAttempt
from agentmake.runners.process import Child
from agentmake.runners.supervise import Supervisor, available
from agentmake.scheduler.workers import HashStore, StoreBlob, written_outputs
from agentmake.trace import mark

Message = tuple[Any, ...]


class InlineAttempts:
    """Shell attempts started with `start` and collected with `collect`, all from the scheduler thread.
    `on_spawn(task_id, pid, pgid)` is called the moment a child exists (spawn log, `running` table)."""

    def __init__(
        self,
        executor: Executor,
        on_spawn: Callable[[str, int, int], None],
        *,
        root: Path | None = None,
        store_blob: StoreBlob | None = None,
        hash_store: HashStore | None = None,
    ) -> None:
        self.executor = executor
        self.on_spawn = on_spawn
        self.root, self.store_blob, self.hash_store = root, store_blob, hash_store
        self.supervisor = Supervisor(grace=executor.grace)
        self.attempts: dict[str, tuple[ShellAttempt, int, float]] = {}  # task id -> (attempt, n, started)
        self.ended: list[Message] = []  # attempts that ended without a process to wait for

    @staticmethod
    def possible(executor: object) -> bool:
        """Whether attempts of this executor may run inline at all (a real Executor, on this platform)."""
        return isinstance(executor, Executor) and available()

    def start(self, task: Task, decision: Decision, attempt: int, cancel: threading.Event) -> bool:
        """Start an attempt of `task` if it may run inline; False: give it to a worker instead."""
        if not self.executor.runs_inline(task):
            return False
        started = time.time()
        if cancel.is_set():
            self._ended(task, attempt, AttemptResult("cancelled", "cancelled before it started"), started)
            return True
        shell = self.executor.begin_shell(task, attempt)
        if isinstance(shell, AttemptResult):
            self._ended(task, attempt, shell, started)
            return True
        child = self.executor.spawn_shell(shell)
        if not isinstance(child, Child):
            self._ended(task, attempt, self.executor.end_shell(shell, child), started)
            return True
        try:
            self.supervisor.add(task.id, child, shell.timeout, cancel)
        except OSError as exc:  # no descriptor left to watch it with: it was killed; try again later
            self.executor.discard(AttemptResult("ok", staged=shell.staged))
            result = AttemptResult("retry", f"cannot watch its process: {exc}", "exit", log_stem=shell.stem)
            self._ended(task, attempt, result, started)
            return True
        self.attempts[task.id] = (shell, attempt, started)
        self.on_spawn(task.id, child.proc.pid, child.pgid)
        return True

    def __len__(self) -> int:
        return len(self.attempts) + len(self.ended)

    def wake(self) -> None:
        """Called by other threads after posting a message: a `collect` in progress returns."""
        self.supervisor.wake()

    def collect(self, timeout: float) -> list[Message]:
        """Wait up to `timeout` seconds (none if an attempt has ended already) and return the ("result", ...)
        message of every attempt that ended, its outputs hashed and in the blob cache."""
        messages, self.ended = self.ended, []
        for task_id, proc in self.supervisor.wait(0.0 if messages else timeout):
            shell, attempt, started = self.attempts.pop(task_id)
            mark("executed", task_id)
            result = self.executor.end_shell(shell, proc)
            messages.append(self._message(shell.task, attempt, result, started))
            mark("posted", task_id)  # (the timeline's name for a result ready for the scheduler)
        return messages

    def close(self) -> None:
        self.supervisor.close()

    def _ended(self, task: Task, attempt: int, result: AttemptResult, started: float) -> None:
        self.ended.append(self._message(task, attempt, result, started))

    def _message(self, task: Task, attempt: int, result: AttemptResult, started: float) -> Message:
        try:
            result, hashes = written_outputs(task, result, self.root, self.store_blob, self.hash_store)
        except Exception as exc:  # a bug here must fail the task, not the build
            self.executor.discard(result)
            result, hashes = AttemptResult("fatal", f"internal error: {exc!r}", "internal"), None
        return ("result", task.id, attempt, result, hashes, started, time.time())
