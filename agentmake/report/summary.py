"""The run summary section of a report: per-task table, agent time vs wall time, critical path, error log and
Mermaid charts, all computed from the store's records (so the same records always give the same Markdown)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from agentmake.display.fmt import agent_name, fmt_duration, fmt_tokens, md_table, state_words, usd
from agentmake.firstfew import first_few
from agentmake.graph import Graph, Task
from agentmake.model import AgentSpec, ReportSpec
from agentmake.report.markdown import code_span
from agentmake.report.mermaid import MAX_TEXT, Bar, flowchart, gantt, legend, too_big
from agentmake.safetext import term_safe
from agentmake.store import AttemptRecord
from agentmake.store.records import run_time


class Records(Protocol):
    """What the summary reads from the store."""

    def attempts(self, run_id: int | None = None) -> list[AttemptRecord]: ...

    def last_attempted_run(self) -> int | None: ...

    def latest_attempts(self) -> dict[str, AttemptRecord]: ...

    def events(self, run_id: int | None = None) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class Row:
    """One task's line in a report's summary: its record, and whether it is from the summarised run."""

    task_id: str
    record: AttemptRecord | None
    current: bool  # from the summarised run (else: the task's latest record from an earlier run)

    @property
    def duration(self) -> float:
        """Its *time*: what its attempts ran, not the waits between them (`records.run_time`)."""
        return 0.0 if self.record is None else run_time(self.record)


def collect(store: Records, run_id: int | None, task_ids: Sequence[str]) -> tuple[int | None, list[Row]]:
    """The run summarised (latest when `run_id` is None) and one row per task in `task_ids` order."""
    # (a task up to date shows the run that made its output: `latest_attempts`, one row per task, never the
    # whole history, which grows with every build)
    latest = store.latest_attempts()
    if run_id is None:
        run_id = store.last_attempted_run()
    current: dict[str, AttemptRecord] = {}
    for a in store.attempts(run_id) if run_id is not None else []:
        if a.state == "up-to-date":  # (a record switched to outputs already in place: nothing ran)
            continue
        if a.task_id not in current or a.ended_at >= current[a.task_id].ended_at:
            current[a.task_id] = a
    rows = []
    for task_id in task_ids:
        if task_id in current:
            rows.append(Row(task_id, current[task_id], True))
        else:
            rows.append(Row(task_id, latest.get(task_id), False))
    return run_id, rows


def unpriced(task: Task | None, record: AttemptRecord | None) -> bool:
    """An LLM call was made (an agent's or a merge report's) and its runner reported no cost (codex): the
    cost is unknown, not zero."""
    return record is not None and record.cost_usd is None and _called(task, record)


def untokened(task: Task | None, record: AttemptRecord | None) -> bool:
    """An LLM call was made and its runner reported no tokens (ollama): the tokens are unknown, not none
    (as `unpriced` is for cost; the build's line says so too, `TaskOutcome.untokened`)."""
    return (
        record is not None
        and record.tokens_in is None
        and record.tokens_out is None
        and _called(task, record)
    )


def _called(task: Task | None, record: AttemptRecord) -> bool:
    """`record` is of an attempt that called an LLM (an agent's or a merge report's task, which ran)."""
    return (
        task is not None
        and record.attempts >= 1
        and record.state in ("done", "failed", "interrupted")
        and calls_llm(task)
    )


def calls_llm(task: Task | None) -> bool:
    """An LLM agent's task, or a merge report's (one an agent writes): a shell agent, a report agentmake
    lays out call none, and cost nothing."""
    spec = task.spec if task is not None else None
    if isinstance(spec, AgentSpec):
        return not spec.is_shell
    return isinstance(spec, ReportSpec) and spec.merge is not None


def up_to_date(record: AttemptRecord) -> str:
    """The state of a task the summarised run did not run, from its history row (`collect`): "up to date
    (run N)", N the run that put its result in place (made or restored it); "up to date (made before run
    N)" when run N found its outputs already holding the result and spent nothing on it (an "up-to-date"
    row: a check they pass, outputs back to a result made before), as the run that made it is not known
    (its figures are: `extra["made"]`). Not "(run N)" then: in the summary of run N it read as if that run
    had made it."""
    if record.state == "up-to-date":
        return f"up to date (made before run {record.run_id})"
    return f"up to date (run {record.run_id})"


def _dollars(cost: float | None) -> str:
    """A cost in a report's table, as `usd` says it everywhere; empty for None."""
    return "" if cost is None else usd(cost)


MEASURABLE = 1.0  # seconds: times shorter than this (to a tenth of a second) make no ratio worth printing


def speed_up(agent_time: float, wall: float) -> str:
    """Agent time over wall time, `1.44x`; `—` when either is under `MEASURABLE` (both printed 0.0s gave
    1.44x: a ratio of rounding and start-up, not of parallel work)."""
    return f"{agent_time / wall:.2f}x" if min(agent_time, wall) >= MEASURABLE else "—"


NO_CALLS = "no LLM call"  # the note of a run's cost when none of the tasks it ran calls an LLM


def _cost_total(costs: list[float], unknown: list[str], calls: bool = True) -> str:
    """`$0.42`, or `$0.42 + unknown (c: …)` when some calls reported no cost: never a partial sum alone
    (`usd`, as its rows). `calls` False: none of the tasks paid for calls an
    LLM (shell agents alone, or nothing but restored results): `$0.00 (no LLM call)`, not a blank that
    reads as a cost not known."""
    if not unknown:
        return usd(sum(costs)) if costs else "" if calls else f"{usd(0)} ({NO_CALLS})"
    note = f"unknown ({first_few(unknown)}: no cost reported)"
    return f"{usd(sum(costs))} + {note}" if costs else note


def critical_path(
    order: Sequence[str], deps: dict[str, tuple[str, ...]], weight: dict[str, float]
) -> list[str]:
    """The dependency chain with the largest total weight (ties: the earliest task in `order`)."""
    members = set(order)
    best: dict[str, tuple[float, list[str]]] = {}

    def visit(task_id: str, trail: frozenset[str]) -> tuple[float, list[str]]:
        if task_id in best:
            return best[task_id]
        top: tuple[float, list[str]] = (0.0, [])
        for dep in deps.get(task_id, ()):
            if dep in members and dep not in trail:
                got = visit(dep, trail | {dep})
                if got[0] > top[0]:
                    top = got
        best[task_id] = (top[0] + weight.get(task_id, 0.0), [*top[1], task_id])
        return best[task_id]

    winner: tuple[float, list[str]] = (0.0, [])
    for task_id in order:
        got = visit(task_id, frozenset({task_id}))
        if got[0] > winner[0]:
            winner = got
    return winner[1]


def run_path(rows: Sequence[Row]) -> list[tuple[str, str | None]]:
    """The chain of tasks that set the run's wall time, as it ran: from the task that ended last, back through
    what each waited for before it first started (`extra["after"]`, recorded by the scheduler): a dependency,
    or, when every slot it could use was taken (`-j`, a runner's `parallel`), the task whose end freed one.
    Each item is (task id, what it waited for the previous one as: "dependency" | "slot" | None for the
    first). Empty when the records say nothing of it (an older run): use `critical_path` then.

    Example: `scan` then `quality`, `perf` and `security`, which read its output, built with -j 1: each of the
    three waits for the one before, so the chain is scan → quality ⇢ perf ⇢ security (all four times add up
    to the wall time), where `critical_path` (unlimited slots) says scan → quality."""
    ended = {r.task_id: r.record for r in rows if r.current and r.record and r.record.state != "not-run"}
    if not any("after" in rec.extra for rec in ended.values()):
        return []
    last = max(ended.values(), key=lambda rec: rec.ended_at)
    chain: list[tuple[str, str | None]] = []
    seen: set[str] = set()
    rec: AttemptRecord | None = last
    while rec is not None and rec.task_id not in seen:
        seen.add(rec.task_id)
        after = rec.extra.get("after")
        link = after if isinstance(after, list) and len(after) == 2 and after[0] in ended else None
        chain.append((rec.task_id, str(link[1]) if link else None))
        rec = ended[link[0]] if link else None
    chain.reverse()
    return chain


def _bars(record: AttemptRecord, section: str, critical: bool) -> list[Bar]:
    """Its gantt bars: one per attempt when it took several (`extra["runs"]`: the waits between them are no
    bar, each but the last failed), else one over its span."""
    runs = record.extra.get("runs")
    if not isinstance(runs, list) or len(runs) < 2:
        return [Bar(record.task_id, record.state, record.started_at, record.ended_at, section, critical)]
    last = len(runs) - 1
    return [
        Bar(f"{record.task_id} (try {n + 1})", record.state if n == last else "failed",
            float(start), float(end), section, critical)
        for n, (start, end) in enumerate(runs)
    ]  # fmt: skip


def _agent_bars(records: Sequence[AttemptRecord], critical: set[str]) -> list[Bar]:
    """One gantt bar per agent (in first-start order) over its tasks' `records`, from the first start to the
    last end, named with how many tasks it stands for and how many failed; it shows the worst of them
    (`bar_look`), and the critical path when one of them is on it."""
    by_agent: dict[str, list[AttemptRecord]] = {}
    for rec in records:
        by_agent.setdefault(agent_name(rec.task_id), []).append(rec)
    out: list[Bar] = []
    for name, recs in by_agent.items():
        if len(recs) == 1:
            out += _bars(recs[0], name, recs[0].task_id in critical)
            continue
        states = [rec.state for rec in recs]
        failed = states.count("failed")
        label = f"{name} ({len(recs)} tasks" + (f", {failed} failed)" if failed else ")")
        state = "failed" if failed else "interrupted" if "interrupted" in states else "done"
        start, end = min(rec.started_at for rec in recs), max(rec.ended_at for rec in recs)
        out.append(Bar(label, state, start, end, name, any(rec.task_id in critical for rec in recs)))
    return out


def _path_lines(
    as_run: list[tuple[str, str | None]], by_deps: list[str], weights: dict[str, float]
) -> list[str]:
    """The critical path as it ran (`→` a dependency, `⇢` a slot), and, when waits for slots are on it, the
    longest chain of dependencies alone: what the run would take with a slot for every ready task."""
    total = sum(weights.get(t, 0.0) for t, _ in as_run)
    if not as_run or total <= 0:
        return []
    chain = "".join(
        ("" if how is None else " ⇢ " if how == "slot" else " → ")
        + f"{code_span(term_safe(t))} ({fmt_duration(weights.get(t, 0.0))})"
        for t, how in as_run
    )
    lines = ["", f"Critical path ({fmt_duration(total)}): {chain}"]
    if any(how == "slot" for _, how in as_run):
        deps_total = sum(weights.get(t, 0.0) for t in by_deps)
        alone = " → ".join(code_span(term_safe(t)) for t in by_deps)
        lines += [
            "",
            "(`→` waited for a dependency, `⇢` for a free slot: `-j` or the runner's `parallel` held it back."
            " With a slot for every ready task, the longest chain of dependencies takes"
            f" {fmt_duration(deps_total)}: {alone}.)",
        ]
    return lines


def _field(event: dict[str, Any], *names: str) -> Any:
    for name in names:
        if event.get(name) is not None:
            return event[name]
    return None


def last_write(store: Records, run_id: int, report: str | None) -> int | None:
    """The build before build `run_id` that last wrote report `report` (`Journal.last_written`), None if none
    is kept or `report` is None (a summary alone)."""
    last = getattr(store, "last_written", None)  # (test doubles of the store may lack it)
    return last(report, run_id) if report is not None and last is not None else None


def since_written(
    store: Records, run_id: int, before: int | None, order: Sequence[str], said: list[AttemptRecord]
) -> tuple[list[AttemptRecord], str]:
    """What a report's run cost counts besides what build `run_id`'s tasks paid: `said`, what its line says
    killed builds paid for the tasks in `order` (the report's), and what the lines of the builds since build
    `before`, which last wrote the report (`last_write`), said was paid for them (`Journal.spend_between`:
    by those builds, and what they said killed builds paid, or `clean` did), so that a report counts every
    dollar a line said of its tasks once, though a build that found the report up to date (it wrote none)
    said it; and the note that says so after the cost (empty when none of those builds paid anything). Not
    what the report's last write counted already: build `before`, killed before its line, has its spend
    said again by the build that took it over (its rows of the tasks in `order`, which ran before the
    report, and what killed builds before it paid for them, which it counted as it wrote the report). Only
    `said` for a report not written before (it counts its own build's alone), or not named (a summary
    alone)."""
    between = getattr(store, "spend_between", None)  # (test doubles of the store may lack them)
    again = getattr(store, "said_again", None)
    if before is None:
        return said, ""
    covered = set(order)
    counted = again is not None and again(before)  # (it counted some of what is said of it again)
    if counted:
        said = [a for a in said if a.run_id > before or (a.run_id == before and a.task_id not in covered)]
    if between is None:
        return said, ""
    rows: list[AttemptRecord] = between(before, run_id, order)
    if counted:  # (the killed builds before it, said by a build in between, as by build `run_id`)
        rows = [a for a in rows if a.run_id > before or (a.run_id == before and a.task_id not in covered)]
    if not rows:
        return said, ""
    # (from build `before` itself when `clean` said what it paid once it wrote the report, and was killed)
    first = before if any(a.run_id == before for a in rows) else before + 1
    note = f"runs {first}–{run_id}: paid since this report was last written, in run {before}"
    whole = getattr(store, "history_whole_from", None)
    start = whole(before, run_id, order) if whole is not None else before + 1
    if start > before + 1:  # (the journal is pruned: what it no longer keeps is not counted, and said so)
        note += f"; of runs {before + 1}–{start - 1}, what the history still keeps"
    return said + rows, f" ({note})"


def render_summary(
    graph: Graph,
    store: Records,
    run_id: int | None = None,
    tasks: Iterable[str] | None = None,
    level: int = 2,
    report: str | None = None,
) -> str:
    """Markdown for the run `run_id` (default: the latest) over `tasks` (default: every task of the graph);
    `report`, the report it is part of: its cost counts what was paid since that report was last written
    (`since_written`)."""
    h = "#" * level
    wanted = set(tasks) if tasks is not None else None
    order = [t for t in graph.tasks if wanted is None or t in wanted]
    run_id, rows = collect(store, run_id, order)
    parts = [f"{h} Run summary", ""]
    if run_id is None:
        return "\n".join([*parts, "No runs recorded yet."]) + "\n"
    ran = [r for r in rows if r.current and r.record is not None]
    table: list[list[object]] = []
    for r in rows:
        rec = r.record
        if rec is None:
            table.append([r.task_id, "never run", "", "", "", ""])
            continue
        state = state_words(rec.state) if r.current else up_to_date(rec)
        if rec.extra.get("partial"):  # (a partial report, `agentmake.plan.partial`: as the terminal says)
            state = "partial" if r.current else f"partial (run {rec.run_id})"
        made = rec.extra.get("made")
        if not r.current and isinstance(made, dict):  # the result in place, as `status` shows it: what it
            # took and cost when it was made (kept by the run that spent nothing on it: `TaskRecord.kept`)
            took, cost = made.get("duration"), made.get("cost_usd")
            table.append(
                [
                    r.task_id, state, fmt_duration(took), made.get("attempts", ""), _dollars(cost),
                    fmt_tokens(made.get("tokens_in"), made.get("tokens_out")),
                ]
            )  # fmt: skip
            continue
        table.append(
            [
                r.task_id,
                state,
                fmt_duration(r.duration),
                rec.attempts,
                "unknown" if unpriced(graph.tasks.get(r.task_id), rec) else _dollars(rec.cost_usd),
                fmt_tokens(rec.tokens_in, rec.tokens_out),
            ]
        )
    parts += [
        f"Run {run_id}.",
        "",
        md_table(["task", "state", "time", "attempts", "cost", "tokens"], table),
    ]

    agent_time = sum(r.duration for r in ran if r.record and r.record.state != "cached")
    wall = 0.0
    if ran:
        wall = max(r.record.ended_at for r in ran if r.record) - min(
            r.record.started_at for r in ran if r.record
        )
    # what this run paid for: a row restored from the cache (or an answer salvaged) shows what it once cost,
    # but for a salvaged answer no build had reported, whose spend this run counted (`paid_earlier`)
    paid = [
        r.record
        for r in ran
        if r.record and (r.record.state != "cached" or r.record.extra.get("paid_earlier"))
    ]
    # and what its line said killed builds paid for the tasks it summarises: their history rows, what was
    # found in their logs (the spend of other tasks is the line's, not this summary's: two reports over
    # different agents count it once between them, as they do what their build paid)
    said_by = getattr(store, "spend_said_by", None)  # (test doubles of the store may lack it)
    # (made once: a set or an index per event or per task is quadratic, minutes for a -k build of 20,000
    # failures)
    position = {task_id: i for i, task_id in enumerate(order)}
    said = [a for a in said_by(run_id) if a.task_id in position] if said_by is not None else []
    # and what the lines of the builds since the report was last written said, but for what that write
    # counted (`since_written`)
    earlier, since = since_written(store, run_id, last_write(store, run_id, report), order, said)
    paid += earlier
    costs = [rec.cost_usd for rec in paid if rec.cost_usd is not None]
    unknown = [rec.task_id for rec in paid if unpriced(graph.tasks.get(rec.task_id), rec)]
    restored = sum(1 for r in ran if r.record and r.record.state == "cached")
    never = sum(1 for r in ran if r.record and r.record.state == "not-run")  # (in the table: not run)
    parts += ["", f"{h}# Time", ""]
    stats: list[list[object]] = [
        # (not counting the report this summary is part of: it is being written as the summary is made)
        ["tasks run before this report", len(ran) - restored - never],
        *([["tasks restored from the cache", restored]] if restored else []),
        ["agent time", fmt_duration(agent_time)],
        ["wall time", fmt_duration(wall)],
        ["speed-up", speed_up(agent_time, wall)],
        [
            "cost",
            _cost_total(costs, unknown, any(calls_llm(graph.tasks.get(rec.task_id)) for rec in paid)) + since,
        ],
    ]
    tokens = [(rec.tokens_in, rec.tokens_out) for rec in paid]
    if any(i is not None or o is not None for i, o in tokens):
        total = fmt_tokens(sum(i or 0 for i, _ in tokens), sum(o or 0 for _, o in tokens))
        silent = [rec.task_id for rec in paid if untokened(graph.tasks.get(rec.task_id), rec)]
        stats.append(
            ["tokens", total + (f" + unknown ({first_few(silent)}: no tokens reported)" if silent else "")]
        )
    parts.append(md_table(["measure", "value"], stats))

    weights = {r.task_id: r.duration for r in ran}
    by_deps = critical_path(order, graph.deps, weights)
    as_run = run_path(rows) or [(t, "dependency" if i else None) for i, t in enumerate(by_deps)]
    path = [t for t, _ in as_run]
    parts += _path_lines(as_run, by_deps, weights)

    events = [e for e in store.events(run_id) if _field(e, "task_id", "task") in position]
    start = min((r.record.started_at for r in ran if r.record), default=None)
    parts += ["", f"{h}# Error log", ""]
    if events:
        log: list[list[object]] = []
        for e in events:
            when = _field(e, "time", "at", "created_at", "timestamp")
            stamp = f"+{fmt_duration(float(when) - start)}" if when is not None and start is not None else ""
            task_id = str(_field(e, "task_id", "task") or "")
            log.append(
                [
                    stamp,
                    agent_name(task_id),
                    task_id,
                    _field(e, "error_type", "type") or "",
                    _field(e, "message", "description") or "",
                    _field(e, "action") or "",
                ]
            )
        parts.append(md_table(["time", "agent", "task", "error type", "description", "action taken"], log))
    else:
        parts.append("No errors.")

    critical = set(path)
    records = [
        r.record
        for r in sorted(ran, key=lambda r: (r.record.started_at if r.record else 0.0, position[r.task_id]))
        if r.record and r.record.state != "not-run"  # (it never ran: no bar)
    ]
    bars = [bar for rec in records for bar in _bars(rec, agent_name(rec.task_id), rec.task_id in critical)]
    if bars:
        timeline = gantt(bars, f"Run {run_id}")
        note = ""
        if len(timeline) > MAX_TEXT:  # (Mermaid draws no timeline that long: one bar per agent instead)
            bars = _agent_bars(records, critical)
            timeline = gantt(bars, f"Run {run_id}")
            note = "Tasks grouped by agent (one bar per task is too big for Mermaid). "
        parts += ["", f"{h}# Timeline", ""]
        if len(timeline) > MAX_TEXT:
            parts.append(
                f"Too many agents for a Mermaid timeline ({len(bars)} bars, over {MAX_TEXT:,} characters)."
            )
        else:
            parts += ["```mermaid", timeline, "```", "", note + legend(bars, per_agent=bool(note))]
    states = {r.task_id: (r.record.state if r.current and r.record else "") for r in rows}
    chart = flowchart(order, graph.deps, states)
    parts += ["", f"{h}# Task graph", ""]
    if chart is None:  # (too big for Mermaid even grouped by agent: a chart that fails to render says less)
        pairs = sum(1 for t in order for d in graph.deps.get(t, ()) if d in position)
        parts.append(too_big(len(order), pairs))
    else:
        parts += ["```mermaid", chart, "```"]
    return "\n".join(parts) + "\n"
