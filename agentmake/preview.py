"""What `agentmake -n` says a build would do: a line for each stale task (would run, restore, salvage, may
run, would fail, would not run) and the count that ends it. Nothing is run or written; the decisions come from
`plan.dryrun.plan_build`, and `workflow` prints the lines."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from agentmake.natorder import in_natural_order

if TYPE_CHECKING:
    from agentmake.graph import Graph
    from agentmake.model import Agentfile
    from agentmake.plan import Decision
    from agentmake.runners import Executor


def dry_run_line(
    to_run: int, up_to_date: int, maybe: int = 0, restore: int = 0, fail: int = 0, held: int = 0,
    busy: int = 0, salvage: int = 0,
) -> str:  # fmt: skip
    """The dry run's last line; what would come back from the cache (no call, no cost) is counted apart from
    what would run, and so is what would take an answer paid for from the logs (`salvage`: no call),
    what would fail without a call (a prompt that does not render), what the budget would not let run
    (`held_by_budget`) and what another agentmake is running now (`busy`)."""
    restored = f", {restore} to restore from the cache" if restore else ""
    restored += f", {salvage} to salvage from the logs" if salvage else ""
    may = f", {maybe} may run" if maybe else ""
    failing = f", {fail} would fail" if fail else ""
    not_run = f", {held} not run" if held else ""
    elsewhere = f", {busy} running elsewhere" if busy else ""
    counts = f"{restored}{may}{failing}{not_run}{elsewhere}"
    return f"agentmake: {to_run} to run{counts}, {up_to_date} up to date (dry run)"


def dry_run_lines(
    agentfile: Agentfile,
    root: Path,
    selected: Graph,
    decisions: Sequence[Decision],
    *,
    budget: float | None,
    keep_going: bool,
    verbose: bool,
    elsewhere: Mapping[str, int] | None = None,
    otherwise: Mapping[str, str] | None = None,
) -> tuple[list[str], int, frozenset[str]]:
    """The lines of the dry run of `decisions` (every task of `selected`, in order), how many tasks would
    fail, and which would salvage an answer paid for (no call: a rename hint has nothing to save them).
    `budget`: the command line's, if any (else the Agentfile's). `elsewhere`: the tasks another agentmake
    is running now, each with its pid (`workflow.running_owners`): said so, not "would run". `otherwise`:
    the tasks whose record a build of another configuration wrote, each with the sentence that says so
    (`plan.explain.otherwise_said`): said first, and (without -v) in place of the reasons that follow from it
    (`beyond_otherwise`), as `status` says it, not five differences a task on one long line (none of them:
    as before, `prompt review.md changed (variables focus: …)` says it)."""
    from agentmake.plan.dryrun import undecided
    from agentmake.plan.explain import (
        beyond_otherwise,
        brief,
        if_changed,
        in_order,
        saved_first,
        told,
        waits_to_decide,
    )

    elsewhere = elsewhere or {}
    stale = [d for d in decisions if d.stale]
    failing = [d for d in stale if undecided(d)]
    ours = [d for d in stale if d.task_id not in elsewhere]  # (the others are counted apart)
    held = not_run(agentfile, root, selected, ours, budget=budget, keep_going=keep_going, verbose=verbose)
    salvaged = _salvaged(agentfile, root, selected, [d for d in ours if d.task_id not in held])
    lines: list[str] = []
    maybe = restore = busy = 0
    for d in in_natural_order(stale, lambda d: d.task_id):  # (sum:2 before sum:10)
        said = [told(r) for r in in_order(d.reasons)] if verbose else [brief(d.reasons)] if d.reasons else []
        other = (otherwise or {}).get(d.task_id)
        rest = beyond_otherwise(d) if other is not None and not verbose else d.reasons
        if other is not None and verbose:  # (a record of another configuration's build: said first)
            said = [other, *said]
        elif other is not None and len(rest) < len(d.reasons):  # (it stands for those that follow from it)
            said = [other, brief(rest)] if rest else [other]
        why = "; ".join(said + saved_first(d, quoted=True)) or "stale"
        verb = "restore" if d.action == "restore" else "run"
        if d.task_id in elsewhere:  # (its outputs are that agentmake's work in progress)
            busy += 1
            lines.append(
                f"running elsewhere {d.task_id}: agentmake (pid {elsewhere[d.task_id]}) is running it now"
            )
        elif undecided(d):
            lines.append(f"would fail {d.task_id}: {d.reasons[0].message.partition(': ')[2]}")
        elif d.task_id in held:
            lines.append(f"would not run {d.task_id}: {held[d.task_id]}")
        elif waits_to_decide(d):  # (a task it waits for may remake its input unchanged: then it stays)
            maybe += 1
            lines.append(f"may {verb} {d.task_id}: {why} ({if_changed(d)})")
        elif d.task_id in salvaged:
            lines.append(f"would salvage {d.task_id}: {why}; {salvaged[d.task_id]}")
        else:
            restore += verb == "restore"
            lines.append(f"would {verb} {d.task_id}: {why}")
    to_run = len(stale) - maybe - restore - len(failing) - len(held) - busy - len(salvaged)
    up_to_date = len(decisions) - len(stale)
    lines.append(
        dry_run_line(to_run, up_to_date, maybe, restore, len(failing), len(held), busy, len(salvaged))
    )
    return lines, len(failing), frozenset(salvaged)


def not_run(
    agentfile: Agentfile,
    root: Path,
    selected: Graph,
    stale: Sequence[Decision],
    *,
    budget: float | None,
    keep_going: bool,
    verbose: bool = False,
) -> dict[str, str]:
    """The stale tasks a build would not run, and why, as the build says it: what depends on a task that
    would fail (its prompt does not render: the build fails it, then runs nothing that reads it, with -k or
    without); each LLM agent the build would call when its budget is reached before it starts (a budget of
    0; not one whose new check the build runs on its outputs in place first, which costs nothing, nor one
    whose logs prove an answer already paid for, which the build salvages: `salvage_source`; a log that
    proves none, cut short, is no answer, and the build holds that call), and what depends on those.
    With -k, a report is built without them (a partial report), unless none of its inputs would be made.
    `verbose`: a held task's reasons all told (`-n -v`), not briefly."""
    from agentmake.plan.dryrun import undecided
    from agentmake.plan.explain import brief, in_order
    from agentmake.plan.explain import told as sentence
    from agentmake.scheduler.failing import passed_on
    from agentmake.scheduler.gate import CallGate
    from agentmake.scheduler.tasks import is_llm, takes_gaps

    gate = CallGate(budget if budget is not None else agentfile.settings.budget)
    why = (gate.why_not(None) or "budget reached") if gate.budget_reached() else None
    logs = _salvager(agentfile, root) if why is not None else None
    # what a dependent of each task the build would not run (or fail) is told: the build names the first
    told = {d.task_id: f"{d.task_id} would fail" for d in stale if undecided(d)}
    held: dict[str, str] = {}
    for d in stale:  # (in the graph's order: what a task depends on comes first)
        if d.task_id in told:
            continue
        task = selected.tasks[d.task_id]
        dep = next((t for t in selected.deps.get(d.task_id, ()) if t in told), None)
        if dep is not None and not (keep_going and takes_gaps(task)):
            held[d.task_id] = told[d.task_id] = told[dep]
        elif dep is not None and all(selected.producer.get(path) in told for path in task.inputs):
            held[d.task_id] = f"nothing to report: none of its inputs would be made ({told[dep]})"
            told[d.task_id] = passed_on(d.task_id, held[d.task_id])
        elif logs is None or d.action != "run" or not is_llm(task):
            continue  # (no budget reached, restored, or a shell task: free)
        elif any(r.kind == "check-later" for r in d.reasons):
            continue  # (its new check run on the outputs in place first: free)
        elif logs.salvage_source(task, d) is None:  # (an answer salvaged is free; else it is held)
            said = "; ".join(sentence(r) for r in in_order(d.reasons)) if verbose else brief(d.reasons)
            held[d.task_id] = f"{said or 'stale'} ({why})"
            told[d.task_id] = passed_on(d.task_id, why or "budget reached")  # (`logs` only with a `why`)
    return held


