"""What a display sink is (events in, a result at the end), the fan-out helper and the shared end summary."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from agentmake.display.fmt import (
    cell_width,
    cut_middle,
    fmt_cost,
    fmt_duration,
    ljust_cells,
    state_words,
    term_lines,
    term_safe,
    usd,
)
from agentmake.firstfew import first_few
from agentmake.natorder import natural_key
from agentmake.scheduler.events import BuildResult, TaskEvent, TaskOutcome, emit_up_to_date, saved_copy_line
from agentmake.scheduler.gate import SPEND_EPSILON


@runtime_checkable
class Sink(Protocol):
    """Receives task events (from one thread), may be ticked to refresh elapsed times, and is closed once."""

    def __call__(self, event: TaskEvent) -> None: ...

    def tick(self) -> None: ...

    def close(self, result: BuildResult) -> None: ...


class Fanout:
    """Sends every event, tick and the final result to several sinks, in order."""

    def __init__(self, *sinks: Sink) -> None:
        self.sinks: list[Sink] = list(sinks)

    def add(self, sink: Sink) -> None:
        self.sinks.append(sink)

    def __call__(self, event: TaskEvent) -> None:
        for sink in self.sinks:
            sink(event)

    def up_to_date(self, task_ids: Sequence[str], when: float) -> None:
        """Tasks found up to date in bulk: in bulk to the sinks that take it, as events to the others."""
        for sink in self.sinks:
            emit_up_to_date(sink, task_ids, when)

    def tick(self) -> None:
        for sink in self.sinks:
            tick = getattr(sink, "tick", None)  # a plain event callable has neither tick nor close
            if tick is not None:
                tick()

    def close(self, result: BuildResult) -> None:
        for sink in self.sinks:
            close = getattr(sink, "close", None)
            if close is not None:
                close(result)

    def abort(self, why: str) -> None:
        """The build ended with an error before it had a result (`why`): the sinks that keep a view say so
        (a file on disk must not go on showing tasks running that no process runs)."""
        for sink in self.sinks:
            abort = getattr(sink, "abort", None)
            if abort is not None:
                abort(why)


def failure_lines(result: BuildResult) -> list[str]:
    """One entry per failure with its message (continuation lines indented), then where its last attempt's
    logs are (`logs_line`), safe for a terminal. Tasks that failed the same way (one message, as many
    attempts: an auth failure hits every parallel call) are one entry, named together (`✗ a, b, c and 2
    more (5 tasks): ...`), with the first one's logs and prompt."""
    groups: dict[tuple[str, int], list[TaskOutcome]] = {}
    for task_id in sorted(result.outcomes, key=natural_key):
        outcome = result.outcomes[task_id]
        if outcome.state == "failed":
            groups.setdefault(((outcome.message or "failed").strip(), outcome.attempts), []).append(outcome)
    lines: list[str] = []
    for (said, tries), outcomes in groups.items():
        first = outcomes[0]
        message = term_lines(said) or ["failed"]
        attempts = f" after {tries} attempts" if tries > 1 else ""
        lines.append(f"✗ {_failed_names(outcomes)}{attempts}: {message[0]}")
        lines.extend("    " + more for more in message[1:])
        whose = "" if len(outcomes) == 1 else f" ({term_safe(first.task_id)})"
        for line in (logs_line(result, first), prompt_line(result, first)):
            if line:
                name, _, rest = line.partition(": ")
                lines.append(f"    {name}{whose}: {rest}")
    return lines


def _failed_names(outcomes: list[TaskOutcome]) -> str:
    """The task, or the tasks that failed alike and how many (`a, b, c and 2 more (5 tasks)`)."""
    from agentmake.firstfew import first_few

    if len(outcomes) == 1:
        return term_safe(outcomes[0].task_id)
    return f"{first_few([o.task_id for o in outcomes], 3, whole=4, each=term_safe)} ({len(outcomes):,} tasks)"


