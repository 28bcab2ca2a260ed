"""How tasks end: outputs committed or restored, events to the sink, rows in the store, failures passed on.

`Outcomes` is the base of the build loop (`loop.Build`): it holds the per-build state that every ending
touches. All of it runs on the scheduler thread.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentmake.confine import check_inside
from agentmake.errors import AgentmakeError
from agentmake.graph import Graph
from agentmake.plan import Decision, Hasher
from agentmake.plan.partial import Gap, gaps_detail, gaps_summary
from agentmake.runners import AttemptResult
from agentmake.runners.salvage import note_reported
from agentmake.scheduler.commit import commit_outputs, edited_since, saved_notice
from agentmake.scheduler.control import BuildControl
from agentmake.scheduler.discard import Discard
from agentmake.scheduler.earlier import paid_by, unreported
from agentmake.scheduler.events import BuildResult, TaskEvent
from agentmake.scheduler.gate import CallGate
from agentmake.scheduler.limits import Limits
from agentmake.scheduler.ready import ReadyQueue
from agentmake.scheduler.tasks import TERMINAL, TaskState, takes_gaps
from agentmake.store import AttemptRecord, Store, TaskRecord
from agentmake.store.busy import StateBusy
from agentmake.store.records import keep_figures, made_figures, runs_extra
from agentmake.trace import mark

if TYPE_CHECKING:
    from agentmake.scheduler.run import BuildOptions


# Failures of an LLM agent that say nothing about the task and all about its runner: its credentials were
# refused, its quota is spent, its CLI is not installed. With -k, the runner's other tasks are then not
# started (each would fail the same way, and a CLI like claude retries a refused key for minutes first).
RUNNER_WIDE = frozenset({"auth", "quota", "not-found"})
# Failures that end a call before its CLI prints what it cost (a timeout, a CLI stalled waiting for the
# network): the call's cost is unknown, whatever its runner reports of the calls it lets finish.
CUT_SHORT = frozenset({"timeout", "network"})


def not_retried(message: str, reason: str) -> str:
    """The failure of a task whose retry the stopped build did not start: its last error, and why it was not
    tried again (else "after 1 attempts" beside `retries = 2` goes unexplained)."""
    return f"{message} (not retried: {reason})"


def partial_text(t: TaskState) -> str:
    """`1 of 4 inputs missing: build/perf.md (perf failed: exited with code 1)`."""
    gaps = t.decision.gaps if t.decision is not None else ()
    return f"{gaps_summary(gaps, len(t.task.inputs))}: {gaps_detail(gaps)}"


class Outcomes:
    """Endings of tasks; `loop.Build` adds the loop that produces them."""

    graph: Graph
    store: Store
    options: BuildOptions
    sink: Callable[[TaskEvent], None]
    control: BuildControl | None
    tasks: dict[str, TaskState]
    undecided: ReadyQueue
    result: BuildResult
    run_id: int
    stop_reason: str | None
    stopped_by: str  # the first signal that stopped the build, as status tells it: "Ctrl-C", "SIGTERM"...
    replanned: str | None  # why watch mode stopped the build for a new plan (`BuildControl.replan`)
    root: Path
    hasher: Hasher
    limits: Limits
    discard: Discard  # old outputs replaced by results, unlinked off this thread
    gate: CallGate  # whether LLM agents may still be called: the budget, runners refused (`RUNNER_WIDE`)
    deferred: list[TaskEvent] | None = None  # events held back from the sink meanwhile (`_handle_all`)

    def _restore(self, t: TaskState, decision: Decision) -> bool:
        assert decision.key is not None
        try:
            restored = self.store.cache_restore(decision.key, self.root, decision.moved)
        except (OSError, KeyError, ValueError, AgentmakeError) as exc:
            self.store.log_event(
                self.run_id, t.id, "cache", f"cache restore failed: {exc}", "running instead"
            )
            return False
        now = time.time()
        for path, digest in restored.items():
            self.hasher.note_written(path, digest)
        record = TaskRecord(
            t.id, decision.key, decision.parts, dict(restored), "done", now, 0.0, 0, run_id=self.run_id
        )
        figures = self._made(decision.key)
        if figures:  # what the result took and cost when it was made (`status` shows it; this build: nothing)
            keep_figures(record, figures)  # (its attempts stay 0: no attempt of this build made it)
        if t.readied_by is not None:  # (restored as soon as it was ready: it waited for no slot)
            t.after = record.after = (t.readied_by, "dependency")
        try:  # (the history row too; the cache entry is kept)
            self.store.record_success(record, {}, state="cached")
        except StateBusy as exc:  # (the next build finds the outputs as the cache holds them: restored again)
            self._unrecorded(t, str(exc))
            return True
        t.outcome.started_at = t.outcome.ended_at = now
        self._finish(t, "cached", action=t.notice)  # e.g. where a hand edit was saved
        self._succeeded(t)
        return True

    def _made(self, key: str) -> dict[str, Any] | None:
        """What making the result cached under `key` took and cost (`Store.cache_made`), if known."""
        made = getattr(self.store, "cache_made", None)  # (test doubles of the store may lack it)
        return made(key) if made is not None else None

    def _adopt(self, t: TaskState, decision: Decision) -> None:
        """Up to date under a new key whose cached result the outputs already hold (`Decision.adopt`): the
        record switches to that key, and no file is touched. Its history row says "up-to-date": no call was
        made and nothing was restored."""
        assert decision.key is not None and decision.adopt is not None
        now, key, outputs = time.time(), decision.key, dict(decision.adopt)
        record = TaskRecord(t.id, key, decision.parts, outputs, "done", now, 0.0, 0, run_id=self.run_id)
        old = self.store.task_record(t.id)
        if outputs and old is not None and old.outputs == outputs:  # the same result: what it took and cost
            record.duration, record.attempts, record.kept = old.duration, old.attempts, True
            record.cost_usd, record.tokens_in, record.tokens_out = old.cost_usd, old.tokens_in, old.tokens_out
        elif outputs and (figures := self._made(key)):  # (as its cache entry says: not 0.0s, not "restored")
            keep_figures(record, figures)
            attempts = figures.get("attempts")
            record.attempts = attempts if isinstance(attempts, int) else 0
        with contextlib.suppress(StateBusy):  # (given up waiting for the database: the next build adopts it)
            self.store.record_success(record, {}, state="up-to-date")

    def _commit(
        self,
        t: TaskState,
        result: AttemptResult,
        hashes: dict[str, str],
        started: float,
        ended: float,
        recorded: bool = False,
    ) -> None:
        """Record first, then rename: the worker already put every output into the blob cache, so once the
        task row is committed a crash before the rename costs nothing (the next run restores the outputs
        from the cache, see `recover_commits`). `recorded`: `_record_done` ran already (in a batch)."""
        if not recorded:
            self._record_done(t, result, hashes, started, ended)
        try:
            for path in result.staged:  # (another agent of the build may have linked a directory out since)
                check_inside(self.root, path)
            saved = self._save_mid_run_edits(t, result.staged, hashes, result.in_place)
            commit_outputs(self.root, result.staged, self.discard)
        except OSError:
            # the record names the new outputs: if a `commits` row stands for them, the next run restores
            # them from the cache (`recover_commits`), so the failure must not overwrite that record
            pending = getattr(self.store, "pending_commits", None)
            t.commit_pending = pending is not None and t.id in pending()
            raise
        placed = getattr(self.store, "outputs_placed", None)
        if placed is not None and result.staged:
            placed(t.id)
        for path, digest in hashes.items():
            self.hasher.note_written(path, digest)
        mark("committed", t.id)
        if result.salvaged:  # not a failure, but worth telling: the agent was not asked
            t.outcome.notice = result.message
        if result.notice:
            t.outcome.notice = "; ".join(filter(None, [t.outcome.notice, result.notice]))
        if saved:
            t.outcome.notice = "; ".join(filter(None, [t.outcome.notice, saved]))
        uncached = getattr(self.store, "uncached", {}).pop(t.id, None)  # (not silently: a clean would pay)
        if uncached:
            t.outcome.notice = "; ".join(filter(None, [t.outcome.notice, uncached]))
        if t.decision is not None and t.decision.gaps:
            out = t.outcome
            out.partial = gaps_summary(t.decision.gaps, len(t.task.inputs))
            out.notice = "; ".join(filter(None, [out.notice, f"partial report: {partial_text(t)}"]))
            self._finish(t, "done", message=f"partial: {out.partial}")
        elif result.salvaged:  # no call was made: shown as a restore is, and no success of the runner's
            self._finish(t, "cached", action=t.notice)
        elif result.in_place:  # its outputs passed its new check, which rewrote them: no call was made
            self._finish(t, "up-to-date", message=result.message)
        else:
            cap = self.limits.grow(t.runner, t.started_as)
            self._finish(t, "done", action=f"cap for {t.runner} raised to {cap}" if cap is not None else None)
        self._succeeded(t)

    def _save_mid_run_edits(
        self, t: TaskState, staged: dict[str, Path], hashes: dict[str, str], in_place: bool = False
    ) -> str | None:
        """Keep the outputs a person edited while `t` ran (after it was decided), and those agentmake did not
        make (`Decision.unknown`) if the result differs, under `.agentmake/edited/` before its result replaces
        them (the files themselves, hard-linked: `Store.save_edited`), as `Starting._save_edited` copies edits
        found when deciding; returns the notice, None if there were none. An OSError (a save failed)
        propagates before any rename, so the outputs stay as they are and the task fails as with a failed
        rename. Not for a multi-output LLM agent: it writes its outputs in place and `backups` puts back what
        they held when it started; unless its agent was not called (`in_place`: copies its new check
        rewrote, `AttemptResult.in_place`)."""
        then, t.outputs_then = t.outputs_then, None
        if then is None or (t.llm and len(then) > 1 and not in_place):  # (it writes them itself, in place)
            return None
        pairs = [(p, seen) for p, seen in zip(t.task.outputs, then, strict=True) if p in staged]
        changed = self.hasher.changed([p for p, _ in pairs], [seen for _, seen in pairs])
        edited = edited_since(self.root, changed, hashes)
        if not edited:
            return None
        saved = {path: self.store.save_edited(path, link=True) for path in edited}  # (the file itself)
        notice = saved_notice(saved, t.decision.unknown if t.decision is not None else [])
        action = "about to be replaced: saved a copy"
        self.store.log_event(self.run_id, t.id, "output-edited", notice, action)
        return notice

    def _record_done(
        self, t: TaskState, result: AttemptResult, hashes: dict[str, str], started: float, ended: float
    ) -> None:
        """The task row, history row and cache entry of a success, in one transaction (or the open batch).
        A salvaged answer's rows keep what it cost when it was paid for (not spent by this build: `_add_cost`)
        and its history row says "cached", as a restore's does; outputs in place that passed a new check which
        rewrote them (`AttemptResult.in_place`) cost this build nothing, and their history row says
        "up-to-date": their record keeps what the result took and cost when it was paid for (`_keep_made`)."""
        assert t.decision is not None
        files: dict[str, Path] = {path: Path(tmp) for path, tmp in result.staged.items()}
        for path in hashes:
            if path not in files:  # written in place by the runner (hashed by the worker)
                files[path] = self.root / path
        out = t.outcome
        took = result.duration or (ended - started)  # this attempt's (what the next build's estimate uses)
        paid = result if result.salvaged or result.in_place else out
        ran = took if result.salvaged or out.run_time is None else out.run_time
        record = TaskRecord(
            t.id, t.decision.key or "", t.decision.parts, dict(hashes), "done", time.time(), ran,
            t.attempt, paid.cost_usd, paid.tokens_in, paid.tokens_out, self.run_id,
        )  # fmt: skip
        if result.in_place:  # (the result in place, rewritten: what it took and cost when it was paid for)
            self._keep_made(t.id, record)
        record.started_at = out.started_at  # (the history row spans every attempt: retries, their waits)
        record.attempt_time = took
        record.runs = list(out.runs) if len(out.runs) > 1 else None
        record.after = t.after
        record.paid_earlier = result.salvaged and out.paid_earlier is not None
        if t.decision.gaps:  # recorded under a key no decision computes: never up to date, never restored
            record.status = "partial"
            record.error = partial_text(t)
        state = "cached" if result.salvaged else "up-to-date" if result.in_place else "done"
        self.store.record_success(record, files, state=state)
        paid_by = result.paid_by if result.salvaged else result.log_stem
        if t.llm and paid_by is not None:  # (what the answer cost is in this row: never counted again)
            note_reported(paid_by)
        mark("recorded", t.id)

    def _keep_made(self, task_id: str, record: TaskRecord) -> None:
        """`record`, of outputs in place a new check rewrote (no call), keeps what the result it rewrote took
        and cost when it was paid for, as the task's record says (`TaskRecord.kept`), as `_adopt` does for
        outputs in place it leaves as they are."""
        old = self.store.task_record(task_id)
        if old is not None:
            keep_figures(record, made_figures(old))
            record.attempts = old.attempts

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
        self._block_dependents(t, f"dependency {t.id} failed")

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
        self._block_dependents(t, f"dependency {t.id} not run: {reason}")

    def _interrupt_task(self, t: TaskState) -> None:
        message = f"cancelled: {t.cancelled_for}" if t.cancelled_for else "interrupted"
        if not t.cancelled_for and self.stopped_by != "Ctrl-C":
            message = f"stopped by {self.stopped_by}"  # (status says what stopped the build)
        self._record(t, "interrupted", time.time(), message=message)
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

    def _record(self, t: TaskState, state: str, now: float, **extra: Any) -> None:
        out = t.outcome
        started = out.started_at if out.started_at is not None else now
        record = AttemptRecord(
            self.run_id, t.id, state, started, now, t.attempt, out.cost_usd, out.tokens_in, out.tokens_out,
            **extra,
        )  # fmt: skip
        if len(out.runs) > 1:  # (its span holds waits between attempts: what ran is kept beside it)
            record.extra["runs"] = runs_extra(out.runs)
        if t.after is not None:  # (what it waited for: the report's critical path, `report.summary`)
            record.extra["after"] = list(t.after)
        self.store.record_attempt(record)

    def _finish(self, t: TaskState, state: str, **fields: Any) -> None:
        if t.outcome.ended_at is None or state != "cached":
            t.outcome.ended_at = time.time()
        if t.outcome.runs and state in ("done", "failed", "interrupted"):
            fields.setdefault("ran", t.outcome.run_time)
        if fields.get("message") is not None:
            t.outcome.message = fields["message"]
        self._emit(t, state, **fields)

    def _unreported(self, t: TaskState, result: AttemptResult) -> bool:
        """Whether no build reported the spend on the salvaged answer `result` (`earlier.unreported`)."""
        return unreported(self.store, t, result)

    def _budget_spent(self) -> bool:
        """Whether this run's recorded spend has reached the budget (a budget of 0 is reached at once)."""
        if self.gate.budget_reached():
            self.result.budget_reached = True
        return self.result.budget_reached

    def _emit(self, t: TaskState, state: str, **fields: Any) -> None:
        t.outcome.state = state
        event = TaskEvent(t.id, state, time.time(), **fields)
        if self.deferred is not None:
            self.deferred.append(event)
        else:
            self.sink(event)

    def _add_rejected(self, t: TaskState, earlier: AttemptResult) -> None:
        """Count what a salvaged answer that failed its check cost (`AttemptResult.rejected`: the agent
        was asked again), paid for by an interrupted run, as a salvaged answer's is (`_add_cost`): only if
        no build reported it (`_unreported`), then noted as reported in its key file
        (`salvage.note_reported`), so that no later build counts it again, if its key file is still the one
        of the attempt that paid (`paid_at`): the attempt that asked again at the same log stem replaced it
        with its own, whose spend is its own; one that did not ask (held: the budget reached; a runner that
        could not start) left it, noted then, else each later build would count it again."""
        if earlier.cost_usd is None or not self._unreported(t, earlier):
            return
        t.outcome.paid_earlier = (t.outcome.paid_earlier or 0.0) + earlier.cost_usd
        self._count(t, earlier)
        if earlier.paid_by is not None:
            note_reported(earlier.paid_by, earlier.paid_at)

    def _add_cost(self, t: TaskState, result: AttemptResult) -> None:
        """Count what the attempt cost towards the task's outcome and this build's spend (and budget). A
        salvaged answer was paid for by an earlier build: counted here only if no build reported it
        (`_unreported`), and noted as paid by an interrupted run (`TaskOutcome.paid_earlier`)."""
        for earlier in result.rejected:
            self._add_rejected(t, earlier)
        if result.salvaged:
            if result.cost_usd is None or not self._unreported(t, result):
                return
            t.outcome.paid_earlier = (t.outcome.paid_earlier or 0.0) + result.cost_usd
        self._count(t, result)

    def _count(self, t: TaskState, result: AttemptResult) -> None:
        """Add the attempt's cost (or that a call said none) and tokens to the task's outcome, its cost to
        this build's spend and budget (`_add_cost`, `_add_rejected`: which decide whether it counts)."""
        out = t.outcome
        if result.cost_usd is not None:
            out.cost_usd = (out.cost_usd or 0.0) + result.cost_usd
            paid = paid_by(result)  # (a salvaged answer's: the budget may have counted it as it was found)
            if paid is not None:
                self.gate.spend_once(paid, result.cost_usd)
            else:
                self.gate.spend(result.cost_usd)
            self._budget_spent()
        elif t.llm and result.exit_code is not None:
            out.unpriced = True  # (a call, which said nothing of its cost: unknown, not free)
            if self.options.budget is not None:
                if result.outcome == "cancelled" or result.error_type in CUT_SHORT:  # (before it could say)
                    why = (result.message or result.error_type or "cancelled").split(";")[0]
                    self.result.cut_short.setdefault(t.runner or "?", []).append(f"{t.id}: {why}")
                else:
                    self.result.uncounted.add(t.runner or "?")  # it ran and said nothing of its cost
        if result.tokens_in is not None:
            out.tokens_in = (out.tokens_in or 0) + result.tokens_in
        if result.tokens_out is not None:
            out.tokens_out = (out.tokens_out or 0) + result.tokens_out