def _salvaged(agentfile: Agentfile, root: Path, selected: Graph, stale: Sequence[Decision]) -> dict[str, str]:
    """The stale tasks among `stale` whose first attempt would take an answer an interrupted run paid for
    instead of calling its agent, as the build decides it (`Executor.salvage_source`: an LLM agent to run,
    whose new check is not run on its outputs in place first, with logs that prove an answer for its key),
    each with what the dry run says of it."""
    from agentmake.model import AgentSpec
    from agentmake.plan.dryrun import undecided
    from agentmake.plan.explain import waits_to_decide
    from agentmake.scheduler.tasks import is_llm

    found: dict[str, str] = {}
    logs: Executor | None = None
    for d in stale:
        task = selected.tasks[d.task_id]
        if d.action != "run" or undecided(d) or waits_to_decide(d) or not is_llm(task):
            continue
        if d.recheck is not None or any(r.kind == "check-later" for r in d.reasons):
            continue  # (its new check is run on the outputs in place first: they may pass it)
        logs = logs or _salvager(agentfile, root)
        source = logs.salvage_source(task, d)
        if source is None:
            continue
        spec = task.spec
        checked = " if it passes its check" if isinstance(spec, AgentSpec) and spec.check is not None else ""
        # (as the build tells it, `salvage._notice`: recorded, its result since dropped from the cache)
        who = "an earlier run, its result no longer in the cache," if d.recorded else "an interrupted run"
        found[d.task_id] = f"the answer {who} paid for ({source.name}.out), not asked again{checked}"
    return found


def _salvager(agentfile: Agentfile, root: Path) -> Executor:
    """An executor only to ask which answers a build would salvage from the logs (`may_salvage`): nothing
    is started or recovered."""
    from agentmake.confine import STATE_DIR
    from agentmake.runners import Executor

    return Executor(agentfile, log_dir=root / STATE_DIR / "logs", recover_leftovers=False)