def logs_line(result: BuildResult, outcome: TaskOutcome) -> str | None:
    """``logs: .agentmake/logs/review.3.err, .agentmake/logs/review.3.out``: the files of what the last
    attempt of a failed task printed, where to look next (relative to the working directory when inside
    it); None when it left none (it never started, or printed nothing) or the build has no log directory."""
    if result.log_dir is None:
        return None
    paths = attempt_log_paths(result.log_dir, outcome.task_id, outcome.attempts)
    return term_safe("logs: " + ", ".join(paths)) if paths else None


def prompt_line(result: BuildResult, outcome: TaskOutcome) -> str | None:
    """``prompt: .agentmake/tasks/review.prompt``: the prompt the last attempt of a failed task sent
    (`attempt_prompt_path`), so its question is found beside its answer; None for a task that sends none (a
    shell agent) or a build with no log directory."""
    if result.log_dir is None:
        return None
    path = attempt_prompt_path(result.log_dir, outcome.task_id, outcome.attempts)
    return term_safe("prompt: " + path) if path else None


def attempt_prompt_path(log_dir: Path, task_id: str, attempt: int) -> str | None:
    """The file holding the prompt `attempt` of `task_id` sent, as a person names it from here: the
    attempt's own ``logs/<id>.<attempt>.prompt`` when it sent more than the task's prompt (a retry after a
    failed check), else the task's rendered prompt ``tasks/<id>.prompt`` (beside the log directory); None when
    there is neither (a shell agent, or a task that never started)."""
    from agentmake.pathwords import quote_path
    from agentmake.runners.invocation import safe_name  # (only for a failure)

    if attempt < 1:
        return None
    stem = safe_name(task_id)
    for path in (log_dir / f"{stem}.{attempt}.prompt", log_dir.parent / "tasks" / f"{stem}.prompt"):
        if path.is_file():
            return quote_path(_shown(path))
    return None


def attempt_log_paths(log_dir: Path, task_id: str, attempt: int) -> list[str]:
    """The files of what `attempt` of `task_id` printed, as a person names them from here (`_shown`, quoted
    where a shell needs it); none if it printed nothing."""
    from agentmake.pathwords import quote_path
    from agentmake.runners.taskfiles import attempt_logs  # (only for a failure)

    return [quote_path(_shown(path)) for path in attempt_logs(log_dir, task_id, attempt)]


def _shown(path: Path) -> str:
    """`path` relative to the working directory when it is under it, else absolute."""
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except (ValueError, OSError):
        return str(path.absolute())


TABLE_LIMIT = 30  # tasks that ran, up to which the summary table lists every one
SLOWEST = 10  # past TABLE_LIMIT: the table lists failed and interrupted tasks and this many slowest others
TASK_COLUMN = 32  # the summary table's task column, at least (wider when a task id is longer)
NARROWEST_TASK_COLUMN = 12  # on a terminal: what the task column keeps, however narrow the terminal


def cost_places(result: BuildResult) -> tuple[int | None, bool]:
    """The decimals the summary table's costs and the summary line's total are said with, and whether the
    rows add up to it then (`summary.adding_up`): when the table lists every task that cost something and
    their costs are the whole total; else (None, True): `usd`'s own rule (no rows to add up, or rows that
    are not the whole total whatever their rounding)."""
    import math

    from agentmake.scheduler.summary import adding_up

    ran = [o for o in result.outcomes.values() if o.state in ("done", "failed") and o.started_at]
    parts = [o.cost_usd for o in ran if o.cost_usd is not None]
    total = result.cost_usd
    if total is None or len(parts) < 2 or len(ran) > TABLE_LIMIT or abs(math.fsum(parts) - total) > 1e-9:
        return None, True
    return adding_up(parts, total)


