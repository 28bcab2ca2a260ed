"""The build loop: one scheduler thread decides, dispatches, commits and records; attempts run inline or on
workers.

Everything that touches the store's database, the hasher or the sink happens on the scheduler thread. Shell
attempts run on it too, where the platform allows (`inline.py`: their children are watched in one epoll
wait); other attempts run on workers, which only run `executor.execute`, hash what it wrote and copy it into
the blob cache, and post their result on a queue (waking that wait). Each task carries a counter of
dependencies not yet succeeded, so a finished task readies its dependents in O(dependents), never by a scan.
Waits use a short timeout so Ctrl-C (KeyboardInterrupt in this thread) is seen promptly.
How ready tasks are decided and started is in `starting.py`; how tasks end (events, records, passing
failures on) in `outcomes.py` (successes), `failing.py`, `spending.py` (what attempts cost) and `ending.py`;
signals, Ctrl-C and watch mode's cancels in `stopping.py`; what is done with the results and processes
attempts post in `results.py`.
"""

from __future__ import annotations

import queue
import signal
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from agentmake.gcpause import end_startup
from agentmake.graph import Graph, Task
from agentmake.natorder import natural_key
from agentmake.plan import Decision, Hasher, Rebuilder
from agentmake.runners.groups import unhurried
from agentmake.runners.local import LocalExecutor
from agentmake.runners.result import AttemptResult
from agentmake.scheduler.commit import remove_stale_temps
from agentmake.scheduler.control import BuildControl
from agentmake.scheduler.discard import Discard
from agentmake.scheduler.earlier import record_found
from agentmake.scheduler.events import BuildResult, TaskEvent, TaskOutcome, emit_up_to_date
from agentmake.scheduler.fastlane import Predecided, predecide
from agentmake.scheduler.gate import CallGate
from agentmake.scheduler.inline import InlineAttempts, usable_cpus
from agentmake.scheduler.limits import Limits
from agentmake.scheduler.processes import ProcessRecorder, tasks_of
from agentmake.scheduler.ready import ReadyQueue, critical_path_weights, expected_durations, priority_keys
from agentmake.scheduler.recover import take_over
from agentmake.scheduler.results import Results
from agentmake.scheduler.tasks import TaskState, is_llm, max_attempts, runner_of
from agentmake.scheduler.workers import WorkerPool
from agentmake.store import Store
from agentmake.trace import mark

if TYPE_CHECKING:
    from agentmake.scheduler.run import BuildOptions

POLL = 0.1  # seconds: longest a queue wait blocks, so KeyboardInterrupt is handled promptly
TICK = 0.2  # seconds between calls of `tick` (display refresh of elapsed times)
# seconds a started process may go unrecorded in the store's `running` table. Trade-off: recording every
# process at once costs a transaction per task (and another to clear it), which dominates quick shell tasks;
# a process that ends within MARK_DELAY is never written at all. A `kill -9` in that window loses nothing:
# the worker appended the process to the build's spawn log when it started it (`agentmake.store.spawnlog`),
# and the next build ends it from there; only `agentmake status` (which reads the table) does not see it.
MARK_DELAY = 0.1


