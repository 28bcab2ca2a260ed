"""Worker threads: each runs one attempt at a time and posts its result to the scheduler's queue.

The pool grows on demand up to the number of attempts running at once (at most `jobs`), so starting an attempt
is a queue put, not a thread start (a `Thread.start()` waits for the new thread to be scheduled: milliseconds
when the GIL is busy). Workers never touch the store's database, the hasher or the sink: after a successful
attempt they hash what it wrote and copy it into the blob cache (`store_blob`: content-addressed files written
atomically, safe from any thread; `hash_store` hashes and stores from one read), so the scheduler thread only
records the task and renames its outputs.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from agentmake.graph import Task
from agentmake.plan import Decision
from agentmake.plan.hashing import hash_path
from agentmake.runners.local import LocalExecutor
from agentmake.runners.result import AttemptResult
from agentmake.scheduler.commit import hash_staged
from agentmake.trace import mark

Job = tuple[Task, Decision, int, threading.Event]
StoreBlob = Callable[[str, Path], int]  # (digest, file) -> blob size
HashStore = Callable[[Path], "tuple[str, bool]"]  # file -> (digest, stored in the blob cache)


class WorkerPool:
    def __init__(
        self,
        executor: LocalExecutor,
        post: Callable[[tuple[Any, ...]], None],
        *,
        root: Path | None = None,
        store_blob: StoreBlob | None = None,
        hash_store: HashStore | None = None,
    ) -> None:
        self.executor = executor
        self.post = post
        self.root = root
        self.store_blob = store_blob
        self.hash_store = hash_store
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
            self.post(
                run_attempt(
                    self.executor,
                    *job,
                    root=self.root,
                    store_blob=self.store_blob,
                    hash_store=self.hash_store,
                )
            )


def run_attempt(
    executor: LocalExecutor,
    task: Task,
    decision: Decision,
    attempt: int,
    cancel: threading.Event,
    *,
    root: Path | None = None,
    store_blob: StoreBlob | None = None,
    hash_store: HashStore | None = None,
) -> tuple[Any, ...]:
    """Run one attempt; after a success hash what it wrote (staged outputs, and outputs written in place when
    `root` is given) and copy it into the blob cache (`store_blob`). `hash_store` (the store's
    `hash_and_store_blob`) does both for a staged output from one read of the file. Returns the
    ("result", ...) message for the scheduler; its `hashes` are output path -> digest of every output
    written, its end time taken before they were read (a write after it is not taken for what was hashed)."""
    started = time.time()
    ended: float | None = None
    hashes: dict[str, str] | None = None
    try:
        result = executor.execute(task, decision, attempt, cancel)
        mark("executed", task.id)
        ended = time.time()  # (before its outputs are read: `Hasher.note_written` pairs their hashes with it)
        result, hashes = written_outputs(task, result, root, store_blob, hash_store)
    except Exception as exc:  # a bug in a runner must fail the task, not hang the build
        result = internal_error(exc)
    mark("posted", task.id)
    return ("result", task.id, attempt, result, hashes, started, time.time() if ended is None else ended)


def internal_error(exc: Exception) -> AttemptResult:
    """What an exception in a runner makes of its attempt: the task fails (not retried), not the build."""
    return AttemptResult("fatal", message=error_text(exc), error_type="internal")


def error_text(exc: Exception) -> str:
    """An unexpected exception as a message: an OSError is the machine (a full disk, `.agentmake/logs` made
    a file), not a bug, and its text names the file (its repr does not)."""
    if isinstance(exc, OSError):
        return f"cannot use a file: {exc}"
    return f"internal error: {exc!r}"


def written_outputs(
    task: Task,
    result: AttemptResult,
    root: Path | None,
    store_blob: StoreBlob | None,
    hash_store: HashStore | None,
) -> tuple[AttemptResult, dict[str, str] | None]:
    """After a successful attempt: the digest of every output written (see `run_attempt`), each copied into
    the blob cache; None for an attempt that failed, or that made nothing (its outputs in place passed the
    task's new check, which rewrote none of them: `AttemptResult.in_place`). An output that cannot be read
    fails the attempt."""
    if result.outcome != "ok" or (result.in_place and not result.staged):
        return result, None
    try:
        files = dict(result.staged)
        if hash_store is not None:
            hashes = {path: hash_store(tmp)[0] for path, tmp in files.items()}
        else:
            hashes = hash_staged(files)
        if root is not None:
            for path in task.outputs:  # an output the runner wrote in place rather than staged
                if path not in hashes and (target := root / path).is_file():
                    hashes[path] = hash_path(target)
                    files[path] = target
        if store_blob is not None:  # (staged outputs are in the cache already with `hash_store`)
            staged = result.staged if hash_store is not None else {}
            todo = {p: d for p, d in hashes.items() if p not in staged}
            _store_blobs(store_blob, todo, files)
    except OSError as exc:
        failed = replace(result, outcome="fatal", error_type="no-output", message=f"staged output: {exc}")
        return failed, None
    return result, hashes


def _store_blobs(store_blob: StoreBlob, hashes: dict[str, str], files: dict[str, Path]) -> None:
    """Copy each output into the blob cache; a failure here is left to the scheduler's record (which copies
    what is missing and reports the error)."""
    for path, digest in hashes.items():
        try:
            store_blob(digest, files[path])
        except OSError:
            return
