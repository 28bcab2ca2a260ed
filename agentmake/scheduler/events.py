"""What the scheduler tells the world: task events and the build result."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from agentmake.pathwords import quote_path
from agentmake.scheduler.summary import summary_line

if TYPE_CHECKING:
    from pathlib import Path

STATES = (
    "pending",  # selected, not yet considered
    "waiting",  # inputs not ready (dependencies still running)
    "running",
    "retrying",  # failed an attempt; next attempt in `retry_in` seconds
    "done",  # ran and succeeded
    "failed",
    "cached",  # outputs restored from the cache, zero agent calls
    "up-to-date",  # nothing to do
    "not-run",  # a dependency failed, the build stopped, or the budget was reached
    "interrupted",  # Ctrl-C / cancelled
)


@dataclass(frozen=True)
class TaskEvent:
    """A task's state change, as the displays and status.md receive it."""

    task_id: str
    state: str  # one of STATES
    time: float  # time.time()
    attempt: int = 0
    max_attempts: int = 0
    retry_in: float | None = None
    message: str | None = None  # failure message, reason for not-run, or the stale reason when starting
    error_type: str | None = None
    action: str | None = None  # what was done: "retrying in 2.1s", "gave up after 3 attempts"
    ran: float | None = None  # done/failed/interrupted: seconds its attempts ran (`TaskOutcome.run_time`)


@dataclass
class TaskOutcome:
    """What became of one task in a build: its final state, times, attempts and cost."""

    task_id: str
    state: str
    started_at: float | None = None
    ended_at: float | None = None
    attempts: int = 0
    cost_usd: float | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    message: str | None = None
    notice: str | None = None  # not a failure, but worth telling: a kept or saved hand-edited output
    key: str | None = None  # what it was decided under, if it failed (or was held: `BuildOptions.hold`)
    partial: str | None = None  # a partial report: what it lacks (`1 of 4 inputs missing`; `plan.partial`)
    runs: list[tuple[float, float]] = field(default_factory=list)  # (start, end) of each attempt it ran
    unpriced: bool = False  # an LLM call of it reported no cost (codex, llm, ollama): its cost is unknown
    untokened: bool = False  # an LLM call of it reported no tokens: its token count is unknown
    # of `cost_usd`, what an answer it salvaged cost, paid for by an interrupted run that never reported it
    paid_earlier: float | None = None
    # its salvaged answer's spend, in dollars or in tokens alone, no build reported: this build counts it
    salvaged_unreported: bool = False

    @property
    def run_time(self) -> float | None:
        """A task's *time*: the seconds its attempts of this build ran, retries included, the waits between
        them (backoff) not; None if it ran none. `ended_at - started_at` is its wall *span*."""
        return sum(max(end - start, 0.0) for start, end in self.runs) if self.runs else None


