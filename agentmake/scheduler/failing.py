"""Tasks that fail, are not run or are interrupted, and what a task's ending does to the tasks that depend on
it: readied, not run, or built as a partial report (`Failing`, a base of `outcomes.Outcomes`).
"""

from __future__ import annotations

import time

from agentmake.plan.partial import Gap
from agentmake.scheduler.ending import Ending
from agentmake.scheduler.tasks import TERMINAL, TaskState, takes_gaps

# Failures of an LLM agent that say nothing about the task and all about its runner: its credentials were
# refused, its quota is spent, its CLI is not installed. With -k, the runner's other tasks are then not
# started (each would fail the same way, and a CLI like claude retries a refused key for minutes first).
RUNNER_WIDE = frozenset({"auth", "quota", "not-found"})


def passed_on(task_id: str, reason: str) -> str:
    """What a task that depends on `task_id`, not run for `reason`, is told: the root cause once, as make
    says it (`budget of $1.00 reached before scan`, `scan not run: input x is gone ...`), never a chain of
    "dependency ... not run: dependency ... not run: ..."."""
    if reason.startswith("budget of "):  # (`CallGate.why_not`)
        return f"{reason} before {task_id}"
    return f"{task_id} not run: {reason}"


def not_retried(message: str, reason: str) -> str:
    """The failure of a task whose retry the stopped build did not start: its last error, and why it was not
    tried again (else "after 1 attempts" beside `retries = 2` goes unexplained)."""
    return f"{message} (not retried: {reason})"


