"""`agentmake status`: a row per task (up to date / stale and why / failed / running elsewhere), text or JSON.

Rows are built from inputs the workflow gathers (the graph, the dry-run decisions, the store's records and the
running-process table); this module only combines and renders them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from time import localtime, strftime
from time import time as now
from typing import Any

from agentmake.display.base import attempt_log_paths, attempt_prompt_path
from agentmake.display.fmt import cell_width, fmt_cost, fmt_duration, ljust_cells, term_lines, term_safe, usd
from agentmake.graph import Graph
from agentmake.natorder import in_natural_order
from agentmake.pathwords import quote_paths
from agentmake.plan import Decision
from agentmake.plan.explain import beyond_otherwise, built_otherwise, grouped, saved_first, waits_to_decide
from agentmake.plan.laststop import stopped_last
from agentmake.store import AttemptRecord, Store, TaskRecord
from agentmake.store.records import keep_figures, run_time

Running = Mapping[str, int] | Iterable[tuple[str, int, int, int]]
RESTORED = "restored from the cache: what it took and cost when it was made"  # (a restored result's line)
# (a result whose outputs in place a build took as built, `Decision.adopt`: its line)
KEPT = "its outputs in place, as an earlier build made them, taken as built (no call): its time, cost then"
TOUCHED = "recorded as built by agentmake -t: the outputs in place, no call (so no time or cost)"


def _running_pids(running: Running | None) -> dict[str, int]:
    """task -> pid of the agentmake process running it: from `store.running()` tuples or a ready mapping."""
    if running is None:
        return {}
    if isinstance(running, Mapping):
        return {str(k): int(v) for k, v in running.items()}
    pids: dict[str, int] = {}
    for entry in running:
        task_id, pid, _pgid, owner = entry
        pids[task_id] = owner or pid
    return pids


def status_rows(
    graph: Graph,
    decisions: Sequence[Decision] | Mapping[str, Decision],
    store: Store | None,
    running: Running | None = None,
    *,
    own_pid: int | None = None,
    owner_alive: bool = True,
    brief: bool = False,
    retrying: Mapping[str, tuple[int, float, str]] | None = None,
) -> list[dict[str, Any]]:
    """One dict per task in graph order: task, kind, state ("up to date", "stale", "failed", "running"),
    reasons (sentences), pid (for running), outputs, may_run (stale, and the build decides then whether it
    runs: `-n`'s "may run"), and its last build's time (`last_duration`: what its
    attempts ran, waits between retries not counted), cost, tokens and end (`last_finished`). Of a failed
    task, those of the failure (its attempts in the build that failed), and its last success's time and cost
    apart (`last_success_duration`, `last_success_cost`; None if it never succeeded, and in every row not
    failed: each row has the same keys).
    `owner_alive=False`: no agentmake holds the project now, so the `running` entries are what a stopped one
    (e.g. `kill -9`) left: those tasks are not running but interrupted, which their first reason says.
    `retrying`: the tasks another agentmake, alive now, waits to try again (`Store.retries_pending`: the
    attempt, when it is due, the error it retries): not running now, but not left stale either; their rows
    say so (`retry_attempt`, `retry_at`; None in every other row), their error first.
    `brief`: the reasons as the text view tells a person: more than three of a kind that names a path as
    one ("2000 inputs changed: a, b and 1998 more", as `-n` says them; `explain` and `--json` tell every
    one), and the paths they name written as the Agentfile would (`plan.explain.told`: `input "a b.md"
    changed …`); not brief, each reason's `message`, the data `--json` gives."""
    by_id = dict(decisions) if isinstance(decisions, Mapping) else {d.task_id: d for d in decisions}
    records: dict[str, TaskRecord] = store.task_records() if store is not None else {}
    pids = _running_pids(running)
    own = os.getpid() if own_pid is None else own_pid
    stopped = stopped_last(store) if store is not None else {}
    failures = _failures(store, records) if store is not None else {}
    touched, kept = _touched(store, records) if store is not None else (set(), set())
    rows: list[dict[str, Any]] = []
    for task_id, task in in_natural_order(graph.tasks.items(), lambda item: item[0]):
        decision = by_id.get(task_id)
        record = records.get(task_id)
        reasons = (
            []
            if decision is None
            else grouped(decision.reasons)
            if brief
            else [r.message for r in decision.reasons]
        )
        # (a record of another configuration's build: its figures, its failure are not this task's)
        otherwise = built_otherwise(store, decision, task.outputs) if decision is not None else None
        rest = beyond_otherwise(decision) if otherwise is not None and decision is not None else []
        if otherwise is not None and not brief:  # (first; for a person, in place of what follows from it)
            reasons = [otherwise, *reasons]
        elif otherwise is not None and decision is not None and len(rest) < len(decision.reasons):
            reasons = [otherwise, *grouped(rest)]
        elif brief and decision is not None and built_for_other_outputs(task.outputs, decision, record):
            assert record is not None
            reasons = [f"last built for other outputs ({quote_paths(list(record.outputs))})"]
        if decision is not None:
            reasons += saved_first(decision, quoted=brief)  # (a build saves them before it replaces them)
        pid = pids.get(task_id)
        if pid is not None and not owner_alive:
            reasons.insert(0, f"interrupted: agentmake (pid {pid}) stopped before it finished")
            pid = None
        elif task_id in stopped and pid is None and (decision is None or decision.stale):
            # (one line for a person: it names the tasks and files that kept it from running, `dependency
            # sum:a<LF>b failed`, and its line was split at a newline in one)
            reasons.insert(0, term_safe(stopped[task_id]) if brief else stopped[task_id])
        retry = (retrying or {}).get(task_id) if pid is None else None
        if retry is not None and retry[2] and retry[2] not in reasons:
            reasons.insert(0, f"attempt {retry[0] - 1} failed: {retry[2]}")
        # (what its last build took: of this task; else what making the outputs it takes as built took)
        figures = record if otherwise is None else _to_adopt(store, decision, record)
        if pid is not None and pid != own:
            state = "running"
        elif figures is not None and figures.status == "failed" and (decision is None or decision.stale):
            state = "failed"  # (a failed task whose inputs went back to its last success is up to date)
            if figures.error and not any(figures.error in reason for reason in reasons):
                reasons.insert(0, figures.error)
        elif decision is not None and decision.stale:
            state = "stale"
        elif decision is None and record is None:
            state = "stale"
            reasons = ["never built"]
        else:
            state = "up to date"
        row: dict[str, Any] = {
            "task": task_id,
            "kind": task.kind,
            "state": state,
            "action": decision.action if decision is not None else None,
            "reasons": reasons,
            "pid": pid if state == "running" else None,
            "outputs": list(task.outputs),
            "last_duration": figures.duration if figures is not None else None,
            "last_cost": figures.cost_usd if figures is not None else None,
            "last_tokens_in": figures.tokens_in if figures is not None else None,
            "last_tokens_out": figures.tokens_out if figures is not None else None,
            "last_finished": record.finished_at if record is not None and figures is record else None,
            # every row has every key (a script reads them without `.get`): None unless failed, below
            "last_success_duration": None,
            "last_success_cost": None,
            # stale, but what the build does depends on what it finds first (its changed check passed by the
            # outputs in place, an input a task that runs first remakes unchanged): `-n`'s "may run". Its
            # `state` stays "stale" (a script reading it is not misled into skipping the task)
            "may_run": state == "stale" and decision is not None and waits_to_decide(decision),
            # another agentmake will try it again (after its backoff, or once a slot frees): which attempt,
            # and when it is due (epoch seconds)
            "retry_attempt": retry[0] if retry is not None else None,
            "retry_at": retry[1] if retry is not None else None,
            # up to date with a result the build that recorded it restored from the cache (no attempt: its
            # figures are what it took and cost when it was made)
            "restored": state == "up to date"
            and restored(figures)
            and task_id not in touched | kept
            and otherwise is None,
            # its result recorded by `agentmake -t` (the outputs in place taken as built: no call, so no
            # time or cost to show), not made or restored by a build
            "touched": task_id in touched and figures is not None,
            # up to date with the outputs in place taken as built, as an earlier build made them (no call: its
            # figures are what that build took and cost; `Decision.adopt`)
            "kept": state == "up to date" and task_id in kept and figures is not None,
            "logs": None,  # (a failed task's: its last attempt's log files)
            "prompt": None,  # (a failed task's: the file of the prompt its last attempt sent)
        }
        failure = failures.get(task_id) if state == "failed" else None
        if record is not None and failure is not None:  # (the record keeps the last success's figures)
            succeeded = bool(record.key)
            row.update(
                last_duration=run_time(failure),
                last_cost=failure.cost_usd,
                last_tokens_in=failure.tokens_in,
                last_tokens_out=failure.tokens_out,
                last_finished=failure.ended_at,
                last_success_duration=record.duration if succeeded else None,
                last_success_cost=record.cost_usd if succeeded else None,
                # where to look next: what its last attempt printed (as a build's summary names them)
                logs=attempt_log_paths(store.dir / "logs", task_id, failure.attempts) if store else None,
                prompt=attempt_prompt_path(store.dir / "logs", task_id, failure.attempts) if store else None,
            )
        rows.append(row)
    return rows


def _to_adopt(store: Store | None, decision: Decision | None, record: TaskRecord | None) -> TaskRecord | None:
    """Of a task whose record a build of another configuration wrote, up to date by taking the outputs in
    place as built (`Decision.adopt`: back to `lang=es` after `lang=fr`): a record with what making them
    took and cost (`Store.cache_made`: its cache entry's, else its strays'), which the build that takes
    them keeps; None when not known, or for any other task (that record's figures are not this one's)."""
    if store is None or decision is None or record is None or decision.adopt is None or decision.key is None:
        return None
    made = store.cache_made(decision.key)
    if not made:
        return None
    found = replace(record, status="done", error=None)
    keep_figures(found, made)
    attempts = made.get("attempts")
    found.attempts = attempts if isinstance(attempts, int) else 0
    return found


# the reasons that tell how a task's record differs from the task now (its key's parts, its outputs)
_DIFFERENCES = frozenset(
    {"input-added", "input-removed", "input-changed", "input-will-change", "prompt-changed",
     "command-changed", "runner-changed", "setting-changed", "outputs-changed", "output-missing"}
)  # fmt: skip


def built_for_other_outputs(outputs: Sequence[str], decision: Decision, record: TaskRecord | None) -> bool:
    """Whether the task's record is of other outputs, none of them its own, and its own are all missing,
    nothing else said of it but how that record differs, and more differs than its outputs (a rename
    alone is told as one): a task of another configuration (`status lang=fr` after a build of `lang=es`).
    `status` says that alone, in one line (`last built for other outputs (A)`: not "never built with these",
    which it may have been before that record, as lang=es's were built before lang=fr's); it told each
    difference, five lines a task (`input glossary/fr.tsv was added`, `input glossary/es.tsv was removed`,
    `command changed`, `outputs changed`, `output ... is missing`), all following from the one value given
    (`explain`, `-n` and `--json` tell every reason)."""
    if record is None or not record.outputs or not set(record.outputs).isdisjoint(outputs):
        return False
    kinds = {r.kind for r in decision.reasons}
    missing = {r.path for r in decision.reasons if r.kind == "output-missing"}
    # (its outputs alone renamed: `outputs changed a.md → b.md` says it best, and a rename hint follows)
    renamed_only = kinds <= {"outputs-changed", "output-missing"}
    return (
        "outputs-changed" in kinds and kinds <= _DIFFERENCES and not renamed_only and missing == set(outputs)
    )


def restored(record: TaskRecord | None) -> bool:
    """Whether `record` is of a result its build restored from the cache: done, and made by no attempt of
    that build (`Outcomes._restore` records 0 attempts)."""
    return record is not None and record.status == "done" and bool(record.key) and record.attempts == 0


def _touched(store: Store, records: Mapping[str, TaskRecord]) -> tuple[set[str], set[str]]:
    """The tasks whose result (of a failed task: whose last success) `agentmake -t` recorded: no attempt
    made it (as for one restored), and the history row of the run that recorded it says "up-to-date" with
    no figures of a result made before (a restore's says "cached"); and the tasks whose build took the
    outputs in place as built, as an earlier build made them (`Decision.adopt`: back to `lang=es` after
    `lang=fr`; a new check they pass), whose row says "up-to-date" with those figures (`TaskRecord.kept`).
    One query per run concerned; for failed tasks (whose record's run is the failure's), one a task."""
    runs: dict[int, set[str]] = {}
    failed: set[str] = set()
    for task_id, record in records.items():
        if not record.key:
            continue
        if record.status == "failed":
            if record.attempts == 0:
                failed.add(task_id)
        elif record.run_id:
            runs.setdefault(record.run_id, set()).add(task_id)
    rows = _rows_of_runs(store, runs, lambda a: a.state == "up-to-date")
    found = {t for t, a in rows.items() if _touch_row(a) and records[t].attempts == 0}
    kept = {t for t, a in rows.items() if a.extra.get("made")}
    if failed:  # (each one's last success: an indexed query a task, not the whole history)
        found.update(task_id for task_id, a in store.last_placed(sorted(failed)).items() if _touch_row(a))
    return found, kept


def _touch_row(a: AttemptRecord) -> bool:
    return a.state == "up-to-date" and not a.extra.get("made")


def _failures(store: Store, records: Mapping[str, TaskRecord]) -> dict[str, AttemptRecord]:
    """Each task recorded failed -> the history row of that failure (the build that failed it; interrupted, if
    it was stopped after a failed attempt: `Failing._interrupt_task`)."""
    runs: dict[int, set[str]] = {}
    for task_id, record in records.items():
        if record.status == "failed":
            runs.setdefault(record.run_id, set()).add(task_id)
    return _rows_of_runs(store, runs, lambda a: a.state in ("failed", "interrupted"))


def _rows_of_runs(
    store: Store, runs: Mapping[int, set[str]], keep: Callable[[AttemptRecord], bool]
) -> dict[str, AttemptRecord]:
    """Task id -> its history row in the run `runs` files it under that `keep` accepts (the last, if
    several): one query a run, as a task's record names the run that wrote it."""
    found: dict[str, AttemptRecord] = {}
    for run_id, task_ids in runs.items():
        for a in store.attempts(run_id):
            if a.task_id in task_ids and keep(a):
                found[a.task_id] = a
    return found


def _state_text(row: Mapping[str, Any]) -> str:
    if row["state"] == "running":
        return f"running in another process (pid {row['pid']})"
    if row.get("retry_attempt") is not None:
        due = row.get("retry_at") or 0.0
        if due > now():
            return f"retrying (attempt {row['retry_attempt']} at {strftime('%H:%M:%S', localtime(due))})"
        return f"retrying (attempt {row['retry_attempt']}, waiting for a slot)"
    if row.get("may_run"):
        return "may restore" if row.get("action") == "restore" else "may run"
    if row["state"] == "stale" and row.get("action") == "restore":
        return "stale (restorable from cache)"
    return str(row["state"])


def _quiet(row: Mapping[str, Any]) -> bool:
    """An up-to-date row with nothing to tell but that (a restored result's note aside)."""
    return row["state"] == "up to date" and not row.get("reasons") and row.get("retry_attempt") is None


def fold_quiet(
    rows: Sequence[Mapping[str, Any]], agents: Mapping[str, str], limit: int
) -> tuple[list[Mapping[str, Any]], dict[int, tuple[str, int]]]:
    """The rows a person reads of a big fan-out: an agent with more than `limit` quiet rows (`_quiet`) has
    them folded into one line, where the first of them stood, so its stale and failed tasks are not lost among
    hundreds up to date. The rows kept, and {index in them: (agent, how many were folded)} for each line."""
    quiet: dict[str, int] = {}
    for row in rows:
        if _quiet(row):
            name = agents.get(row["task"], row["task"])
            quiet[name] = quiet.get(name, 0) + 1
    kept: list[Mapping[str, Any]] = []
    folds: dict[int, tuple[str, int]] = {}
    placed: set[str] = set()
    for row in rows:
        name = agents.get(row["task"], row["task"])
        if _quiet(row) and quiet[name] > limit:
            if name not in placed:
                placed.add(name)
                folds[len(kept)] = (name, quiet[name])
                kept.append(row)
            continue
        kept.append(row)
    return kept, folds


def render_status_text(
    rows: Sequence[Mapping[str, Any]], agents: Mapping[str, str] | None = None, limit: int | None = None
) -> str:
    """Aligned plain text: state, task, last duration and cost, outputs; reasons indented below (a reason over
    several lines, such as an agent's error output, with its further lines indented more). Task ids, paths and
    reasons are made safe for a terminal (`term_safe`). With `agents` (task id -> agent name) and `limit`,
    an agent's up-to-date tasks with nothing to tell, when more than `limit`, are one line (`fold_quiet`:
    `up to date  translate: 297 tasks (-v lists each)`); the counts at the end still count every task."""
    if not rows:
        return "no tasks\n"
    every = rows
    folds: dict[int, tuple[str, int]] = {}
    if agents is not None and limit is not None:
        rows, folds = fold_quiet(rows, agents, limit)
    tasks = [term_safe(r["task"]) for r in rows]
    width = max(cell_width(t) for t in tasks)  # (terminal columns: a CJK name takes two a character)
    states = [_state_text(r) for r in rows]
    swidth = max(len(s) for s in states)
    # time and cost in columns of their own: as one right-aligned field, a row's cost moved its time
    times = [fmt_duration(r.get("last_duration")) for r in rows]
    costs = [fmt_cost(r.get("last_cost")) for r in rows]
    twidth, cwidth = max(len(t) for t in times), max(len(c) for c in costs)
    lines: list[str] = []
    columns = zip(rows, tasks, states, times, costs, strict=True)
    for index, (row, task, state, time, cost) in enumerate(columns):
        if index in folds:
            name, count = folds[index]
            lines.append(term_safe(f"{state:<{swidth}}  {name}: {count} tasks (-v lists each)"))
            continue
        last = f"{time:>{twidth}} {cost:>{cwidth}}" if cwidth else f"{time:>{twidth}}"
        outputs = term_safe(quote_paths(row.get("outputs") or []))  # (`"a b.md", c.md`: two paths)
        lines.append(f"{state:<{swidth}}  {ljust_cells(task, width)}  {last}  {outputs}".rstrip())
        if row["state"] in ("stale", "failed") or row.get("reasons"):  # up to date: a kept hand edit
            for reason in row.get("reasons") or []:
                first, *more = term_lines(str(reason)) or [""]
                lines.append(f"    - {first}")
                lines.extend(f"      {line}" for line in more)
        if row.get("touched") and row["state"] == "up to date":
            lines.append(f"    - {TOUCHED}")
        if row.get("kept"):
            lines.append(f"    - {KEPT}")
        if row.get("restored"):  # (an entry cached by an older agentmake keeps no figures: 0.0s)
            lines.append(f"    - {RESTORED if row.get('last_duration') else 'restored from the cache'}")
        if row.get("touched") and row["state"] == "failed":  # (its last success: a -t, not a 0.0s run)
            lines.append("    - last success: recorded by agentmake -t (no call)")
        elif row.get("last_success_duration") is not None:  # (a failed task: its figures are the failure's)
            took = fmt_duration(row["last_success_duration"])
            spent = row.get("last_success_cost")
            cost = "" if spent is None else usd(spent)
            lines.append(f"    - last success: {took}{', ' + cost if cost else ''}")
        if row.get("logs"):
            lines.append(term_safe(f"    - logs: {', '.join(row['logs'])}"))
        if row.get("prompt"):
            lines.append(term_safe(f"    - prompt: {row['prompt']}"))
    counts: dict[str, int] = {}
    for row in every:
        said = "retrying" if row.get("retry_attempt") is not None else row["state"]
        said = (
            "may run" if row.get("may_run") and said == "stale" else said
        )  # (counted apart from stale, as `-n` does)
        counts[said] = counts.get(said, 0) + 1
    lines.append("")
    lines.append(", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    return "\n".join(lines) + "\n"


def render_status_json(rows: Sequence[Mapping[str, Any]]) -> str:
    """A JSON array of the rows (stable key order), one document, newline-terminated."""
    return json.dumps([dict(r) for r in rows], indent=2, ensure_ascii=False) + "\n"
