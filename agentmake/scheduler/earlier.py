"""Spend paid by an interrupted run: what answers salvaged from a killed build cost (`runners.salvage`),
which no build reported (`unreported`), counted against this build's `--budget` as soon as the task that
finds them is decided (`count_found`), before any other call starts.

The attempt that salvages an answer (or finds it fails its check, and would ask again) reports it only when it
ends, so counting it only then let calls start meanwhile past the budget: the attempt's own call after a
rejected answer, and those other slots started. The budget counts each answer once (`CallGate.spend_once`,
keyed by the attempt that paid: its log stem and start), whether it is counted here or when the attempt
ends (`spending._count`); the task's outcome and the summary line count it only then, as before. An answer
counted here that the attempt never reaches (an earlier one passed its check; the build stopped before the
task started) holds the budget in this build though its summary does not show it: the next build that
finds it reports it. A kill -9 loses nothing: the budget lives in memory, and what is marked reported
(`salvage.note_reported`) is marked when the attempt's result is recorded, not here.

What no answer of the task's comes of (a failure its agent was paid for, a salvaged answer that failed its
check) is proved only by its attempt's logs, which this build's attempt at the same log stem replaces as it
starts: so it is recorded in the state database the moment the task's first attempt finds it, before any call
(`record_found`, `Journal.record_found`), as this build's spend. The database is the ledger, the logs only
evidence: this build's summary line reports it (`found_in`), or if this build is killed too, the next one
(`spend_unsummed`); no build finds it in the logs again (`Journal.spend_unsummed`, `note_reported`). Before,
it was held only by this build's outcome of the task, and a kill -9 before its row lost it.

What a killed build paid for and never recorded that no later attempt may salvage (a `-B` build's new answer
for a task whose old outputs still match its record: up to date, never run again) is found by the build (or
`clean`) that takes over its run (`find_left`), in one look at the logs, made only when the journal holds a
killed build: recorded as that killed build's spend, so that the build taking over reports it with what that
build left (`Journal.spend_unsummed`), and noted reported in its key file, so that an attempt that salvages
that answer later counts it no more. Before, it was reported only if the task ran again, and never once
`clean --cache` had removed the key files.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from agentmake.runners.local import LocalExecutor
from agentmake.runners.parsed import Parsed
from agentmake.runners.result import AttemptResult
from agentmake.scheduler.gate import CallGate
from agentmake.scheduler.tasks import TaskState
from agentmake.store import Store


def unreported(store: Store, t: TaskState, result: AttemptResult) -> bool:
    """Whether the spend on a salvaged answer was reported by no build: its key was never recorded, or
    recorded before the attempt that paid for it started (a record's build counted the attempts it made: not
    one made after it, when its output was lost and its cache entry gone), and no history row spans that
    attempt (a build stopped by Ctrl-C counted it, then wrote its row); a build killed with -9 wrote
    neither."""
    if result.paid_at is None or t.decision is None:
        return False
    if t.decision.recorded:
        rec = store.task_record(t.id)
        if rec is None or not 0 < rec.finished_at < result.paid_at:
            return False
    return not store.spend_reported(t.id, result.paid_at)


def paid_by(result: AttemptResult) -> tuple[str, float] | None:
    """Which attempt paid for a salvaged answer (its log stem, when it started), None if none is known or a
    build reported it: the budget counts each such attempt once (`CallGate.spend_once`)."""
    if not result.salvaged or result.paid_by is None or result.paid_at is None:
        return None
    return str(result.paid_by), result.paid_at


def count_found(store: Store, gate: CallGate, executor: LocalExecutor, t: TaskState) -> None:
    """`t`, an LLM agent decided to run for the first time in this build: what the answers it may salvage
    cost, spent by an interrupted run that no build reported, counts against the budget now, before the next
    call starts (see the module docstring)."""
    if t.decision is None or t.attempt > 0:
        return
    for found in executor.paid_answers(t.task, t.decision):
        key = paid_by(found)
        if key is not None and found.cost_usd is not None and unreported(store, t, found):
            gate.spend_once(key, found.cost_usd)


def record_found(store: Store, gate: CallGate, run_id: int, t: TaskState, found: list[AttemptResult]) -> bool:
    """`found`: what earlier attempts of `t` paid for that no answer of this build comes of (failures,
    answers that failed the check), told by its first attempt before it calls its agent (`Executor.on_found`,
    from its worker). What no build reported is recorded now as build `run_id`'s spend, counted against the
    budget once, and noted reported in its key file; what cannot be recorded (the database busy, a full
    disk) is counted as before, when the attempt ends (`Outcomes._add_rejected`, which tries this again
    first). Whether it was recorded (nothing to record: False)."""
    new = [f for f in found if paid_by(f) is not None and priced(f) and unreported(store, t, f)]
    rows = [(f.paid_at, str(f.paid_by), f.cost_usd, f.tokens_in, f.tokens_out) for f in new]
    record = getattr(store, "record_found", None)  # (test doubles of the store may lack it)
    if not rows or record is None or not record(run_id, t.id, rows):
        return False
    from agentmake.runners.salvage import note_reported  # (an LLM agent's answers alone: not at each start)

    for f in new:
        key = paid_by(f)
        if key is not None and f.cost_usd is not None:
            gate.spend_once(key, f.cost_usd)
        if f.paid_by is not None:
            note_reported(f.paid_by, f.paid_at)
    return True


def priced(result: AttemptResult) -> bool:
    """Whether `result` says what it cost, in dollars or tokens."""
    return result.cost_usd is not None or result.tokens_in is not None or result.tokens_out is not None


def find_left(store: Store, log_dir: Path, left: Iterable[str], ours: int | None = None) -> list[int]:
    """What attempts of the killed builds that no build reported (`Journal.killed_spans`; `ours`, the build
    taking over, is not one) paid for and never recorded, found in their logs and recorded as those builds'
    spend (`Journal.record_found`), each noted reported in its key file (see the module docstring). Of the
    tasks with a record and `left` (those the killed build was running). Nothing read when no build was
    killed (or the store is a test double that cannot say). Returns the killed builds in whose logs
    nothing was found (`recover.take_over` marks those that spent nothing as reported: else every build
    after one would look again, as long as the journal keeps it)."""
    spans_of = getattr(store, "killed_spans", None)
    spans = spans_of(ours) if spans_of is not None else []
    if not spans:
        return []
    from agentmake.runners.salvage import note_reported, paid_in_logs  # (only after a killed build)

    task_ids = {*store.task_ids(), *left}
    found: dict[tuple[int, str], list[tuple[Path, float, Parsed]]] = {}

    def killed_by(paid_at: float) -> int | None:
        """The killed build an attempt started at `paid_at` is of, if any."""
        return next((r for r, at, until in spans if at <= paid_at and paid_at < (until or paid_at + 1)), None)

    since = min(at for _, at, _ in spans)
    for task_id, source, paid_at, parsed in paid_in_logs(
        log_dir, task_ids, since, lambda at: killed_by(at) is not None
    ):
        run = killed_by(paid_at)
        if run is None or store.spend_reported(task_id, paid_at):
            continue  # (an attempt of a build that ended, or one whose spend a build recorded)
        found.setdefault((run, task_id), []).append((source, paid_at, parsed))
    for (run, task_id), attempts in found.items():
        rows = [(at, str(src), p.cost_usd, p.tokens_in, p.tokens_out) for src, at, p in attempts]
        if store.record_found(run, task_id, rows):
            for source, paid_at, _ in attempts:
                note_reported(source, paid_at)
    return [r for r, _, _ in spans if not any(run == r for run, _ in found)]