def summary_lines(result: BuildResult, term_width: int | None = None) -> list[str]:
    """The full end-of-build summary shown by the live and the plain display (not the summary line itself).

    The table lists every task that ran, in the natural order of their ids (as the failures, not run and
    interrupted lists below; not in the order they started), when at most `TABLE_LIMIT` did; past that (a big
    fan-out) it lists the failed and interrupted ones and the `SLOWEST` slowest others, then one line counting
    the rest by state (`… and 9,990 more: 9,990 done`), so its length stays bounded. Task ids, notices and
    messages are made safe for a terminal (`term_safe`). Given the terminal's width (`term_width`), a table
    wider than it has its task column narrowed to fit and the ids too long for it cut in the middle
    (`cut_middle`, as the live table does), so that no row wraps onto the next line; elsewhere (a pipe, a log)
    ids are never cut. The costs are said with as many decimals as make them add up to the summary line's
    total (`cost_places`), or a line says they do not."""
    lines: list[str] = []
    ran = [o for o in result.outcomes.values() if o.state in ("done", "failed") and o.started_at]
    if ran:
        shown = ran
        if len(ran) > TABLE_LIMIT:
            ran += [o for o in result.outcomes.values() if o.state == "interrupted" and o.started_at]
            bad = [o for o in ran if o.state != "done"]
            shown = bad + slowest([o for o in ran if o.state == "done"], SLOWEST)
        lines.append("")
        places, adds_up = cost_places(result)
        costs = {o.task_id: fmt_cost(o.cost_usd, places) for o in shown}
        width = max(8, *map(len, costs.values()))  # (`$0.0012`, `$9999.99`: 8; $0.000021 takes 9)
        ids = {o.task_id: term_safe(o.task_id) for o in shown}
        # the task column as wide as its longest id (32 at least): a long id is not cut, and the columns
        # after it stay in line in every row
        id_width = max(TASK_COLUMN, *map(cell_width, ids.values()))
        rest = len(f" {'state':<11} {'time':>8} {'attempts':>8} ") + width  # (what follows the id)
        if term_width is not None and id_width + rest > term_width:
            id_width = max(term_width - rest, NARROWEST_TASK_COLUMN)
            ids = {task_id: cut_middle(shown_id, id_width) for task_id, shown_id in ids.items()}
        lines.append(
            f"{ljust_cells('task', id_width)} {'state':<11} {'time':>8} {'attempts':>8} {'cost':>{width}}"
        )
        for o in sorted(shown, key=lambda o: natural_key(o.task_id)):  # (as the lists below: not start order)
            cost = costs[o.task_id]
            took = fmt_duration(_duration(o))
            state = "partial" if o.partial else o.state  # (a partial report: done, without some inputs)
            row = f"{ljust_cells(ids[o.task_id], id_width)} {state:<11} {took:>8} {o.attempts:>8} "
            row += f"{cost:>{width}}"
            lines.append(row.rstrip())
        if len(shown) < len(ran):
            lines.append(_rest_line(result, {o.task_id for o in shown}))
        if not adds_up:  # (costs of more than six decimals: no rounding makes them add up)
            from agentmake.scheduler.summary import said_amount

            rows = sum(said_amount(c) for c in costs.values() if c)
            total = usd(result.cost_usd or 0.0, places)
            lines.append(f"(each cost rounded: the rows add up to ${rows}, the total is {total})")
    notices = sorted((t, o.notice) for t, o in result.outcomes.items() if o.notice)
    if notices:
        lines.append("")
        lines.extend(f"! {term_safe(task_id)}: {term_safe(notice)}" for task_id, notice in notices)
    left = "a killed agentmake left running"
    if result.ended_left:
        lines.append(f"ended what {left} ({len(result.ended_left)}): " + _short_list(result.ended_left))
    for out, copy in sorted(result.saved_left.items()):  # (saved before a result below replaced it)
        lines.append(term_safe(saved_copy_line(out, copy)))
    if result.placed_left:
        placed = f"put in place the results a killed agentmake recorded ({len(result.placed_left)}): "
        lines.append(placed + _short_list(result.placed_left))
    if result.paid_left:  # (on the summary line, as paid by an interrupted run)
        paid = f"counted what a killed agentmake spent and never reported ({len(result.paid_left)}): "
        lines.append(paid + _short_list(result.paid_left))
        if result.repeats:  # (killed as it ended: at least once, so perhaps twice)
            runs = ", ".join(str(r) for r in result.repeats)
            lines.append(
                f"(build {runs} was killed as it printed its summary line: that line may have counted some of"
                " this already)"
            )
    failures = failure_lines(result)
    if failures:
        lines.append("")
        lines.append("failures:")
        lines.extend(failures)
    not_run = sorted((t for t, o in result.outcomes.items() if o.state == "not-run"), key=natural_key)
    if not_run:
        lines.append("")
        lines.append(f"not run ({len(not_run)}): " + _short_list(not_run))
    interrupted = sorted((t for t, o in result.outcomes.items() if o.state == "interrupted"), key=natural_key)
    if interrupted:
        lines.append(f"interrupted ({len(interrupted)}): " + _short_list(interrupted))
    if result.budget_reached:
        lines.append("budget reached: no further paid tasks were started")
        lines.append(  # (what to do next: the budget is per build, and what it paid for is kept)
            "budget: the next build goes on with what is left (the budget is per build); a higher --budget"
            " does more in one"
        )
        spent, budget = result.cost_usd, result.budget
        earlier = result.paid_earlier
        called = (spent or 0.0) - (earlier or 0.0)  # (what calls of this build cost: the rest was salvaged)
        if (
            spent is not None
            and budget is not None
            and spent > budget + SPEND_EPSILON
            and called > SPEND_EPSILON
        ):
            # the budget holds only calls not yet started: one started under it costs what it costs (known
            # once it ends), and those in flight when it was reached were paid for (with -j 1 there are none)
            # (over it, by less than a rounding: `$0.0001 spent against a $0.0001 budget` read as no excess)
            places = 6 if usd(spent) == usd(budget) else None
            lines.append(
                f"budget: {usd(spent, places)} spent against a {usd(budget, places)} budget: a call starts"
                " while the spend is under the budget, and what it costs is known only once it ends (calls"
                " already under way when it was reached went on to finish)"
            )
        if earlier is not None:  # (taken at no new cost, even once the budget is reached: never paid twice)
            lines.append(
                f"budget: {usd(earlier)} of the spend is what answers salvaged from an interrupted run, or"
                " results it recorded, or its attempts that failed, cost (paid by that run, reported by none)"
            )
    if result.uncounted:
        names = term_safe(", ".join(sorted(result.uncounted)))
        lines.append(f"budget: {names} reported no cost, so the budget could not count those calls")
    for runner, calls in sorted(result.cut_short.items()):
        many = len(calls) > 1
        what = f"{len(calls)} call{'s' if many else ''} of {runner} ended before {'they' if many else 'it'}"
        told = term_safe(f"{what} reported {'their' if many else 'its'} cost ({', '.join(calls)})")
        lines.append(f"budget: {told}, so the budget could not count {'them' if many else 'it'}")
    return lines


