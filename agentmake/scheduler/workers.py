"""Worker threads: each runs one attempt at a time and posts its result to the scheduler's queue.

The pool grows on demand up to the number of attempts running at once (at most `jobs`), so starting an attempt
is a queue put, not a thread start (a `Thread.start()` waits for the new thread to be scheduled: milliseconds
when the GIL is busy). Workers never touch the store, the hasher or the sink.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from agentmake.graph import Task
from agentmake.plan import Decision
from agentmake.runners import AttemptResult, Executor
from agentmake.scheduler.commit import hash_staged

Job = tuple[Task, Decision, int, threading.Event]


class WorkerPool:
    def __init__(self, executor: Executor, post: Callable[[tuple[Any, ...]], None]) -> None:
        self.executor = executor
        self.post = post
        self.inbox: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self.threads: list[threading.Thread] = []

    def submit(self, job: Job, running: int) -> None:
        """Queue `job`; `running` counts attempts started and not yet finished, this one included."""
        self.inbox.put(job)
        if len(self.threads) < running:
            thread = threading.Thread(
                target=self._serve, name=f"agentmake worker {len(self.threads)}", daemon=True
            )
            self.threads.append(thread)
            thread.start()

    def close(self) -> None:
        for _ in self.threads:
            self.inbox.put(None)

    def _serve(self) -> None:
        while (job := self.inbox.get()) is not None:
            self.post(run_attempt(self.executor, *job))


def run_attempt(
    executor: Executor, task: Task, decision: Decision, attempt: int, cancel: threading.Event
) -> tuple[Any, ...]:
    """Run one attempt, hash what it staged; returns the ("result", ...) message for the scheduler."""
    started = time.time()
    hashes: dict[str, str] | None = None
    try:
        result = executor.execute(task, decision, attempt, cancel)
        if result.outcome == "ok":
            try:
                hashes = hash_staged(result.staged)
            except OSError as exc:
                result = replace(
                    result, outcome="fatal", error_type="no-output", message=f"staged output: {exc}"
                )
    except Exception as exc:  # a bug in a runner must fail the task, not hang the build
        result = AttemptResult("fatal", message=f"internal error: {exc!r}", error_type="internal")
    return ("result", task.id, attempt, result, hashes, started, time.time())
