"""`agentmake explain TARGET`: the reason chain for a task and for the upstream tasks that make it stale.

Example::

    build/zh/intro.md [translate:intro] is stale: input docs/intro.md changed (content a1b2c3d4 → e5f6a7b8)
    build/report.md [report] may be stale: input build/zh/intro.md will be rebuilt by translate:intro (if that
        changes it)

Upstream tasks are listed (dependencies first) only when they will run or be restored; the target's own line
is always shown, also when it is up to date.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from agentmake.graph import Graph, Task, makes_no_task
from agentmake.natorder import directory, in_natural_order
from agentmake.pathwords import quote_path, quote_paths, with_path_quoted
from agentmake.plan.changes import Reason
from agentmake.plan.dryrun import plan_build, undecided
from agentmake.plan.laststop import stopped_last
from agentmake.plan.rebuilder import Decision, Rebuilder
from agentmake.safetext import term_safe

if TYPE_CHECKING:
    from agentmake.store import Store


def explain_lines(graph: Graph, rebuilder: Rebuilder, target: str) -> list[str]:
    targets = resolve_targets(graph, target)
    agent = graph.agentfile.agents.get(target)
    if not targets and agent is not None:  # (else nothing at all was said, as of a target that is no agent)
        return [makes_no_task(agent)]
    wanted = _upstream(graph, targets)
    sub = Graph(graph.agentfile, {tid: t for tid, t in graph.tasks.items() if tid in wanted})
    # (tolerant: a task whose prompt does not render fails alone in a build, which runs nothing that depends
    # on it: said of each, as -n does, rather than refusing the whole chain as an Agentfile error)
    decisions = plan_build(sub, rebuilder, tolerant=True)
    # (what the last build did not finish is said first, as status says it)
    store = getattr(rebuilder, "store", None)
    stopped = stopped_last(store) if store is not None and hasattr(store, "attempts") else {}
    blocked: dict[str, str] = {}  # task -> the task that would fail under it (the build names that one)
    lines: dict[str, str] = {}  # (decided dependencies first; told in natural order: sum:2 before sum:10)
    for d in decisions:
        task = sub.tasks[d.task_id]
        other = built_otherwise(store, d, task.outputs) if hasattr(store, "built_otherwise") else None
        first = "; ".join(filter(None, [stopped.get(d.task_id) if d.stale else None, other])) or None
        dep = next((blocked[t] for t in graph.deps.get(d.task_id, ()) if t in blocked), None)
        if undecided(d):
            blocked[d.task_id] = d.task_id
            lines[d.task_id] = f"{_label(task)} would fail: {d.reasons[0].message.partition(': ')[2]}"
        elif dep is not None:
            blocked[d.task_id] = dep
            lines[d.task_id] = f"{_label(task)} will not run: {dep} would fail"
        elif d.task_id in targets or d.stale:
            lines[d.task_id] = describe(task, d, first)
    return [lines[task_id] for task_id in in_natural_order(lines)]


# the differences from a record of another configuration's build that follow from the paths and the command
# its variables name: `build/${lang}/a.md`, `glossary/${lang}.tsv` (`beyond_otherwise`)
FOLLOWING = frozenset(
    {"input-added", "input-removed", "command-changed", "outputs-changed", "output-missing"}
)  # fmt: skip


def built_otherwise(store: Store | None, decision: Decision, outputs: Sequence[str]) -> str | None:
    """Of a task whose record a build of another configuration wrote (`Store.built_otherwise`: `status
    lang=fr` after a build with `lang=es`), stale or up to date only by taking the outputs in place
    (`Decision.adopt`): the sentence that says so first (`otherwise_said`), which the differences it is told
    with follow from (`FOLLOWING`: `status` and `-n` tell it without them, `beyond_otherwise`). None for any
    other (the record is of this configuration's build, whose figures are this task's)."""
    if store is None or (not decision.stale and decision.adopt is None):
        return None
    if not any(r.kind in _TOUCHED for r in decision.reasons):  # (the variable changed nothing of the task)
        record = store.task_record(decision.task_id)
        if record is not None and record.key:  # (its failure, its figures are this task's: as before)
            return None
    return otherwise_said(store, decision.task_id, outputs)


# the differences from a record that a variable can make in a task itself (its paths, command, prompt,
# runner, settings): a task stale for none of them (an input edited, its last run failed) is one the variables
# set otherwise do not touch, whose record, if keyed, is its own whatever build wrote it (`built_otherwise`)
_TOUCHED = FOLLOWING | {"prompt-changed", "runner-changed", "setting-changed", "output-renamed"}


def otherwise_said(store: Store, task_id: str, outputs: Sequence[str]) -> str | None:
    """`last built for other outputs (build/es/a.md), under another value of lang`, of a task whose record a
    build of another configuration wrote (`Store.built_otherwise`), its outputs now `outputs` (the same
    ones, `profile=llm`'s: `last built under another value of profile`); None for any other."""
    names = store.built_otherwise(task_id)
    record = store.task_record(task_id) if names else None
    if not names or record is None:
        return None
    values = f"another value of {names[0]}" if len(names) == 1 else f"other values of {', '.join(names)}"
    other = record.outputs and not set(record.outputs) <= set(outputs)
    made = f" for other outputs ({quote_paths(list(record.outputs))})," if other else ""
    return term_safe(f"last built{made} under {values}")


def beyond_otherwise(decision: Decision) -> list[Reason]:
    """The reasons of a task whose record another configuration's build wrote (`built_otherwise`) that do
    not follow from the paths and the command its variables name (`FOLLOWING`): what `status` and `-n` tell
    after that sentence, which stands for the rest (an input changed, a prompt changed with the variable's
    values, `variable lang: 'en' → 'fr'`, a runner changed, outputs in place taken as they are stay told:
    the values are not in the state). Only where the variable names the task's outputs (an `outputs-changed`
    reason: `build/${lang}/a.md`): a task it does not touch, whose record a build under it wrote as it found
    the task up to date, keeps every reason (an input added to `src/*.md` since is its own, not lang's)."""
    if not any(r.kind == "outputs-changed" for r in decision.reasons):
        return list(decision.reasons)
    return [r for r in decision.reasons if r.kind not in FOLLOWING]


_GROUPED = {  # reason kinds naming one path each -> how several of them are told together
    "input-added": "inputs added",
    "input-removed": "inputs removed",
    "input-changed": "inputs changed",
    "input-will-change": "inputs will be rebuilt",
    "output-missing": "outputs missing",
}


def told(reason: Reason) -> str:
    """`reason`'s sentence as a person reads it: the paths it names written as the Agentfile would
    (`pathwords.quote_path`: `input "in put.txt" changed …`), where one needs quotes; its `message`
    (the data: `status --json`) names them as they are. It is one line for a terminal (`term_safe`): a
    newline, another control character or a bidirectional override in a file name or a task id it names
    (`input "a\\nb.md" will be rebuilt by sum:a\\nb`) is shown escaped, so that neither splits nor garbles
    status's, explain's or -n's line; only the reasons that quote an agent's or a check's own output
    (`_OUTPUT_KINDS`) keep their line breaks, which status shows as further lines (and -n and explain,
    one line each, escape as any other)."""
    said = reason.told if reason.told is not None else with_path_quoted(reason.message, reason.path)
    return said if reason.kind in _OUTPUT_KINDS else term_safe(said)


# the reasons whose sentence ends with what an agent, a check or a template said (maybe over several lines)
_OUTPUT_KINDS = frozenset(
    {"previous-failed", "previous-partial", "check-failed", "inputs-missing", "undecided"}
)


def in_order(reasons: list[Reason]) -> list[Reason]:
    """`reasons` as a person reads them: those of one kind and one directory together, where the first of
    them was, the paths they name in natural order (`natorder`: `input build/2.md changed` before `input
    build/10.md changed`; the order of the patterns of an `inputs` line kept)."""
    return in_natural_order(reasons, lambda r: r.path or "", by=lambda r: (r.kind, directory(r.path or "")))


def brief(reasons: list[Reason], limit: int = 3) -> str:
    """The reasons as one line, where more than `limit` of a kind that names a path are told as one: "7
    inputs added: a.md, b.md and 5 more" (a fan-in's dry run line stays readable; explain tells them all)."""
    return "; ".join(grouped(reasons, limit))


def grouped(reasons: list[Reason], limit: int = 3) -> list[str]:
    """The reasons' sentences for a person (`told`), those of a kind that names a path told as one where more
    than `limit` are of it (`brief`, a line each)."""
    counts: dict[str, int] = {}
    for r in reasons:
        counts[r.kind] = counts.get(r.kind, 0) + 1
    said: list[str] = []
    grouped: dict[str, list[str]] = {}
    for r in in_order(reasons):
        if r.kind not in _GROUPED or counts[r.kind] <= limit or r.path is None:
            said.append(told(r))
            continue
        if r.kind not in grouped:
            grouped[r.kind] = []
            said.append(r.kind)  # (a placeholder, where the first of the kind stood)
        grouped[r.kind].append(r.path)
    for kind, paths in grouped.items():
        first = quote_paths(paths[:2])  # (in natural order: `in_order`)
        line = f"{len(paths)} {_GROUPED[kind]}: {first} and {len(paths) - 2} more"
        said[said.index(kind)] = term_safe(line)
    return said


def _label(task: Task) -> str:
    """How explain names a task: its first output (and how many more), then its id."""
    said = quote_path(task.outputs[0]) if task.outputs else task.id
    if len(task.outputs) > 1:
        said += f" (+{len(task.outputs) - 1} more)"
    return f"{said} [{task.id}]"


def describe(task: Task, decision: Decision, first: str | None = None) -> str:
    """The task's line; `first`: a reason said before the key's (`laststop.stopped_last`)."""
    label = _label(task)
    said = [
        *(told(r) for r in in_order(decision.reasons) if r.kind != "cached"),
        *saved_first(decision, quoted=True),
    ]
    reasons = "; ".join([first, *said] if first else said)
    if decision.action == "skip":
        return f"{label} is up to date" + (f": {reasons}" if reasons else "")
    if decision.action == "restore":
        return f"{label} will be restored from cache: {reasons}"
    if waits_to_decide(decision):
        return f"{label} may be stale: {reasons} ({if_changed(decision)})"
    return f"{label} is stale: {reasons}"


def saved_first(decision: Decision, *, quoted: bool = False) -> list[str]:
    """What a build saves before it runs or restores the task (`Decision.edited`: an output edited by hand,
    or one agentmake did not make that a restore replaces), a sentence each: told beside the reasons, since
    the build says where it saved it. `quoted`: for a person, each path as the Agentfile writes it."""
    odd = set(decision.unknown)
    whose = {True: "was not made by agentmake", False: "was edited by hand"}
    edited = decision.edited if decision.stale else []
    said = quote_path if quoted else str
    return [f"{said(path)} {whose[path in odd]}: a copy is saved first" for path in edited]


def if_changed(decision: Decision) -> str:
    """The condition of a task that `waits_to_decide`: "if that changes it" (or "them", for several inputs);
    after a failure or a partial report, what restores it instead of running it; after a changed check,
    that its outputs fail it."""
    if any(r.kind == "check-later" for r in decision.reasons):
        return "if its outputs fail the new check; else they stay"
    if not only_waits(decision):
        return "or it is restored from the cache, if what it reads comes back as an earlier build made it"
    return "if that changes it" if len(decision.reasons) == 1 else "if that changes them"


def only_waits(decision: Decision) -> bool:
    """Whether a stale decision's only reasons are inputs a task that runs first will rebuild: if it makes
    them again unchanged (early cutoff), the task stays up to date."""
    return bool(decision.reasons) and all(r.kind == "input-will-change" for r in decision.reasons)


_SETTLED_LATER = frozenset({"input-will-change", "previous-failed", "previous-partial"})


def waits_to_decide(decision: Decision) -> bool:
    """Whether what a stale decision does depends on what a task that runs first makes of its inputs: it
    `only_waits`, or it also failed (or was a partial report) last time, so it runs, unless those inputs come
    back as an earlier build made them and its result is restored from the cache (or, after a failure, is
    up to date). Or on what its new check says of its outputs, which a dry run leaves to the build
    (`check-later`)."""
    kinds = {r.kind for r in decision.reasons}
    return ("input-will-change" in kinds and kinds <= _SETTLED_LATER) or kinds == {"check-later"}


def resolve_targets(graph: Graph, target: str) -> set[str]:
    """Task ids for a target as every command takes it (`Graph.resolve`: a task id, an agent/report name, an
    output path, `./` or absolute too, a directory of outputs); UsageError with a hint otherwise."""
    return set(graph.resolve(target))


def _upstream(graph: Graph, targets: set[str]) -> set[str]:
    seen: set[str] = set()
    stack = list(targets)
    while stack:
        tid = stack.pop()
        if tid in seen:
            continue
        seen.add(tid)
        stack.extend(graph.deps.get(tid, ()))
    return seen