@dataclass
class BuildResult:
    """One build's outcomes, task by task, and its times."""

    run_id: int
    outcomes: dict[str, TaskOutcome] = field(default_factory=dict)
    started_at: float = 0.0
    ended_at: float = 0.0
    interrupted: bool = False
    budget_reached: bool = False
    budget: float | None = None  # this build's budget (USD), if it had one
    uncounted: set[str] = field(default_factory=set)  # runners whose calls reported no cost under a budget
    # under a budget, calls ended before they could report their cost (timed out, stalled, cancelled):
    # runner -> "task: why" of each (their runner may well report what a call costs: not `uncounted`)
    cut_short: dict[str, list[str]] = field(default_factory=dict)
    # tasks that finished but whose result could not be recorded: the build was stopped while another
    # program held the state database's write lock (`agentmake.store.busy`), and why
    unrecorded: dict[str, str] = field(default_factory=dict)
    # what a killed agentmake left, put right before anything started (`scheduler.recover.take_over`): tasks
    # whose processes were still running and were ended, tasks whose recorded results were put in place, and
    # the copies saved first of outputs edited by hand since (output -> where its copy is)
    ended_left: list[str] = field(default_factory=list)
    placed_left: list[str] = field(default_factory=list)
    saved_left: dict[str, str] = field(default_factory=dict)
    # what killed builds spent (results put in place, now or before the kill, failed tasks' attempts), and
    # those attempts' tokens (in, out): they printed no summary line, so counted in this build's
    # (`TakenOver.cost`), as paid by an interrupted run; and those builds, marked reported as this one ends
    placed_cost: float | None = None
    placed_tokens: tuple[int, int] | None = None
    summed: list[int] = field(default_factory=list)
    paid_left: list[str] = field(default_factory=list)  # the tasks whose attempts those were
    # of those builds, the ones killed as they ended, whose summary line may have said it already
    # (`Journal.ended_unsaid`); and whether this build's line is to be marked said once printed
    # (`Journal.line_said`: it reports spend)
    repeats: list[int] = field(default_factory=list)
    said_later: bool = False
    # where the attempts' logs are (`.agentmake/logs`): a failed task's summary names its last attempt's
    log_dir: Path | None = None

    def count(self, state: str) -> int:
        return [o.state for o in self.outcomes.values()].count(state)

    def counts(self) -> dict[str, int]:
        """Number of tasks in each state (states with none left out)."""
        counts: dict[str, int] = {}
        for o in self.outcomes.values():
            counts[o.state] = counts.get(o.state, 0) + 1
        return counts

    @property
    def wall(self) -> float:
        return max(self.ended_at - self.started_at, 0.0)

    @property
    def cost_usd(self) -> float | None:
        costs = [o.cost_usd for o in self.outcomes.values() if o.cost_usd is not None]
        if self.placed_cost is not None:
            costs.append(self.placed_cost)
        return sum(costs) if costs else None

    @property
    def ok(self) -> bool:
        if self.interrupted:
            return False
        counts = self.counts()
        return not counts.get("failed") and not counts.get("not-run")

    def summary_line(self, places: int | None = None) -> str:
        """`agentmake: 12 ran, 3 cached, 40 up to date, 1 failed in 8.3s` (+ `, $0.42` if costs are known, `+
        unknown` after it if some calls reported none, ` ($0.20 of it paid by an interrupted run)` if answers
        salvaged from such a run that no build reported cost some of it (`TaskOutcome.paid_earlier`), and
        `, 12,000 tokens in / 3,400 out` if tokens are, `+ unknown` after them if some calls reported none).
        A partial report (done, `partial` set) is counted apart from those that ran: `…, 1 failed, 1 partial
        in 8.3s`. `places`: the decimals of the cost (`summary.adding_up`: those of the table above it)."""
        counts = self.counts()
        partial = sum(1 for o in self.outcomes.values() if o.state == "done" and o.partial is not None)
        if partial:
            counts["done"] -= partial
            counts["partial"] = partial
        unknown = any(o.unpriced for o in self.outcomes.values())
        earlier = self.paid_earlier
        untokened = any(o.untokened for o in self.outcomes.values())
        return summary_line(
            counts, self.wall, self.cost_usd, self.tokens, cost_unknown=unknown, paid_earlier=earlier,
            tokens_unknown=untokened, places=places,
        )  # fmt: skip

    @property
    def paid_earlier(self) -> float | None:
        """What answers salvaged from an interrupted run that no build reported cost, of `cost_usd`
        (`TaskOutcome.paid_earlier`), and what killed builds spent that none reported (`placed_cost`); None
        if this build took over none."""
        earlier = [o.paid_earlier for o in self.outcomes.values() if o.paid_earlier is not None]
        if self.placed_cost is not None:
            earlier.append(self.placed_cost)
        return sum(earlier) if earlier else None

    @property
    def tokens(self) -> tuple[int, int] | None:
        """(tokens in, tokens out) over the tasks that reported any, None if none did."""
        known = [o for o in self.outcomes.values() if o.tokens_in is not None or o.tokens_out is not None]
        placed = self.placed_tokens
        if not known and placed is None:
            return None
        tokens_in = sum(o.tokens_in or 0 for o in known) + (placed[0] if placed else 0)
        return tokens_in, sum(o.tokens_out or 0 for o in known) + (placed[1] if placed else 0)


def saved_copy_line(output: str, copy: str | Path) -> str:
    """How an output's copy saved under `.agentmake/edited/` before it was replaced or removed is said, on a
    line of its own (the build's summary, `clean`): the output was edited by hand, or agentmake did not make
    it. Each path as the Agentfile would write it (`pathwords.quote_path`: one with a space in quotes)."""
    said = "was edited by hand or not made by agentmake; saved a copy to"
    return f"{quote_path(output)} {said} {quote_path(str(copy))}"


def emit_up_to_date(sink: Callable[[TaskEvent], None], task_ids: Sequence[str], when: float) -> None:
    """Tell `sink` that each of `task_ids` went from pending to up to date at `when`: in one call to
    `sink.up_to_date(task_ids, when)` when it has that method, else as a "pending" and an "up-to-date" event
    per task."""
    if not task_ids:
        return
    bulk = getattr(sink, "up_to_date", None)
    if bulk is not None:
        bulk(task_ids, when)
        return
    for task_id in task_ids:
        sink(TaskEvent(task_id, "pending", when))
    for task_id in task_ids:
        sink(TaskEvent(task_id, "up-to-date", when))
