"""How ready tasks start: each is decided (run, restore or skip), parked under its runner, and launched into a
free slot, best-ranked first. `Starting` sits between `outcomes.Outcomes` (how tasks end) and `loop.Build`
(the loop); all of it runs on the scheduler thread.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from agentmake.errors import AgentmakeError, located
from agentmake.invocation import command_line, targets
from agentmake.pathwords import with_path_quoted
from agentmake.plan import Decision, Hasher, Rebuilder
from agentmake.plan.partial import in_input_order, nothing_made, partial_decision
from agentmake.runners.local import LocalExecutor
from agentmake.runners.result import AttemptResult
from agentmake.scheduler.commit import UNKNOWN, saved_notice
from agentmake.scheduler.earlier import count_found
from agentmake.scheduler.failing import not_retried
from agentmake.scheduler.inline import InlineAttempts
from agentmake.scheduler.outcomes import Outcomes
from agentmake.scheduler.ready import ReadyQueue, park
from agentmake.scheduler.tasks import MADE, TERMINAL, TaskState
from agentmake.scheduler.workers import WorkerPool
from agentmake.trace import mark

MOVES = 3  # restarts of one task in a build because an input changed while it ran, before it fails


def unreadable(t: TaskState, exc: OSError, root: Path) -> str:
    """What could not be read to decide or prompt `t`: one of its outputs (which is read to see whether it
    was edited by hand) or one of its inputs, named as such (relative to the project `root`)."""
    name = exc.filename if isinstance(exc.filename, str) else None
    if name is None:
        return f"cannot read inputs: {exc}"
    roles = {os.path.join(root, p): ("input", p) for p in t.task.inputs}
    roles.update({os.path.join(root, p): ("output", p) for p in t.task.outputs})
    what, shown = roles.get(name, ("file", name))
    return f"cannot read {what} {shown}: {exc.strerror or exc}"


def _directory_at_output(decision: Decision) -> str | None:
    """The first output of `decision` that the rebuilder found a directory in place of (None: none)."""
    return next((r.path for r in decision.reasons if r.kind == "output-directory"), None)


class Starting(Outcomes):
    """Deciding and starting ready tasks; `loop.Build` calls these from its loop."""

    rebuilder: Rebuilder
    hasher: Hasher
    executor: LocalExecutor
    keys: dict[str, Any]
    parked: dict[str | None, ReadyQueue]
    running: dict[str, TaskState]
    predecided: dict[str, Decision]
    pool: WorkerPool
    inline: InlineAttempts | None
    freed: tuple[float, str] | None  # when a slot was last freed with all taken, by which task (`_release`)
    freed_by_runner: dict[str, tuple[float, str]]  # the same, per runner

    def _hold_back_dependents(self, t: TaskState, reason: str, end_started: bool = True) -> None:
        raise NotImplementedError  # (`stopping.Stopping`: `t` is stale, what depends on it is not started)

    def _held(self) -> bool:
        """Whether watch mode holds new starts now (the Agentfile is being saved: `BuildControl.hold`)."""
        return self.control is not None and self.control.held()

    def _decide(self, t: TaskState) -> None:
        if t.gaps:  # (named in the order of its inputs, its sections': `partial.gaps_detail`)
            t.gaps = in_input_order(t.gaps, t.task.inputs)
        if t.gaps and (nothing := nothing_made(t.gaps, t.task.inputs)) is not None:
            self._not_run(t, nothing)  # (with -k, a report none of whose inputs was made: no document)
            return
        try:
            decision = self.predecided.pop(t.id, None) or self.rebuilder.decide(t.task)
        except AgentmakeError as exc:  # e.g. a prompt template error, located in the Agentfile
            self._fail(t, "usage", located(exc), "not retried: fatal")
            return
        except OSError as exc:  # e.g. an input vanished between the graph and now, an unreadable output
            self._fail(t, "input", unreadable(t, exc, self.hasher.root), "not retried: fatal")
            return
        if decision.action != "skip" and (gone := self._gone(t, sources=False)):
            self._not_run_gone(t, gone)
            return
        if t.gaps:  # with -k, some inputs were not made: built as a partial report, which always runs
            decision = partial_decision(decision, t.gaps, len(t.task.inputs))
        t.decision = decision
        if (
            decision.action == "run"
            and decision.key is not None
            and self.options.hold.get(t.id) == decision.key
        ):
            self._hold(t, decision.key)
            return
        if decision.action != "skip" and (blocked := _directory_at_output(decision)):
            why = f"output {blocked} is a directory: remove it, or name another output"
            self._fail(t, "output", why, "not retried: fatal")  # (no run or restore could put a file there)
            return
        if decision.action == "run":
            if decision.unknown and t.llm and len(t.task.outputs) > 1:  # it writes in place: save them now
                decision.edited += [p for p in decision.unknown if p not in decision.edited]
            # hand edits since the decision, and outputs agentmake did not make, are saved at the commit
            seen, odd, outputs = decision.outputs_seen, set(decision.unknown), t.task.outputs
            if len(seen) == len(outputs):
                t.outputs_then = [UNKNOWN if p in odd else s for p, s in zip(outputs, seen, strict=True)]
            if not t.llm:  # (an LLM agent was sent the content it was decided on)
                t.seen = self.hasher.records(t.task.inputs)
        if decision.alias is not None and decision.key is not None and decision.action != "run":
            file = self.store.cache_move if decision.alias_moves else self.store.cache_alias
            file(decision.alias, decision.key)  # (before a restore reads the entry)
        if decision.alias_moves and decision.alias is not None and decision.key is not None:
            rekey = getattr(self.executor, "rekey_answers", None)  # (test doubles lack it)
            if rekey is not None:  # (an answer for the old key is salvaged by the run, if it proves one)
                rekey(t.id, decision.alias, decision.key)
        if decision.action == "skip":
            if decision.adopt is not None:
                self._adopt(t, decision)
            # (its path written as the Agentfile would: `"out fr/a.md" was edited by hand; keeping it`)
            kept = [
                with_path_quoted(r.message, r.path) for r in decision.reasons if r.kind == "output-edited"
            ]
            t.outcome.notice = "; ".join(kept) or None
            self._finish(t, "up-to-date")
            self._succeeded(t)
            return
        if decision.edited and not self._save_edited(t, decision.edited):
            return  # restoring and running both overwrite the outputs: hand edits are saved first
        if decision.action == "restore" and decision.key is not None:
            if self._restore(t, decision):
                return
            if decision.prompt is None and not self._render_prompt(t, decision):
                return  # restoring failed, so the task runs: a fast-path decision has no prompt yet
        if t.llm:  # (what answers it may salvage cost counts against the budget before the next call starts)
            count_found(self.store, self.gate, self.executor, t)
        t.parked_at = time.time()
        park(self.parked, t.runner, t.id, self.keys)

    def _gone(self, t: TaskState, sources: bool) -> dict[str | None, list[str]]:
        """The inputs of `t` that are gone now, by the id of the task of this build that made them (or
        found them up to date); with `sources`, also those no such task made (None), but those a partial
        report lacks (its gaps)."""
        producer, gone = self.graph.producer, dict[str | None, list[str]]()
        file_hash = getattr(self.hasher, "file_hash", None)  # (test doubles of the hasher may lack it)
        if file_hash is None:
            return gone
        lacked = {g.path for g in t.gaps}
        for path in t.task.inputs:
            made_by = self.tasks.get(producer.get(path, ""))
            made = made_by is not None and made_by.state in MADE
            if (made or sources) and path not in lacked and file_hash(path) is None:
                gone.setdefault(made_by.id if made_by is not None and made else None, []).append(path)
        return gone

    def _not_run_gone(self, t: TaskState, gone: dict[str | None, list[str]]) -> None:
        """`t` is not run: inputs it reads are gone (`_gone`; deleted by hand during the build). Run now, it
        would read a missing file (a call paid for, then again by the next build). One a task of this build
        made: the task is stale, what depends on it is held back, and the next build restores it (from the
        cache), then runs `t`. A source file: `t` is not run (the next build drops it, or says what is
        missing)."""
        for made_by, paths in gone.items():
            if made_by is not None:
                self._hold_back_dependents(self.tasks[made_by], f"{', '.join(paths)} gone", end_started=False)
        if t.state in TERMINAL:
            return
        why = f"input {', '.join(p for ps in gone.values() for p in ps)} is gone (deleted during the build)"
        if t.attempt == 0:
            self._not_run(t, why)
        else:  # (a retry, or decided again after an attempt)
            self._fail(t, "input", not_retried(t.outcome.message or "failed", why), "not retried: fatal")

    def _hold(self, t: TaskState, key: str) -> None:
        """`t` failed under `key` before, and would run under it again (`BuildOptions.hold`): not run."""
        t.outcome.key = key
        why = (
            f"failed with what it reads now; tried again once that changes"
            f" (`{command_line(*targets(t.id))}` tries it now)"
        )
        self._record(t, "not-run", time.time(), message=why)
        self._finish(t, "not-run", message=why)
        self._block_dependents(t, f"{t.id} failed and was not tried again")

    def _moved(self, t: TaskState, result: AttemptResult) -> bool:
        """A shell agent or a report reads its inputs as it runs: if one changed meanwhile, its result may mix
        old and new content, and recorded (and cached) under the key of the content it was decided on it
        would later stand for that content. So it is dropped and the task decided again (True); after
        `MOVES` such restarts in one build the task fails."""
        if t.seen is None:
            return False
        path = self.hasher.moved(t.task.inputs, t.seen)
        t.seen = None
        if path is None:
            return False
        self.executor.discard(result)
        self._decide_again(
            t, f"input {path} kept changing while the task ran", f"input {path} changed while it ran"
        )
        return True

    def _decide_again(self, t: TaskState, too_often: str, why: str) -> None:
        """What `t`'s attempt did is dropped (`why`) and the task decided again, unless that happened
        `MOVES` times in this build already: then it fails (`too_often`)."""
        t.moves += 1
        if t.moves > MOVES:
            self._fail(t, "input", too_often, "not retried")
            return
        t.max_attempts += 1  # (the dropped run is not one of its retries)
        why = f"{why}: deciding it again"
        self._emit(t, "retrying", attempt=t.attempt, max_attempts=t.max_attempts, retry_in=0.0, message=why)
        t.decision = None
        self.undecided.push(t.id)

    def _passed_in_place(self, t: TaskState, result: AttemptResult) -> bool:
        """`t`'s attempt found its outputs in place pass its new check (`Decision.recheck`): up to date, no
        call made. The record switches to the decision's key and the cache entry of the old one is filed
        under it, as for a decision that adopts outputs in place; the history row says "up-to-date". An
        output changed since the decision (a hand edit while the check ran: the check ran on copies, so this
        is never the check's doing) is no output the check vouches for as decided: the task is decided
        again. True when done so; False when the check rewrote its copies (`result.staged`) of outputs still
        as decided: the caller commits those as the task's outputs (`Outcomes._commit`, which records them
        under the decision's key and caches them)."""
        d = t.decision
        assert d is not None and d.recheck is not None and d.key is not None
        outputs, seen = t.task.outputs, d.outputs_seen
        moved = next(self.hasher.changed(outputs, seen), None) if len(seen) == len(outputs) else None
        if moved is not None:
            self.executor.discard(result)
            self._decide_again(
                t,
                f"output {moved} kept changing while its check ran",
                f"output {moved} changed while its check ran",
            )
            return True
        if result.staged:
            return False
        if d.alias is not None:
            self.store.cache_alias(d.alias, d.key)
        self._adopt(t, replace(d, adopt=d.recheck))
        self._finish(t, "up-to-date", message="its outputs in place pass the new check")
        self._succeeded(t)
        return True

    def _render_prompt(self, t: TaskState, decision: Decision) -> bool:
        """Fill `decision.prompt` for a run; False (the task failed) if it cannot be rendered."""
        render = getattr(self.rebuilder, "render", None)  # test doubles of the rebuilder may lack it
        if render is None:
            return True
        try:
            decision.prompt = render(t.task)
        except AgentmakeError as exc:
            self._fail(t, "usage", located(exc), "not retried: fatal")
            return False
        except OSError as exc:
            self._fail(t, "input", unreadable(t, exc, self.hasher.root), "not retried: fatal")
            return False
        return True

    def _save_edited(self, t: TaskState, edited: list[str]) -> bool:
        """Copy hand-edited outputs (and outputs agentmake did not make) to `.agentmake/edited/`; False (the
        task failed) if that is impossible."""
        try:
            saved = {path: self.store.save_edited(path) for path in edited}
        except OSError as exc:  # never overwrite a hand edit that could not be saved
            self._fail(t, "output-edited", f"cannot save hand-edited output: {exc}", "not retried: fatal")
            return False
        unknown = t.decision.unknown if t.decision is not None else []
        t.notice = saved_notice(saved, unknown)
        t.outcome.notice = t.notice
        self.store.log_event(self.run_id, t.id, "output-edited", t.notice, "saved a copy before rebuilding")
        return True

    def _soon_ready(self, done: list[str]) -> Any:
        """The best (smallest) priority key among the tasks that committing `done` would make ready, None if
        it makes none ready."""
        left: dict[str, int] = {}
        for task_id in done:
            for dep_id in self.graph.dependents.get(task_id, ()):
                dep = self.tasks.get(dep_id)
                if dep is not None and dep.state not in TERMINAL:
                    left[dep_id] = left.get(dep_id, dep.waiting_on) - 1
        keys = [self.keys[dep_id] for dep_id, n in left.items() if n <= 0]
        return min(keys) if keys else None

    def _dispatch(self, before: Any = None) -> None:
        """Start decided ready tasks, best first, while slots are free. Only tasks ranking before every ready
        task not yet decided (which may be the better one) and before `before`, if given: the loop decides
        the rest and comes back."""
        if self.stop_reason is not None or self._held():
            return
        undecided = self.undecided.peek_key()
        if undecided is not None and (before is None or undecided < before):
            before = undecided
        while self.limits.total < self.limits.jobs:
            best: tuple[Any, str | None] | None = None
            for runner, ready in self.parked.items():
                key = ready.peek_key()
                if key is not None and (best is None or key < best[0]) and self.limits.can_start(runner):
                    best = (key, runner)
            if best is None or (before is not None and not best[0] < before):
                return
            self._launch(self.tasks[self.parked[best[1]].pop()])

    def _waited_for(self, t: TaskState) -> tuple[str, str] | None:
        """What `t`, about to start for the first time, waited for: the task whose end freed a slot when
        every slot `t` may use was taken (`-j`, or its runner's `parallel` when that is the lower cap), the
        last to after `t` was parked (so it was ready, and waited for that slot: `Build._release`); else the
        dependency whose end made it ready; None if neither (ready and given a slot from the start)."""
        freed = self.freed
        cap = self.limits.effective.get(t.runner, self.limits.jobs) if t.runner is not None else None
        if t.runner is not None and cap is not None and cap < self.limits.jobs:
            ours = self.freed_by_runner.get(t.runner)  # (its runner's slots, or all of them, were taken)
            freed = max((f for f in (freed, ours) if f is not None), default=None)
        if freed is not None and freed[0] >= t.parked_at and freed[1] != t.id:
            return (freed[1], "slot")
        return (t.readied_by, "dependency") if t.readied_by is not None else None

    def _held_why(self, t: TaskState) -> str | None:
        """Why `t`'s next attempt would be held back as it starts (`_launch`), asked only (nothing recorded:
        `_call_held` records it): its agent may not be called now (`CallGate.why_not`: a runner refused, the
        budget reached). None if it may, if `t` calls no agent (a shell task; a re-check, `Decision.recheck`:
        the budget and a refused runner hold only the call it may lead to, which its attempt asks for,
        `Executor.calls_held`), or if its first attempt may use an answer already paid for (`may_salvage`:
        that costs nothing; the attempt is held before it would call)."""
        d = t.decision
        if not t.llm or (d is not None and d.recheck is not None):
            return None
        why = self.gate.why_not(t.runner)
        if why is not None and t.attempt == 0 and d is not None and self.executor.may_salvage(t.task, d):
            return None
        return why

    def _call_held(self, t: TaskState) -> str | None:
        """`_held_why`, and the summary says when the budget held it."""
        why = self._held_why(t)
        if why is not None:
            self._budget_spent()
        return why

    def _launch(self, t: TaskState) -> None:
        assert t.decision is not None
        if t.llm and (gone := self._gone(t, sources=True)):  # (deleted since it was decided: not paid for)
            self._not_run_gone(t, gone)
            return
        why = self._call_held(t)
        if why is not None:
            if t.attempt == 0:
                self._not_run(t, why)
            else:  # (its last failure, and why it is not tried again: "after 1 attempts" alone says neither)
                message = not_retried(t.outcome.message or "failed", why)
                self._fail(t, t.error_type, message, f"not retried: {why}", stops=False)
            return
        if t.attempt == 0:
            t.after = self._waited_for(t)
        t.attempt += 1
        t.cancel = threading.Event()
        t.started_as = self.limits.acquire(t.runner)
        self.running[t.id] = t  # these two lines are adjacent: Ctrl-C only lands at `_check_sigint`
        mark("launch", t.id)
        job = (t.task, t.decision, t.attempt, t.cancel)
        now = time.time()  # (before its worker may start: its history row spans the attempts, `_unreported`)
        if self.inline is None or not self.inline.start(*job):
            self.pool.submit(job, len(self.running) - (len(self.inline) if self.inline is not None else 0))
        if t.outcome.started_at is None:
            t.outcome.started_at = now
        t.outcome.attempts = t.attempt
        reason = t.decision.reasons[0].message if t.attempt == 1 and t.decision.reasons else None
        self._emit(
            t, "running", attempt=t.attempt, max_attempts=t.max_attempts, message=reason, action=t.notice
        )