class Build(Results):
    """One build: `run()` drives it to the end and returns the BuildResult."""

    def __init__(
        self,
        graph: Graph,
        rebuilder: Rebuilder,
        executor: LocalExecutor,
        store: Store,
        options: BuildOptions,
        sink: Callable[[TaskEvent], None],
        processes: ProcessRecorder | None,
        control: BuildControl | None = None,
        on_run_id: Callable[[int], None] | None = None,
        hasher: Hasher | None = None,
        tick: Callable[[], None] | None = None,
    ) -> None:
        self.graph, self.rebuilder, self.executor, self.store = graph, rebuilder, executor, store
        self.options, self.sink, self.processes = options, sink, processes
        self.control, self.on_run_id, self.tick = control, on_run_id, tick
        self.last_tick = time.monotonic()
        self.root = graph.agentfile.root
        found = hasher if hasher is not None else getattr(rebuilder, "hasher", None)
        if found is None:
            raise TypeError("run_build needs the rebuilder's Hasher (rebuilder.hasher or hasher=)")
        self.hasher: Hasher = found
        self.queue: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        af = graph.agentfile
        self.limits = Limits(options.jobs, {name: r.parallel for name, r in af.runners.items()})
        self.tasks: dict[str, TaskState] = {}  # filled by `_setup` (a no-op build never needs them)
        self.keys: dict[str, Any] = {}
        self.undecided = ReadyQueue(self.keys)
        self.parked: dict[str | None, ReadyQueue] = {}  # decided "run", waiting for a slot, per runner
        self.delayed: list[tuple[float, int, str]] = []  # (due, seq, task id): retries in backoff
        self.running: dict[str, TaskState] = {}
        self.predecided: dict[str, Decision] = {}  # decisions taken up front (fastlane), used by `_decide`
        self.not_run = []  # (`Ending._emit`: told in natural order, `_tell_not_run`)
        self.seq = 0
        self.stop_reason: str | None = None
        self.replanned: str | None = None
        self.gate = CallGate(options.budget)  # whether LLM agents may still be called (`scheduler.gate`)
        self.interrupted = False
        self.run_id = 0
        self.result = BuildResult(0)
        self.sigints = 0
        self.stopped_by = "Ctrl-C"
        store_blob = getattr(store, "store_blob", None)
        hash_store = getattr(store, "hash_and_store_blob", None)
        self.pool = WorkerPool(
            executor, self._post, root=self.root, store_blob=store_blob, hash_store=hash_store
        )
        self.inline: InlineAttempts | None = None  # shell attempts run on this thread (`scheduler.inline`)
        if InlineAttempts.possible(executor):
            self.inline = InlineAttempts(
                executor,
                self._spawned,
                note=processes.note if processes is not None else None,
                spawners=options.jobs if options.jobs > usable_cpus() else 0,
                root=self.root,
                store_blob=store_blob,
                hash_store=hash_store,
            )
        self.discard = Discard(held=True)  # (handed over when the loop is about to wait: `_loop`)
        self.marks: dict[str, tuple[int, int, float]] = {}  # processes not yet written: id -> pid, pgid, when
        self.freed: tuple[float, str] | None = None  # (time.time(), task id): last slot freed of all taken
        self.freed_by_runner: dict[str, tuple[float, str]] = {}  # the same, per runner
        self.marked: set[str] = set()  # tasks whose process is written in the store's `running` table

    def _setup(self, pre: Predecided | None = None) -> None:
        """Task states and priorities; tasks found quiet up front are finished at once, in bulk."""
        graph, af, store = self.graph, self.graph.agentfile, self.store
        quiet = set(pre.quiet) if pre is not None else set()
        self.predecided = dict(pre.decisions) if pre is not None else {}
        now = time.time()
        for task_id, task in graph.tasks.items():
            runner = runner_of(task, af)
            waiting_on = sum(1 for d in graph.deps.get(task_id, ()) if d in graph.tasks and d not in quiet)
            outcome = TaskOutcome(task_id, "pending")
            if task_id in quiet:
                outcome.state, outcome.ended_at = "up-to-date", now
            self.tasks[task_id] = TaskState(
                task, runner, is_llm(task), max_attempts(task, runner, af), waiting_on, outcome
            )
        active = graph  # priorities only matter to tasks that may run
        if quiet:
            active = replace(graph, tasks={t: k for t, k in graph.tasks.items() if t not in quiet})
        weights = critical_path_weights(active, expected_durations(active, store.mean_durations()))
        self.keys.update(priority_keys(active, weights))
        self.result.outcomes = {tid: t.outcome for tid, t in self.tasks.items()}
        if pre is not None:
            emit_up_to_date(self.sink, pre.quiet, now)

    def _quick_finish(self, pre: Predecided) -> dict[str, int]:
        """Every task is up to date with nothing to tell: outcomes and one bulk notice, no per-task states."""
        now = time.time()
        self.result.outcomes = {tid: TaskOutcome(tid, "up-to-date", ended_at=now) for tid in pre.quiet}
        emit_up_to_date(self.sink, pre.quiet, now)
        return {"up-to-date": len(pre.quiet)} if pre.quiet else {}

    # -- the loop -----------------------------------------------------------------------------------------

    def run(self) -> BuildResult:
        self.run_id = self.store.begin_run()
        if self.on_run_id is not None:
            self.on_run_id(self.run_id)
        self.result = BuildResult(self.run_id, started_at=time.time(), budget=self.options.budget)
        self.result.log_dir = getattr(self.executor, "log_dir", None)  # (a test double may have none)
        if self.processes is not None:
            self.processes.run_id = self.run_id
            self.processes.post = self._post
        self.executor.calls_held = self._calls_held
        self.executor.on_found = self._found
        unhurried()  # (a second Ctrl-C that ended an earlier build of this process, in watch mode)
        previous_handlers = self._catch_signals()
        # a write waiting for the state database's lock (another program holds it) waits until it is free,
        # unless the build is stopped meanwhile (`agentmake.store.busy`; test doubles have no `busy`)
        busy = getattr(self.store, "busy", None)
        if busy is not None:
            busy.stop = self._stop_waiting
        counts: dict[str, int] | None = None
        try:
            tidy_left = getattr(self.executor, "tidy_left", None)  # (absent from test doubles)
            taken = take_over(self.store, self.hasher, self.root, self.run_id, tidy_left, ours=self.run_id)
            self.result.ended_left = tasks_of(taken.ended)
            self.result.placed_left = taken.restored
            # (what the killed builds spent is on no summary line: on this one, and against its budget
            # before any call starts, as a salvaged answer's spend no build reported is, `spending._add_cost`;
            # marked reported as this build ends, `end_run`)
            self.result.placed_cost, self.result.placed_tokens = taken.cost, taken.tokens
            self.result.paid_left = taken.paid_tasks
            unsaid = getattr(self.store, "ended_unsaid", None)  # (test doubles of the store may lack it)
            # (a build killed as it printed its line said at most its own spend and that of builds before it;
            # marked reported with those this line says: one that spent nothing of its own has no row here,
            # and else stayed unreported, named by every later build that says some killed build's spend)
            repeats = unsaid(self.run_id) if unsaid is not None and taken.summed else []
            self.result.repeats = [r for r in repeats if r >= min(taken.summed)]
            self.result.summed = sorted({*taken.summed, *self.result.repeats})
            if taken.cost:
                self.gate.spend(taken.cost)
            self.result.saved_left = {out: str(copy) for out, copy in taken.saved.items()}
            if self.processes is not None:
                self.processes.start_logging()
            remove_stale_temps(self.root, (p for t in self.graph.tasks.values() for p in t.outputs))
            mark("run")
            pre = predecide(self.graph, self.rebuilder, self._check_sigint)
            mark("predecided", str(len(pre.decisions)))  # (how many it decided)
            if pre.complete:
                counts = self._quick_finish(pre)
            else:
                end_startup()  # (the collector, paused while the program started: `launch`)
                self._setup(pre)
                self._start()
                self._loop()
        except KeyboardInterrupt:
            if not self.tasks:
                self._setup()
            self._interrupt()
        except BaseException:
            self._cancel_running()
            raise
        finally:
            if busy is not None:
                busy.stop = None
            self.pool.close()
            if self.inline is not None:
                self.inline.close()
            self.discard.close()
            for signum, handler in previous_handlers.items():
                signal.signal(signum, handler)
            if self.processes is not None:
                self.processes.post = None
                self.processes.stop_logging(all_ended=not self.running)
            self.executor.calls_held = None
            self.executor.on_found = None
        if counts is None:
            self._sweep()
            self._tell_not_run()
            counts = {}
            for t in self.tasks.values():
                counts[t.state] = counts.get(t.state, 0) + 1
        self.result.ended_at = time.time()
        # (a Ctrl-C that came as the build wound down, after the loop's last look: the user asked to stop)
        self.result.interrupted = self.interrupted or self.sigints > 0
        self._add_found()
        # (a line that reports spend is marked said only once it is out, `Journal.line_said`: a kill -9
        # before that leaves it to the next build, never to no line)
        r = self.result
        r.said_later = r.cost_usd is not None or r.tokens is not None or bool(r.summed)
        self.store.end_run(self.run_id, counts, r.summed, said=not r.said_later)
        self._rekey_answers()
        self.hasher.flush()
        mark("build-end")
        return self.result

    def _rekey_answers(self) -> None:
        """The attempts' key files naming a key the build rekeyed off a secret (`Store.secret_rekeys`) name
        the new key (`runners.salvage`): the old one is kept nowhere (test doubles lack either side)."""
        rekeys = getattr(self.store, "secret_rekeys", None)
        rekey = getattr(self.executor, "rekey_answers", None)
        if rekeys and rekey is not None:
            for task_id, (old_key, key) in rekeys.items():
                rekey(task_id, old_key, key)
            rekeys.clear()

    def _start(self) -> None:
        for t in self.tasks.values():
            if t.state == "pending":
                self._emit(t, "pending")
        for task_id, t in self.tasks.items():
            if t.state != "pending":
                continue  # finished up front (quiet and up to date)
            if t.waiting_on == 0:
                self.undecided.push(task_id)
            else:
                self._emit(t, "waiting")

    def _loop(self) -> None:
        while True:
            self._check_sigint()
            self._drain(block=False)
            if self.control is not None:
                self._take_cancels(self.control)
            self._release_due_retries()
            self._dispatch()
            if self.undecided and self.stop_reason is None and not self._held():
                self._decide(self.tasks[self.undecided.pop()])
                continue
            idle = not self.running and not self.delayed and not self._held()
            if idle and (self.stop_reason is not None or not any(self.parked.values())):
                return
            # bookkeeping that no start waits for is done here, with nothing left to decide or start, just
            # before the wait: not between the results of a burst and the starts they allow
            if self.marks:
                self._write_marks(time.monotonic() - MARK_DELAY)
            if self.tick is not None and time.monotonic() - self.last_tick >= TICK:
                self.last_tick = time.monotonic()
                self.tick()
            self.discard.flush()  # (its thread unlinks while this one waits)
            if self.not_run:
                self._tell_not_run()
            self._drain(block=True)

    def _drain(self, block: bool) -> None:
        timeout = 0.0
        if block:
            timeout = POLL
            if self.delayed:
                timeout = min(timeout, max(self.delayed[0][0] - time.monotonic(), 0.0))
            if self.marks:
                oldest = min(when for _, _, when in self.marks.values())
                timeout = min(timeout, max(oldest + MARK_DELAY - time.monotonic(), 0.0))
        messages = self._receive(timeout)
        if messages:  # (most looks between two decisions find nothing)
            self._handle_all(messages)

    def _receive(self, timeout: float) -> list[tuple[Any, ...]]:
        """What ended attempts (inline and on workers) and workers' processes report, waiting up to `timeout`
        seconds for the first of it."""
        if self.inline is not None:
            messages = self.inline.collect(timeout)  # (a worker's post wakes this wait)
        else:
            try:
                messages = [self.queue.get(timeout=timeout)] if timeout > 0 else []
            except queue.Empty:
                return []
        while not self.queue.empty():  # (only this thread takes; a post after this look wakes the next)
            messages.append(self.queue.get_nowait())
        return messages

    def _found(self, task: Task, found: list[AttemptResult]) -> None:
        """What earlier attempts of `task` paid for and no answer comes of, told by its first attempt before
        it calls (`Executor.on_found`, from a worker): recorded now (`earlier.record_found`)."""
        record_found(self.store, self.gate, self.run_id, self.tasks[task.id], found)

    def _add_found(self) -> None:
        """The spend this build found and recorded (`earlier.record_found`), paid by killed builds, goes on
        its summary line with what those builds left (`placed_cost`): the line this build's end marks said."""
        found_in = getattr(self.store, "found_in", None)  # (test doubles of the store may lack it)
        rows = found_in(self.run_id) if found_in is not None else []
        if not rows:
            return
        costs = [r.cost_usd for r in rows if r.cost_usd is not None]
        if costs:
            self.result.placed_cost = (self.result.placed_cost or 0.0) + sum(costs)
        if any(r.tokens_in is not None or r.tokens_out is not None for r in rows):
            tin, tout = self.result.placed_tokens or (0, 0)
            tin += sum(r.tokens_in or 0 for r in rows)
            tout += sum(r.tokens_out or 0 for r in rows)
            self.result.placed_tokens = (tin, tout)
        tasks = set(self.result.paid_left) | {r.task_id for r in rows}
        self.result.paid_left = sorted(tasks, key=natural_key)

    def _calls_held(self, task: Task) -> str | None:
        """Why `task`'s agent may not be called now, None if it may (a shell agent calls none): asked from
        a worker by an attempt whose outputs in place failed the new check (`Executor.calls_held`)."""
        t = self.tasks[task.id]  # (its runner and kind, set once before any attempt: safe to read here)
        return self.gate.why_not(t.runner) if t.llm else None

    def _post(self, message: tuple[Any, ...]) -> None:
        """How workers (and the process recorder, from workers) hand a message to this thread."""
        self.queue.put(message)
        if self.inline is not None:
            self.inline.wake()

    def _spawned(self, task_id: str, pid: int, pgid: int) -> None:
        """An inline attempt's child exists (and is in the spawn log): into the `running` table soon, as a
        worker's child is through `ProcessRecorder`."""
        if self.processes is not None:
            self._handle(("process", task_id, pid, pgid))
        elif self.executor.on_process is not None:
            self.executor.on_process(task_id, pid, pgid)

    def _stop_waiting(self) -> str | None:
        """Why a write waiting for the state database's lock should give up now: Ctrl-C, SIGTERM or SIGHUP."""
        return "the build was stopped" if self.sigints else None