class Failing(Ending):
    """Failures and what they pass on; a success readies its dependents (`_succeeded`)."""

    def _succeeded(self, t: TaskState) -> None:
        partial = t.outcome.partial
        for dep_id in self.graph.dependents.get(t.id, ()):
            dep = self.tasks.get(dep_id)
            if dep is None or dep.state in TERMINAL:
                continue
            if partial is not None:  # only a report is built on a partial report; an agent is not paid to
                if not takes_gaps(dep.task):  # read half of one
                    reason = f"dependency {t.id} is a partial report ({partial})"
                    self._record(dep, "not-run", time.time(), message=reason)
                    self._finish(dep, "not-run", message=reason)
                    self._block_dependents(dep, reason)
                    continue
                why = f"{t.id} is a partial report: {partial}"
                dep.gaps += [Gap(p, t.id, why, present=True) for p in self._made_by(dep, t)]
            dep.waiting_on -= 1
            if dep.waiting_on == 0:  # (up to date, `t` ran nothing: what made `t` ready made `dep` ready)
                dep.readied_by = t.readied_by if t.state == "up-to-date" else t.id
                self.undecided.push(dep_id)

    def _made_by(self, dep: TaskState, t: TaskState) -> list[str]:
        """The inputs of `dep` that `t` makes."""
        producer = self.graph.producer
        return [path for path in dep.task.inputs if producer.get(path) == t.id]

    def _fail(
        self, t: TaskState, error_type: str | None, message: str, action: str, stops: bool = True
    ) -> None:
        """`t` failed; without -k the build then stops, unless not `stops` (its retry was held back by the
        budget, which holds paid calls only: free work goes on, as after a first attempt it holds back)."""
        self.store.log_event(self.run_id, t.id, error_type or "error", message, action)
        if t.llm and error_type in RUNNER_WIDE:  # every other call of this runner would fail the same way
            self.gate.refuse(t.runner, message)
        if t.decision is not None:
            t.outcome.key = t.decision.key
        self._record(t, "failed", time.time(), error_type=error_type, message=message)
        if not t.commit_pending:
            self.store.record_failure(t.id, self.run_id, message)
        self._finish(t, "failed", message=message, error_type=error_type, action=action)
        if stops and not self.options.keep_going and self.stop_reason is None:
            self.stop_reason = f"build stopped after failure of {t.id}"
        self._block_dependents(t, f"{t.id} failed")  # (as make says it: `not run: scan failed`)

    def _unrecorded(self, t: TaskState, why: str) -> None:
        """`t` finished, but its result cannot be recorded: the build was stopped while another program held
        the state database's write lock (`agentmake.store.busy`). Its staged outputs are gone (an LLM
        agent's answer stays beside its logs, and the next build uses it without a new call)."""
        self.result.unrecorded[t.id] = why
        self._record(t, "interrupted", time.time(), message=f"finished, but not recorded: {why}")
        self._finish(t, "interrupted", message=f"finished, but not recorded: {why}")

    def _not_run(self, t: TaskState, reason: str) -> None:
        """`t` is not run, for `reason`; what depends on it is not run either, naming `t`: the reason may be
        `t`'s alone (its runner refused, the budget reached: a shell task after it would have run)."""
        self._record(t, "not-run", time.time(), message=reason)
        self._finish(t, "not-run", message=reason)
        self._block_dependents(t, passed_on(t.id, reason))

    def _interrupt_task(self, t: TaskState) -> None:
        message = f"cancelled: {t.cancelled_for}" if t.cancelled_for else "interrupted"
        if not t.cancelled_for and self.stopped_by != "Ctrl-C":
            message = f"stopped by {self.stopped_by}"  # (status says what stopped the build)
        self._record(t, "interrupted", time.time(), message=message)
        if t.failed_attempt is not None and not t.commit_pending:
            # an attempt of this build failed, then it was stopped (waiting to retry, or retrying): its
            # record tells that failure, not an older build's (`agentmake status`, the next build's reason)
            self.store.record_failure(t.id, self.run_id, f"{t.failed_attempt} (then {message})")
        self._finish(t, "interrupted", message=message)
        if t.cancelled_for and self.control is not None:
            self.control.cancelled.append(t.id)
            self._block_dependents(t, f"dependency {t.id} cancelled", partial=False)

    def _block_dependents(self, t: TaskState, reason: str, partial: bool = True) -> None:
        """`t` failed or was not run: what depends on it is not run (`reason`), except, with -k and unless
        `partial` is False (a task cancelled: it runs again soon), a report without `merge`, which is built
        from its other inputs once they are made, as a partial report naming what it lacks and why."""
        if self.stop_reason is not None:
            return  # the final sweep marks everything with the stop reason
        gaps = partial and self.options.keep_going
        stack = [(t, dep_id) for dep_id in self.graph.dependents.get(t.id, ())]
        while stack:
            parent, dep_id = stack.pop()
            dep = self.tasks.get(dep_id)
            if dep is None or dep.state in TERMINAL:
                continue
            if gaps and takes_gaps(dep.task):
                verb = "failed" if parent.state == "failed" else "not run"
                why = f"{parent.id} {verb}: {(parent.outcome.message or verb).strip()}"
                dep.gaps += [Gap(path, parent.id, why) for path in self._made_by(dep, parent)]
                dep.waiting_on -= 1
                if dep.waiting_on == 0:
                    dep.readied_by = parent.id
                    self.undecided.push(dep_id)
                continue
            self._record(dep, "not-run", time.time(), message=reason)
            self._finish(dep, "not-run", message=reason)
            stack.extend((dep, more) for more in self.graph.dependents.get(dep.id, ()))

    def _sweep(self) -> None:
        """Everything never started: not-run, with the reason the build stopped."""
        reason = self.stop_reason or "not run"
        for t in self.tasks.values():
            if t.state not in TERMINAL:
                if t.attempt > 0 and self.replanned:  # (a retry the new plan may not even want)
                    t.cancelled_for = self.replanned
                    self._interrupt_task(t)
                elif t.attempt > 0:
                    message = not_retried(t.outcome.message or "failed", reason)
                    self._fail(t, t.error_type, message, f"not retried: {reason}")
                else:
                    self._not_run(t, reason)
