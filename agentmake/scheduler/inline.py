"""Shell attempts run on the scheduler thread itself: started where they are launched, watched by one
`Supervisor`, collected as the same ("result", ...) messages a worker posts.

Why: a quick shell task on a worker thread costs two thread hand-offs (to start it, to report it), each a wait
for the GIL while other threads run; on a build of many small tasks those waits set the pace (see
`agentmake.runners.supervise`). Here a freed slot is refilled the moment its child is reaped, in the same
thread that decides what runs next. What cannot run this way (LLM agents, reports, shell agents with a check
command, verbose builds; every task where `runners.supervise.available()` is false) still goes to the
worker pool, whose posts wake the supervisor's wait (`wake`).

Spawning: starting a child blocks its caller until the child has exec'd (vfork), then until the caller gets
a CPU again. Usually one is free at once and the scheduler thread spawns itself. But with more slots than
CPUs, all of them busy computing (`-j 8` of CPU-bound tasks on 2 CPUs), that second wait lasts up to a time
slice, and a spawn on the scheduler thread would stall every other slot. So when spawns have become slow
(their recent mean over `SLOW` seconds) while more children may run than there are CPUs, spawns go to
helper threads (`spawners`, one per slot at most) that only start children, log them in the spawn log
(`note`) and hand them over; once spawns are quick again, the scheduler thread takes them back. (With no
more slots than CPUs a helper only adds hand-offs: measured slower, so it is never used then.)
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agentmake.graph import Task
from agentmake.plan import Decision
from agentmake.runners.local import LocalExecutor
from agentmake.runners.process import Child, ProcResult
from agentmake.runners.result import AttemptResult
from agentmake.runners.shell import ShellAttempt
from agentmake.runners.supervise import Supervisor, available
from agentmake.scheduler.workers import HashStore, StoreBlob, error_text, internal_error, written_outputs
from agentmake.trace import mark

Message = tuple[Any, ...]


Spawned = Callable[[str, int, int], None]  # (task id, pid, pgid)
SLOW = 0.0004  # seconds: a spawn slower than this waited for a CPU (an idle machine spawns in ~0.15 ms)
WEIGHT = 0.05  # of the latest spawn in the running mean of spawn times (a burst of a few does not decide)
IDLE = 0.1  # seconds without a spawn after which the mean starts again from zero


def usable_cpus() -> int:
    """How many CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class InlineAttempts:
    """Shell attempts started with `start` and collected with `collect`, both from the scheduler thread.
    `note(task_id, pid, pgid)` is called by whichever thread started a child, the moment it exists (the
    spawn log); `on_spawn(task_id, pid, pgid)` then on the scheduler thread (the `running` table).
    `spawners`: how many helper threads may start children (0: the scheduler thread does)."""

    def __init__(
        self,
        executor: LocalExecutor,
        on_spawn: Spawned,
        *,
        note: Spawned | None = None,
        spawners: int = 0,
        root: Path | None = None,
        store_blob: StoreBlob | None = None,
        hash_store: HashStore | None = None,
    ) -> None:
        self.executor = executor
        self.on_spawn, self.note = on_spawn, note
        self.root, self.store_blob, self.hash_store = root, store_blob, hash_store
        self.supervisor = Supervisor(grace=executor.grace)
        self.attempts: dict[str, tuple[ShellAttempt, int, float]] = {}  # task id -> (attempt, n, started)
        self.ended: list[Message] = []  # attempts that ended without a process to wait for
        self.spawners = spawners
        self.spawn_time = 0.0  # running mean of recent spawns' seconds (see the module docstring)
        self.last_spawn = 0.0  # monotonic
        self.starting: dict[str, tuple[ShellAttempt, int, float, threading.Event]] = {}  # on a spawner
        self.requests: queue.SimpleQueue[ShellAttempt | None] = queue.SimpleQueue()
        self.spawned: queue.SimpleQueue[tuple[str, Child | ProcResult]] = queue.SimpleQueue()
        self.threads: list[threading.Thread] = []
        self.closing = False  # set by `close`: spawners start nothing more

    @staticmethod
    def possible(executor: object) -> bool:
        """Whether attempts of this executor may run inline at all (a real executor, on this platform)."""
        return isinstance(executor, LocalExecutor) and available()

    def start(self, task: Task, decision: Decision, attempt: int, cancel: threading.Event) -> bool:
        """Start an attempt of `task` if it may run inline; False: give it to a worker instead."""
        if not self.executor.runs_inline(task):
            return False
        started = time.time()
        if cancel.is_set():
            self._ended(task, attempt, AttemptResult("cancelled", "cancelled before it started"), started)
            return True
        try:
            shell = self.executor.begin_shell(task, attempt)
        except Exception as exc:  # e.g. an output directory that cannot be made: fail the task, as a worker
            shell = internal_error(exc)
        if isinstance(shell, AttemptResult):
            self._ended(task, attempt, shell, started)
            return True
        if self.spawners and self._spawns_slow():
            self.starting[task.id] = (shell, attempt, started, cancel)
            self.requests.put(shell)
            if len(self.threads) < min(self.spawners, len(self.starting)):
                thread = threading.Thread(target=self._serve, name="agentmake spawner", daemon=True)
                self.threads.append(thread)
                thread.start()
            return True
        child = self._spawn(shell)
        self._watch(shell, attempt, started, cancel, child)
        return True

    def _spawns_slow(self) -> bool:
        """Whether recent spawns waited for a CPU: their running mean is over `SLOW`. After `IDLE` seconds
        without a spawn that mean counts as zero, as `_spawn` restarts it: the first spawns of a new wave
        (the tasks a finished one made ready) are not sent to spawner threads for what the last wave's did
        long ago; a thread's spawn waits for the GIL while this thread decides the next task, milliseconds
        per child (measured)."""
        recent = time.monotonic() - self.last_spawn < IDLE
        return (self.spawn_time if recent else 0.0) > SLOW

    def _spawn(self, shell: ShellAttempt) -> Child | ProcResult:
        """Start the attempt's child (on any thread), log it, and count how long that took."""
        began = time.monotonic()
        try:
            child = self.executor.spawn_shell(shell)
        except Exception as exc:  # (not OSError: that is a result already) a bug must fail the task only
            child = ProcResult(None, start_error=error_text(exc))
        now = time.monotonic()
        mean = self.spawn_time if began - self.last_spawn < IDLE else 0.0
        self.spawn_time = mean + WEIGHT * (now - began - mean)  # (threads racing here lose a sample)
        self.last_spawn = now
        if self.note is not None and isinstance(child, Child):
            # (a full disk) the spawn log is a safety net: the `running` table still gets the process
            with contextlib.suppress(OSError):
                self.note(shell.task.id, child.proc.pid, child.pgid)
        return child

    def _serve(self) -> None:
        """A spawner thread: start the children asked for, log each, hand it to the scheduler thread."""
        while (shell := self.requests.get()) is not None:
            if self.closing:  # the build is over: start nothing more
                continue
            self.spawned.put((shell.task.id, self._spawn(shell)))
            self.supervisor.wake()

    def _watch(
        self,
        shell: ShellAttempt,
        attempt: int,
        started: float,
        cancel: threading.Event,
        child: Child | ProcResult,
    ) -> None:
        """Watch a child just started (or end an attempt whose child could not start or be watched)."""
        task = shell.task
        if not isinstance(child, Child):
            self._ended(task, attempt, self.executor.end_shell(shell, child), started)
            return
        try:
            self.supervisor.add(task.id, child, shell.timeout, cancel)
        except OSError as exc:  # no descriptor left to watch it with: it was killed; try again later
            self.executor.discard(AttemptResult("ok", staged=shell.staged))
            result = AttemptResult("retry", f"cannot watch its process: {exc}", "exit", log_stem=shell.stem)
            self._ended(task, attempt, result, started)
            return
        self.attempts[task.id] = (shell, attempt, started)
        self.on_spawn(task.id, child.proc.pid, child.pgid)

    def __len__(self) -> int:
        return len(self.attempts) + len(self.ended) + len(self.starting)

    def wake(self) -> None:
        """Called by other threads after posting a message: a `collect` in progress returns."""
        self.supervisor.wake()

    def collect(self, timeout: float) -> list[Message]:
        """Wait up to `timeout` seconds (none if an attempt has ended already) and return the ("result", ...)
        message of every attempt that ended, its outputs hashed and in the blob cache. Children the
        spawners started meanwhile are watched from now on (a spawner's hand-over ends the wait)."""
        self._take_spawned()
        messages, self.ended = self.ended, []
        for task_id, proc in self.supervisor.wait(0.0 if messages else timeout):
            shell, attempt, started = self.attempts.pop(task_id)
            mark("executed", task_id)
            try:
                result = self.executor.end_shell(shell, proc)
            except Exception as exc:
                self.executor.discard(AttemptResult("ok", staged=shell.staged))
                result = internal_error(exc)
            messages.append(self._message(shell.task, attempt, result, started))
            mark("posted", task_id)  # (the timeline's name for a result ready for the scheduler)
        self._take_spawned()
        messages += self.ended
        self.ended = []
        return messages

    def _take_spawned(self) -> None:
        if not self.starting:  # (nothing is with a spawner: nothing can be handed over)
            return
        while True:
            try:
                task_id, child = self.spawned.get_nowait()
            except queue.Empty:
                return
            shell, attempt, started, cancel = self.starting.pop(task_id)
            self._watch(shell, attempt, started, cancel, child)

    def close(self) -> None:
        """Stop the spawners (a child one started meanwhile is watched, so it is killed below) and kill
        whatever is still running (a build that ends normally has nothing left)."""
        self.closing = True
        for _ in self.threads:
            self.requests.put(None)
        for thread in self.threads:  # each finishes the spawn it is in, if any, and starts no other
            thread.join(timeout=10)
        self._take_spawned()
        self.supervisor.close()

    def _ended(self, task: Task, attempt: int, result: AttemptResult, started: float) -> None:
        self.ended.append(self._message(task, attempt, result, started))

    def _message(self, task: Task, attempt: int, result: AttemptResult, started: float) -> Message:
        ended = time.time()  # (before the outputs are read, as `workers.run_attempt` takes it)
        try:
            result, hashes = written_outputs(task, result, self.root, self.store_blob, self.hash_store)
        except Exception as exc:  # a bug here must fail the task, not the build
            self.executor.discard(result)
            result, hashes = internal_error(exc), None
        return ("result", task.id, attempt, result, hashes, started, ended)
