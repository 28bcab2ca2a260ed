"""What the scheduler thread does with what attempts post: a success's slot freed and given on before it is
recorded (several recorded in one transaction), a failure retried after its backoff or failed, a process
written to the store's `running` table once it has run `loop.MARK_DELAY`. `loop.Build` drives the loop.
"""

from __future__ import annotations

import heapq
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from agentmake.runners import AttemptResult
from agentmake.scheduler.backoff import backoff_delay
from agentmake.scheduler.events import TaskEvent
from agentmake.scheduler.failing import not_retried
from agentmake.scheduler.processes import ProcessRecorder
from agentmake.scheduler.ready import park
from agentmake.scheduler.stopping import Stopping
from agentmake.scheduler.tasks import TERMINAL, TaskState
from agentmake.store.busy import StateBusy
from agentmake.trace import mark

# how many more times `_handle_all` takes what ended while the slots its successes freed were given on, before
# it records them: each time starts tasks (a few hundred microseconds each), during which more may end
MORE = 2


class Results(Stopping):
    """Attempts' results and processes, as posted (see the module docstring)."""

    processes: ProcessRecorder | None
    marks: dict[str, tuple[int, int, float]]  # processes not yet written: id -> pid, pgid, when
    marked: set[str]  # tasks whose process is written in the store's `running` table
    seq: int
    held_seen: tuple[int, bool] = (0, False)  # `CallGate.held()` as the retries in backoff were looked at

    if TYPE_CHECKING:  # (`loop.Build`'s)

        def _receive(self, timeout: float) -> list[tuple[Any, ...]]: ...

    def _handle_all(self, messages: list[tuple[Any, ...]]) -> None:
        """Handle what the workers posted, freed slots first: the slot of every successful attempt is given
        to a task that was ready already *before* the attempt is recorded and its outputs renamed, so a
        burst of results (a wave of equal tasks ending together) does not leave slots idle while each one
        is committed in turn. A failure is handled before any slot is refilled (without -k it stops new
        starts); a dependent of a success is still started only after that success is committed, so a slot
        goes early only to a task that ranks before every dependent the successes are about to make ready
        (the critical path keeps its place). What ended while those tasks were started is taken too,
        without waiting (`_receive(0)`), and handled the same way (up to `MORE` times): its successes are
        recorded in the same transaction (`_record_together`), before any of them is renamed or told done.
        No look waits. The events are told in the order things happened: the successes of a look, then
        the tasks started in the slots they freed, then what the next look took (a -j 1 log reads "done
        a", "running b", "done b", "running c", though b and c started before a was recorded)."""
        successes: list[tuple[Any, ...]] = []
        clears: list[str] = []  # tasks whose row in the `running` table goes with the records (below)
        # per look that found successes: how many successes were taken by then, and the events held to be
        # told after those are told done (its starts, then what the next look's handling told)
        told: list[tuple[int, list[TaskEvent]]] = []
        said = 0  # how many of `told` were said
        try:
            for more in range(MORE + 1):
                self.deferred = told[-1][1] if told else None  # (a further look's: after those started)
                try:
                    found = self._sort_out(messages, successes, clears)
                finally:
                    self.deferred = None
                if not found:
                    break
                told.append((len(successes), []))
                self.deferred = told[-1][1]
                try:
                    self._dispatch(before=self._soon_ready([m[1] for m in successes]))
                finally:
                    self.deferred = None
                if more == MORE:
                    break
                messages = self._receive(0.0)  # (ended while those started: no wait)
            if not successes:
                for task_id in clears:
                    self.store.clear_running(task_id)
                return
            recorded = self._record_together(successes, clears)
            first = 0
            for taken, events in told:
                for _, task_id, _attempt, result, hashes, started, ended in successes[first:taken]:
                    self._on_result(
                        self.tasks[task_id], result, hashes, started, ended, released=True, recorded=recorded
                    )
                first, said = taken, said + 1
                for event in events:
                    self.sink(event)
        finally:
            for _, events in told[said:]:
                for event in events:
                    self.sink(event)

    def _sort_out(
        self, messages: list[tuple[Any, ...]], successes: list[tuple[Any, ...]], clears: list[str]
    ) -> int:
        """Handle `messages`, but for successes: those have their slot freed and are added to `successes`
        (and their `running` row, if written, to `clears`) to be recorded together; returns how many."""
        found = 0
        for message in messages:
            # (a re-check's rewrite is recorded only once its outputs are known unedited: `_passed_in_place`)
            ok = message[0] == "result" and message[3].outcome == "ok" and not message[3].in_place
            if ok and message[4] is not None:
                t = self.tasks[message[1]]
                t.outcome.runs.append((message[5], message[6]))
                mark("received", t.id)
                if self._release(t, message[3], clear=False):
                    clears.append(t.id)
                if not self._moved(t, message[3]):
                    successes.append(message)
                    found += 1
            else:
                self._handle(message)
        return found

    def _record_together(self, successes: list[tuple[Any, ...]], clears: list[str]) -> bool:
        """Record the successes in one transaction (renamed into place only afterwards, each in turn), with
        the `running` rows of `clears` deleted in it (their processes are gone; a kill before it leaves rows
        the next build finds dead and clears, as ever): one commit instead of one per task and one per row,
        after the freed slots were given on. False (nothing recorded) if there is one success and no row to
        clear, the store cannot batch, or a record fails with an OSError: then each is recorded on its own,
        with its own error handling (and the rows are cleared each on its own)."""
        batch = getattr(self.store, "batch", None)
        if batch is None or not (len(successes) > 1 or clears):
            for task_id in clears:
                self.store.clear_running(task_id)
            return False
        try:
            with batch():
                for task_id in clears:
                    self.store.clear_running(task_id)
                for _, task_id, _attempt, result, hashes, started, ended in successes:
                    self._record_done(self.tasks[task_id], result, hashes, started, ended, note=False)
        except (OSError, StateBusy):
            for task_id in clears:
                self.store.clear_running(task_id)
            return False
        for _, task_id, _attempt, result, *_ in successes:  # (once committed: `_note_paid`)
            self._note_paid(self.tasks[task_id], result)
        return True

    def _handle(self, message: tuple[Any, ...]) -> None:
        if message[0] == "process":
            _, task_id, pid, pgid = message
            if task_id in self.running:
                self.marks[task_id] = (pid, pgid, time.monotonic())
            else:  # its result came first (cannot happen: the process is reported before it ends); be safe
                self.store.mark_running(task_id, self.run_id, pid, pgid)
                self.marked.add(task_id)
        else:
            _, task_id, _attempt, result, hashes, started, ended = message
            mark("received", task_id)
            self.tasks[task_id].outcome.runs.append((started, ended))
            self._on_result(self.tasks[task_id], result, hashes, started, ended)

    def _write_marks(self, before: float) -> None:
        """Write the processes started before `before` (monotonic) to the store, in one transaction."""
        due = [(tid, self.run_id, pid, pgid) for tid, (pid, pgid, at) in self.marks.items() if at <= before]
        if not due:
            return
        many = getattr(self.store, "mark_running_many", None)
        if many is not None:
            many(due)
        else:
            for row in due:
                self.store.mark_running(*row)
        for row in due:
            del self.marks[row[0]]
            self.marked.add(row[0])

    # -- results ------------------------------------------------------------------------------------------

    def _release(self, t: TaskState, result: AttemptResult, clear: bool = True) -> bool:
        """The attempt's process is over: free its slot, forget its process, count its cost. Whether its row
        in the store's `running` table is to be deleted; `clear`: deleted here and now (else the caller's)."""
        del self.running[t.id]
        limits = self.limits
        full = limits.total >= limits.jobs  # (every slot taken: a task ready now waited for this one)
        runner_full = t.runner is not None and limits.by_runner.get(t.runner, 0) >= limits.effective.get(
            t.runner, limits.jobs
        )
        limits.release(t.runner)
        # (what a task started into this slot waited for: `_waited_for`; only a slot freed when all were
        # taken, else a task decided while slots were free would blame whatever ended meanwhile)
        if full or runner_full:
            freed = (time.time(), t.id)
            if full:
                self.freed = freed
            if runner_full:
                self.freed_by_runner[t.runner] = freed  # type: ignore[index]
        # a process never written needs no clearing; without a recorder, on_process may have written it
        # without telling us. A pending mark does not mean nothing was written: a `check` (a second process
        # of the attempt) is noted after the agent's own process may already be in the table.
        pending = self.marks.pop(t.id, None)
        written = t.id in self.marked or (pending is None and self.processes is None)
        if written:
            self.marked.discard(t.id)
            if clear:
                self.store.clear_running(t.id)
        self._add_cost(t, result)  # (before any slot is refilled: the budget may now be spent)
        return written and not clear

    def _wanting(self, t: TaskState, result: AttemptResult) -> int:
        """The calls `t`'s runner has yet to make in this build: its other tasks not ended, `t`'s retry."""
        others = [u for u in self.tasks.values() if u.runner == t.runner and u is not t]
        return sum(u.state not in TERMINAL for u in others) + (
            result.outcome == "retry" and t.attempt < t.max_attempts
        )

    def _on_result(
        self,
        t: TaskState,
        result: AttemptResult,
        hashes: dict[str, str] | None,
        started: float,
        ended: float,
        released: bool = False,
        recorded: bool = False,
    ) -> None:
        if not released:
            self._release(t, result)
            if result.outcome == "ok" and hashes is not None and self._moved(t, result):
                return
        if result.outcome == "ok" and result.in_place and self._passed_in_place(t, result):
            return
        if t.decision is not None and t.decision.recheck is not None:  # (re-checked once: a retry calls)
            t.decision = replace(t.decision, recheck=None)
        if result.outcome == "held":  # its outputs in place failed the new check; no call: kept as they are
            self._budget_spent()  # (the summary says when the budget held it)
            self._not_run(t, result.message)
            return
        if result.outcome == "ok" and hashes is not None:
            try:
                self._commit(t, result, hashes, started, ended, recorded)
                return
            except OSError as exc:
                result = replace(
                    result, outcome="fatal", error_type="commit", message=f"cannot write output: {exc}"
                )
            except StateBusy as exc:  # stopped while waiting for the database: the result is not recorded
                self.executor.discard(result)
                self._unrecorded(t, str(exc))
                return
        self.executor.discard(result)
        t.error_type = result.error_type
        t.outcome.message = result.message
        if self.interrupted or result.outcome == "cancelled" or t.cancelled_for:
            self._interrupt_task(t)
            return
        notes: list[str] = []
        if result.rate_limited:
            cap = self.limits.lower(t.runner, t.started_as)
            if (
                cap is not None and t.runner is not None and self._wanting(t, result) > cap
            ):  # (holds one back)
                self.limits.told.add(t.runner)
                notes.append(f"cap for {t.runner} lowered to {cap}")
        error_type = result.error_type or "error"
        if result.outcome == "retry":  # (recorded if the build is stopped before it tries again)
            t.failed_attempt = result.message
        if result.outcome == "retry" and t.attempt < t.max_attempts and self.replanned:
            t.cancelled_for = self.replanned  # a new plan came: its next build decides whether to try again
            self._interrupt_task(t)
            return
        if result.outcome == "retry" and t.attempt < t.max_attempts and self.stop_reason is not None:
            final = "; ".join([f"not retried: {self.stop_reason}", *notes])
            self._fail(t, result.error_type, not_retried(result.message, self.stop_reason), final)
            return  # a stopped build starts no new attempt (a retry is one): -k goes on
        if result.outcome == "retry" and t.attempt < t.max_attempts:
            opts, limited = self.options, result.rate_limited
            delay = backoff_delay(t.attempt, opts.backoff_base, opts.backoff_cap, rate_limited=limited)
            if limited and result.retry_after is not None:  # (sooner, the retry would be rejected again)
                delay = max(delay, min(result.retry_after, opts.backoff_cap))
            action = "; ".join([f"retrying in {delay:.1f}s", *notes])
            self.store.log_event(self.run_id, t.id, error_type, result.message, action)
            self._emit(t, "retrying", attempt=t.attempt, max_attempts=t.max_attempts, retry_in=delay,
                       message=result.message, error_type=result.error_type, action=action)  # fmt: skip
            self.seq += 1
            heapq.heappush(self.delayed, (self._retry_due(t, delay), self.seq, t.id))
            return
        final = "not retried: fatal" if result.outcome != "retry" else f"gave up after {t.attempt} attempts"
        self._fail(t, result.error_type, result.message, "; ".join([final, *notes]))

    def _release_due_retries(self) -> None:
        if self.stop_reason is not None:  # a stopped build starts no retry: the sweep fails those waiting
            self.delayed.clear()
            return
        now = time.monotonic()
        held = self.gate.held()
        if held != self.held_seen:  # (a runner refused, the budget reached, since the last look: rare)
            self.held_seen = held
            # a retry its runner's refusal or the budget holds back is failed now, not after its backoff
            # (one pushed later is due at once as it is pushed: `_retry_due`)
            due = [d if self._held_why(self.tasks[d[2]]) is None else (now, *d[1:]) for d in self.delayed]
            if due != self.delayed:  # (each asked once: `_held_why` may look for a salvageable answer)
                self.delayed = due
                heapq.heapify(self.delayed)
        while self.delayed and self.delayed[0][0] <= now:
            _, _, task_id = heapq.heappop(self.delayed)
            t = self.tasks[task_id]
            park(self.parked, t.runner, task_id, self.keys)

    def _retry_due(self, t: TaskState, delay: float) -> float:
        """When `t`'s retry is due: after `delay`, or at once if its call would be held back (its runner
        refused, the budget reached: it is failed then, not after its backoff)."""
        now = time.monotonic()
        return now if self._held_why(t) is not None else now + delay
