"""How tasks end: outputs committed, restored or adopted, their rows in the store; failures and what they pass
on are `failing`'s, what attempts cost `spending`'s, the state they share and their events `ending`'s.

`Outcomes` is the base of the build loop (`loop.Build`). All of it runs on the scheduler thread.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Any

from agentmake.confine import check_inside
from agentmake.errors import AgentmakeError
from agentmake.plan import Decision
from agentmake.plan.partial import gaps_detail, gaps_summary
from agentmake.runners import AttemptResult
from agentmake.scheduler.commit import commit_outputs, edited_since, saved_notice
from agentmake.scheduler.failing import Failing
from agentmake.scheduler.spending import Spending
from agentmake.scheduler.tasks import TaskState
from agentmake.store import TaskRecord
from agentmake.store.busy import StateBusy
from agentmake.store.records import keep_figures, made_figures
from agentmake.trace import mark


def partial_text(t: TaskState) -> str:
    """`1 of 4 inputs missing: build/perf.md (perf failed: exited with code 1)`."""
    gaps = t.decision.gaps if t.decision is not None else ()
    return f"{gaps_summary(gaps, len(t.task.inputs))}: {gaps_detail(gaps)}"


class Outcomes(Failing, Spending):
    """Endings of tasks; `loop.Build` adds the loop that produces them. Here: successes (committed, restored,
    adopted); failures and what they pass on in `failing`, what attempts cost in `spending`."""

    _resolved_root: str | None = None

    def _real_root(self) -> str:
        """The project root with links followed, resolved once per build: each commit's check of its output
        directories (`confine.check_inside`, which would resolve the root again each time) resolves only
        those directories. An agent may link a directory of the project out, which every commit still
        sees; the root is where the build runs, not an agent's to move."""
        if self._resolved_root is None:
            self._resolved_root = os.path.realpath(self.root)
        return self._resolved_root

    def _restore(self, t: TaskState, decision: Decision) -> bool:
        assert decision.key is not None
        before = time.time_ns()  # (what is written after it is not taken for what the cache held)
        try:
            restored = self.store.cache_restore(decision.key, self.root, decision.moved)
        except (OSError, KeyError, ValueError, AgentmakeError) as exc:
            self.store.log_event(
                self.run_id, t.id, "cache", f"cache restore failed: {exc}", "running instead"
            )
            return False
        now = time.time()
        for path, digest in restored.items():
            self.hasher.note_written(path, digest, before)
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
                check_inside(self.root, path, self._real_root())
            absent: set[str] = set()  # (outputs found not there: no old file to keep aside for the rename)
            saved = self._save_mid_run_edits(t, result.staged, hashes, result.in_place, absent)
            commit_outputs(self.root, result.staged, self.discard, absent)
        except OSError:
            # the record names the new outputs: if a `commits` row stands for them, the next run restores
            # them from the cache (`recover_commits`), so the failure must not overwrite that record
            pending = getattr(self.store, "pending_commits", None)
            t.commit_pending = pending is not None and t.id in pending()
            raise
        placed = getattr(self.store, "outputs_placed", None)
        if placed is not None and result.staged:
            placed(t.id)
        read_ns = int(ended * 1e9)  # (the attempt's end, taken before its outputs were hashed)
        for path, digest in hashes.items():
            self.hasher.note_written(path, digest, read_ns)
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
            told = cap is not None and t.runner in self.limits.told  # (a lowering not said: nor is this)
            self._finish(t, "done", action=f"cap for {t.runner} raised to {cap}" if told else None)
        self._succeeded(t)

    def _save_mid_run_edits(
        self, t: TaskState, staged: dict[str, Path], hashes: dict[str, str], in_place: bool = False,
        absent: set[str] | None = None,
    ) -> str | None:  # fmt: skip
        """Keep the outputs a person edited while `t` ran (after it was decided), and those agentmake did not
        make (`Decision.unknown`) if the result differs, under `.agentmake/edited/` before its result replaces
        them (the files themselves, hard-linked: `Store.save_edited`), as `Starting._save_edited` copies edits
        found when deciding; returns the notice, None if there were none. An OSError (a save failed)
        propagates before any rename, so the outputs stay as they are and the task fails as with a failed
        rename. Not for a multi-output LLM agent: it writes its outputs in place and `backups` puts back what
        they held when it started; unless its agent was not called (`in_place`: copies its new check
        rewrote, `AttemptResult.in_place`). Adds to `absent` the outputs it found not there (not there when
        decided, nor now: a first build's), whose commit has no old file to keep aside (`commit_outputs`)."""
        then, t.outputs_then = t.outputs_then, None
        if then is None or (t.llm and len(then) > 1 and not in_place):  # (it writes them itself, in place)
            return None
        pairs = [(p, seen) for p, seen in zip(t.task.outputs, then, strict=True) if p in staged]
        changed = list(self.hasher.changed([p for p, _ in pairs], [seen for _, seen in pairs]))
        if absent is not None:  # (one not seen then is `changed` if it is there now: these are not)
            absent.update(p for p, seen in pairs if seen is None and p not in changed)
        edited = edited_since(self.root, changed, hashes)
        if not edited:
            return None
        saved = {path: self.store.save_edited(path, link=True) for path in edited}  # (the file itself)
        notice = saved_notice(saved, t.decision.unknown if t.decision is not None else [])
        action = "about to be replaced: saved a copy"
        self.store.log_event(self.run_id, t.id, "output-edited", notice, action)
        return notice

    def _record_done(
        self, t: TaskState, result: AttemptResult, hashes: dict[str, str], started: float, ended: float,
        note: bool = True,
    ) -> None:  # fmt: skip
        """The task row, history row and cache entry of a success, in one transaction (or the open batch).
        A salvaged answer's rows keep what it cost when it was paid for (not spent by this build: `_add_cost`)
        and its history row says "cached", as a restore's does; outputs in place that passed a new check which
        rewrote them (`AttemptResult.in_place`) cost this build nothing, and their history row says
        "up-to-date": their record keeps what the result took and cost when it was paid for (`_keep_made`)."""
        assert t.decision is not None
        files = {path: tmp if isinstance(tmp, Path) else Path(tmp) for path, tmp in result.staged.items()}
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
        # (tokens alone too: a killed build's summary line never said them, `Journal.spend_unsummed`). Only
        # the answer's own spend, counted by this build (`Spending._add_cost`): what it counted of answers
        # it rejected or never used (`out.paid_earlier` too) is not in this row, whose cost is the answer's;
        # an answer a build reported, said so here, was counted again by the report and the next line
        record.paid_earlier = result.salvaged and out.salvaged_unreported
        if t.decision.gaps:  # recorded under a key no decision computes: never up to date, never restored
            record.status = "partial"
            record.error = partial_text(t)
        state = "cached" if result.salvaged else "up-to-date" if result.in_place else "done"
        self.store.record_success(record, files, state=state)
        if note:
            self._note_paid(t, result)
        mark("recorded", t.id)

    def _note_paid(self, t: TaskState, result: AttemptResult) -> None:
        """The answer of `t`'s success, recorded (committed: a batch notes its answers only once it has,
        `_record_together`), is noted reported in its key file: what it cost is in its history row, never
        counted again. Noted before the commit, a kill -9 in between left the answer salvaged by the next
        build as reported by none: paid, never said (soak_kill9 seed 2242, 8 tokens in / 6 out short)."""
        paid_by = result.paid_by if result.salvaged else result.log_stem
        if t.llm and paid_by is not None:
            from agentmake.runners.salvage import note_reported  # (an LLM agent's: not in a shell build)

            note_reported(paid_by)

    def _keep_made(self, task_id: str, record: TaskRecord) -> None:
        """`record`, of outputs in place a new check rewrote (no call), keeps what the result it rewrote took
        and cost when it was paid for, as the task's record says (`TaskRecord.kept`), as `_adopt` does for
        outputs in place it leaves as they are."""
        old = self.store.task_record(task_id)
        if old is not None:
            keep_figures(record, made_figures(old))
            record.attempts = old.attempts
