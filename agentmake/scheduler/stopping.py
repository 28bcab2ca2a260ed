"""Ending work early, on the scheduler thread: Ctrl-C and termination signals, and what watch mode asks of a
running build through `BuildControl` (cancel the tasks whose files changed, hold new starts while the
Agentfile is being saved, stop starting and cancel what a new plan no longer wants). `loop.Build` runs these
from its loop.
"""

from __future__ import annotations

import heapq
import signal
import threading
import time
from typing import Any

from agentmake.interrupts import early_sigint, take_early
from agentmake.runners.groups import hurried, hurry
from agentmake.scheduler.control import BuildControl
from agentmake.scheduler.decided import changed_since
from agentmake.scheduler.replan import changed_running
from agentmake.scheduler.starting import Starting
from agentmake.scheduler.tasks import MADE, TERMINAL, TaskState


class Stopping(Starting):
    """Signals, cancels and interruptions; the loop itself is `loop.Build`'s."""

    delayed: list[tuple[float, int, str]]  # (due, seq, task id): retries in backoff
    sigints: int
    interrupted: bool

    def _drain(self, block: bool) -> None:
        raise NotImplementedError  # (`loop.Build`: take the results that came, waiting for one if `block`)

    def _catch_signals(self) -> dict[int, Any]:
        """In the main thread, Ctrl-C (with Python's default handler, or the console script's, which also
        records a Ctrl-C that came while agentmake started: counted now, see `agentmake.interrupts`),
        SIGTERM and SIGHUP (with the default action, or Python's Ctrl-C handler as watch mode gives them)
        only set a flag that the loop turns into
        KeyboardInterrupt at a safe point (never between registering an attempt and submitting it): running
        attempts are cancelled (their process groups ended) and recorded as interrupted, and the build
        returns interrupted (the CLI exits 130). Returns the previous handlers, to put back when the build
        ends."""
        if threading.current_thread() is not threading.main_thread():
            return {}
        previous: dict[int, Any] = {}
        if signal.getsignal(signal.SIGINT) in (signal.default_int_handler, early_sigint):
            previous[signal.SIGINT] = signal.signal(signal.SIGINT, self._on_sigint)
            if take_early():  # one came while agentmake started, and Python lost it (see `interrupts`)
                self.sigints += 1
        for name in ("SIGTERM", "SIGHUP"):
            signum = getattr(signal, name, None)
            ours = (signal.SIG_DFL, signal.default_int_handler)
            if signum is not None and signal.getsignal(signum) in ours:
                previous[signum] = signal.signal(signum, self._on_sigint)
        return previous

    def _on_sigint(self, signum: int, frame: object) -> None:
        if not self.sigints:
            self.stopped_by = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
        self.sigints += 1

    def _check_sigint(self) -> None:
        if self.sigints and not self.interrupted:
            raise KeyboardInterrupt

    def _take_cancels(self, control: BuildControl) -> None:
        graph, reason = control.take_replan() or (None, "")
        if reason:  # the files that plan the build plan other work (or no longer load): start nothing more
            self.replanned = self.replanned or reason
            self.stop_reason = self.stop_reason or f"{reason}: the next build runs it"
        if graph is not None:  # and end the running calls whose key the new plan no longer has
            running = self.running.values()
            for task_id, why in changed_running(running, graph, self.store, self.hasher, reason).items():
                control.cancel(task_id, why)
        for task_id, outputs in control.take_gone().items():
            t = self.tasks.get(task_id)
            gone = sorted(p for p in outputs if not (self.root / p).is_file())
            if t is not None and t.state in MADE and gone:  # (the next build puts the same content back)
                self._hold_back_dependents(t, f"{', '.join(gone)} gone", end_started=False)
        for task_id, (reason, paths) in control.take().items():
            t = self.tasks.get(task_id)
            if t is not None and t.state in MADE and paths and self._made_from_other(t, paths):
                self._hold_back_dependents(t, reason)
            if t is None or t.state in TERMINAL:
                continue
            if paths and t.decision is not None and not changed_since(t, paths, self.hasher, self.root):
                continue  # e.g. its input, just written by the task that feeds it: what it was started with
            self.predecided.pop(task_id, None)  # decided from content that has changed since
            if t.attempt == 0 and t.decision is not None and t.id not in self.running:
                # decided and parked, waiting for a slot: decide it again from the current content
                for ready in self.parked.values():
                    ready.remove(task_id)
                t.decision, t.notice, t.outcome.notice = None, None, None
                self.undecided.push(task_id)
                continue
            self._end_started(t, reason)

    def _made_from_other(self, t: TaskState, paths: frozenset[str]) -> bool:
        """Whether any of `paths` (files `t` reads) is no longer what `t`, made or found up to date in this
        build, was made from."""
        recorded = None
        if t.decision is None:  # (found up to date without a decision: a build stamp vouched for it)
            rec = self.store.task_record(t.id)
            recorded = rec.parts if rec is not None else None
        return changed_since(t, paths, self.hasher, self.root, recorded)

    def _end_started(self, t: TaskState, reason: str) -> None:
        """End `t`'s work in this build (`reason`: why), if it started: its running attempt is cancelled (its
        process group ended, nothing written), or its retry waiting for its time (or a slot) is not made;
        recorded as interrupted, and the next build decides it again."""
        if t.id in self.running and t.cancel is not None:
            t.cancelled_for = reason
            t.cancel.set()
        elif t.state == "retrying":
            t.cancelled_for = reason
            self.delayed = [d for d in self.delayed if d[2] != t.id]
            heapq.heapify(self.delayed)
            self.undecided.remove(t.id)  # (its run dropped, to be decided again: `Starting._decide_again`)
            for ready in self.parked.values():
                ready.remove(t.id)
            self._interrupt_task(t)

    def _hold_back_dependents(self, t: TaskState, reason: str, end_started: bool = True) -> None:
        """`t` was made (or found up to date) in this build, and a file it reads changed since, or an output
        of it is gone: it is stale, and the next build runs it again (or restores what is gone). What
        depends on it, directly or not, and has not started is not run now: started, it would be paid for
        on what is stale, and run again by the next build. A dependent already started (running, or
        waiting to retry) is ended (`end_started`), as a task whose own input is edited is: what it would
        finish is made from what is stale. Not for an output gone: the next build puts the same content
        back, so what was started from it still holds (a reader of the file gone is cancelled as such,
        `BuildControl.gone`), and only a retry not yet made is held back."""
        if self.stop_reason is not None:
            return  # (nothing more starts: the final sweep marks what is left)
        why = f"{t.id} is stale: {reason}; the next build brings it up to date"
        stack, seen = list(self.graph.dependents.get(t.id, ())), set()
        while stack:
            dep_id = stack.pop()
            dep = self.tasks.get(dep_id)
            if dep_id in seen or dep is None or dep.state in TERMINAL:
                continue
            seen.add(dep_id)
            stack.extend(self.graph.dependents.get(dep_id, ()))
            if dep_id in self.running and not end_started:
                continue
            if dep.attempt > 0 or dep_id in self.running:
                self._end_started(dep, f"{t.id} is stale: {reason}")
                continue
            self.undecided.remove(dep_id)  # (ready, or decided and waiting for a slot)
            for ready in self.parked.values():
                ready.remove(dep_id)
            self._record(dep, "not-run", time.time(), message=why)
            self._finish(dep, "not-run", message=why)

    def _interrupt(self) -> None:
        """Ctrl-C: stop starting, cancel running attempts, wait for them, record them as interrupted."""
        self.interrupted = True
        self.stop_reason = "build interrupted"
        self._cancel_running()
        waiting = [task_id for _, _, task_id in self.delayed]
        waiting += [tid for ready in self.parked.values() for tid in ready.drain() if self.tasks[tid].attempt]
        for task_id in waiting:  # started, then waiting for a retry: interrupted too
            self._interrupt_task(self.tasks[task_id])
        self.delayed.clear()

    def _cancel_running(self) -> None:
        """End every running attempt and wait for them. A Ctrl-C, SIGTERM or SIGHUP that comes meanwhile (a
        second one, when a first brought the build here) kills what is left at once (`groups.hurry`),
        instead of waiting out the grace of an agent that ignores SIGTERM."""
        self.interrupted = True
        stops = self.sigints
        while self.running:
            if self.sigints > stops and not hurried():
                hurry()
            for t in self.running.values():
                if t.cancel is not None:
                    t.cancel.set()
            try:
                self._drain(block=True)
            except KeyboardInterrupt:  # (a handler not ours: off the main thread, or one a caller set)
                hurry()