def slowest(outcomes: Sequence[TaskOutcome], n: int) -> list[TaskOutcome]:
    """The `n` slowest of `outcomes` (`_duration`), those of equal time in the natural order of their ids:
    the first `n` of them sorted by (-time, natural_key(id)), with `natural_key` (microseconds) asked only
    of those whose time reaches the `n`-th longest, not of every task of a big fan-out."""
    timed = [(_duration(o), o) for o in outcomes]
    if len(timed) > n > 0:
        cut = heapq.nlargest(n, [t for t, _ in timed])[-1]
        timed = [(t, o) for t, o in timed if t >= cut]
    timed.sort(key=lambda pair: (-pair[0], natural_key(pair[1].task_id)))
    return [o for _, o in timed[:n]]


def _duration(o: TaskOutcome) -> float:
    """Its *time*: what its attempts ran (`TaskOutcome.run_time`), else its span."""
    ran = o.run_time
    return ran if ran is not None else (o.ended_at or o.started_at or 0.0) - (o.started_at or 0.0)


def _rest_line(result: BuildResult, shown: set[str]) -> str:
    """`… and 9,990 more up to date`, or `… and 9,990 more: 9,000 done, 990 up to date`."""
    counts: dict[str, int] = {}
    for task_id, o in result.outcomes.items():
        if task_id not in shown:
            counts[o.state] = counts.get(o.state, 0) + 1
    total = sum(counts.values())
    ordered = sorted(counts.items(), key=lambda kv: -kv[1])
    if len(ordered) == 1:
        return f"… and {total:,} more {state_words(ordered[0][0])}"
    return f"… and {total:,} more: " + ", ".join(f"{n:,} {state_words(st)}" for st, n in ordered)


def _short_list(items: Iterable[str], limit: int = 10) -> str:
    return first_few(list(items), limit, each=term_safe)
