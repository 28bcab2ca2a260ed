"""`agentmake -t` (`--touch`): mark the selected tasks up to date with the outputs in place, running nothing,
as `make -t` marks targets. The case it is for: a fresh checkout (CI, a colleague's clone) that has the
outputs committed but not `.agentmake/`, where every task is "never built" and a build would pay for every
call again.

Each selected task, in dependency order, is decided as a build decides it (`plan.Rebuilder`). One that is
up to date is left alone. One that would run or be restored is *touched* when every output it declares is a
regular file inside the project and every input it reads is there: it is recorded as a success is
(`Store.record_success`: its key, the outputs' content hashes, a history row), so the next build, `status`,
`explain` and `-q` find it up to date. No agent runs, no output is written: their bytes and mtimes stay.
Its outputs go into the result cache under its key, as a success's do, unless the cache holds a result
under that key already (a build would restore it): that one, paid for, is kept, as agentmake keeps the
cached result of an output edited by hand; but an output in place that agentmake made as that output for
other inputs (not one a person wrote whose bytes some other result holds, an empty file) is stale, not an
edit: that task is not touched (a build restores its result, calling no agent). Its
history row is "up-to-date" (nothing ran and nothing was restored: a report says "made before run N", its
cost nothing). Tasks are recorded in order, so a
downstream task's key is made of its upstream outputs as they are on disk. Each is its own transaction:
Ctrl-C, SIGTERM or SIGHUP (exit 130) leaves those recorded recorded, and the next -t touches the rest.

A task is *not touched* when an output is missing (or not a regular file inside the project), an input is
missing, its prompt does not render, or it depends on a task not touched (a build would make that one
first, and what it reads may change): each is said with why, and the exit status is 1 (as a stale `-q`),
so that 0 means every selected task is up to date now. Reports are tasks like any other (they cost
nothing to build, but `make -t` touches every target): touched when their output is there, else not
touched, and a build writes them calling no agent. With -B every selected task is touched whose outputs
are there, up to date or not; with -n nothing is recorded, only said (and, as every -n, it exits 0).

    $ agentmake -t                                  (the lines on stderr, the summary on stdout)
    [   0.0s] touched     summarize:a  (never built)
    [   0.0s] not touched summarize:b  (output out/b.md is missing)
    agentmake: 1 not touched: a build makes it (`agentmake -n` says what it runs)
    agentmake: 1 touched, 0 up to date, 1 not touched in 0.0s
"""

from __future__ import annotations

import os
import stat
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agentmake.errors import AgentmakeError, located
from agentmake.interrupts import restore_signals, stop_on_signals, take_early
from agentmake.invocation import command_line
from agentmake.safetext import term_safe
from agentmake.workflow import EXIT_FAILED, EXIT_OK, Project, Request, _out, load_project

if TYPE_CHECKING:
    from pathlib import Path

    from agentmake.graph import Graph, Task
    from agentmake.plan import Decision, Hasher, Rebuilder
    from agentmake.plan.shared import Shared
    from agentmake.store import Store

__all__ = ["NOT_TOUCHED", "TOUCHED", "UP_TO_DATE", "Touch", "touch", "touch_tasks"]

TOUCHED, UP_TO_DATE, NOT_TOUCHED = "touched", "up-to-date", "not-touched"


@dataclass(frozen=True)
class Touch:
    """What -t did (or, with -n, would do) with one task: `verdict` is `TOUCHED`, `UP_TO_DATE` (left alone)
    or `NOT_TOUCHED`; `why` says why it was stale (touched) or why it was not touched."""

    task_id: str
    verdict: str
    why: str = ""


def touch_tasks(
    selected: Graph,
    rebuilder: Rebuilder,
    store: Store,
    root: Path,
    *,
    run_id: int | None,
    said: Callable[[Touch], None] = lambda _: None,
    theirs: Mapping[str, str] | None = None,
    assume: Mapping[str, str] | None = None,
) -> list[Touch]:
    """One `Touch` per task of `selected`, in its (topological) order, each given to `said` as it is
    found. `run_id` None: a dry run, nothing recorded; else each task touched is recorded under that run as
    it is decided, before the tasks after it are (their keys read its outputs as they are on disk).
    `theirs`: task id -> why an output of it holds another Agentfile's result (`plan.shared`): not touched,
    as a build would not overwrite that result. `assume` (a dry run): output -> the content the take-over
    of a killed agentmake would put there (`workflow.takeover.would_take_over`), seen as in place."""
    from agentmake.plan.explain import told

    out = _Said(said)
    left: dict[str, str] = {}  # task id -> why it is not touched (its dependents are not either)
    for task in selected.tasks.values():
        if take_early():  # (a Ctrl-C Python lost: what is recorded stays, each task its own transaction)
            raise KeyboardInterrupt
        blocked = next((d for d in selected.deps.get(task.id, ()) if d in left), None)
        if blocked is not None:
            why = f"dependency {blocked} is not touched: a build makes it first"
            left[task.id] = why
            out.append(Touch(task.id, NOT_TOUCHED, why))
            continue
        try:
            decision = rebuilder.decide(task, assume=assume or None)
        except AgentmakeError as exc:  # (its prompt does not render: a build fails it, as it would)
            left[task.id] = why = f"cannot be decided: {located(exc)}"
            out.append(Touch(task.id, NOT_TOUCHED, why))
            continue
        if not decision.stale:
            out.append(Touch(task.id, UP_TO_DATE))
            continue
        gap = (theirs or {}).get(task.id) or _missing(task, root, rebuilder)
        if gap is None and decision.key is not None:
            gap = _other_result(task, decision.key, store, rebuilder)
        if gap is None and decision.key is None:  # (never so without a dry run's pending inputs)
            gap = "its key cannot be computed"
        if gap is not None:
            left[task.id] = gap
            out.append(Touch(task.id, NOT_TOUCHED, gap))
            continue
        if run_id is not None:
            _record(task, decision, store, rebuilder, root, run_id)
        first = decision.reasons[0] if decision.reasons else None
        # (a task never built is said to be so: what status says of it, `never built here: … (agentmake -t
        # records them as built)`, is what -t is doing)
        reason = "" if first is None else first.message if first.kind == "never-built" else told(first)
        out.append(Touch(task.id, TOUCHED, reason))
    return out


class _Said(list[Touch]):
    """The verdicts so far, each told to `said` as it is added."""

    def __init__(self, said: Callable[[Touch], None]) -> None:
        super().__init__()
        self.said = said

    def append(self, t: Touch) -> None:
        super().append(t)
        self.said(t)


def _missing(task: Task, root: Path, rebuilder: Rebuilder) -> str | None:
    """Why `task` cannot be touched as its files are (an output missing, not a regular file, or outside
    the project through a link; an input missing), None if it can."""
    from agentmake.confine import OutsideProject, check_inside

    for path in task.outputs:
        try:
            check_inside(root, path)
            st = os.lstat(root / path)
        except OutsideProject:
            return f"output {path} is outside the project (through a symbolic link)"
        except OSError:
            return f"output {path} is missing"
        if not stat.S_ISREG(st.st_mode):
            return f"output {path} is not a regular file"
    inputs = rebuilder.hasher.file_hashes(task.inputs)
    gone = next((p for p in task.inputs if inputs.get(p) is None), None)
    return None if gone is None else f"input {gone} is missing"


def _other_result(task: Task, key: str, store: Store, rebuilder: Rebuilder) -> str | None:
    """Why `task` is not touched when the cache holds its result under `key` (its inputs are back to what an
    earlier build saw) and an output in place is another result agentmake made for that output (for other
    inputs: the task's record names it, or the cache holds it as that output; or one recorded whose placing
    was cut short): that output is stale, not a hand edit to keep, and a build puts the key's result in
    place calling no agent. None otherwise: a foreign output is kept, as -t keeps it, even one whose bytes
    some other result holds (an empty file a person wrote is no result of this output's)."""
    wanted = store.cache_lookup(key)
    if wanted is None:
        return None
    record = store.task_record(task.id)
    made = record.outputs if record is not None else {}
    for path, digest in rebuilder.hasher.file_hashes(task.outputs).items():
        if digest is None or digest == wanted.get(path):
            continue
        if made.get(path) == digest or store.cache_made_at(path, digest):
            return (
                f"output {path} is agentmake's result for other inputs: a build restores this one, calling"
                " no agent"
            )
    return None


def _record(
    task: Task, decision: Decision, store: Store, rebuilder: Rebuilder, root: Path, run_id: int
) -> None:
    """Record `task` as built with `decision`'s key and its outputs as they are, as a success is recorded
    (`Store.record_success`); its outputs are cached unless a result is cached under that key already."""
    from agentmake.store import TaskRecord

    assert decision.key is not None
    digests = rebuilder.hasher.file_hashes(task.outputs)
    outputs = {path: digest for path, digest in digests.items() if digest is not None}
    rec = store.task_record(task.id)
    if rec is not None and rec.status == "done" and rec.key == decision.key and rec.outputs == outputs:
        return  # (up to date, touched with -B: its record says so already, with what it took and cost)
    record = TaskRecord(
        task.id, decision.key, decision.parts, outputs, "done", time.time(), 0.0, 0, run_id=run_id
    )
    cached = store.cache_lookup(decision.key) is not None  # (a result paid for: not replaced)
    files = {} if cached else {path: root / path for path in outputs}
    store.record_success(record, files, state="up-to-date")


def touch(req: Request) -> int:
    """`agentmake -t [TARGET...]`: touch what `req` selects (`touch_tasks`), print a line for each task
    touched or not touched and a summary; with -n record nothing. The exit code: 0 when every selected task
    is up to date now (or -n), 1 when some are not touched, 2 for the errors a build gives (a broken
    Agentfile, another agentmake holding the project)."""
    from agentmake.workflow.building import compile_templates

    start = time.monotonic()
    project = load_project(req)
    selected = project.graph.select(req.targets)
    compile_templates(project, selected)  # (a template that does not compile: exit 2, as for a build)
    stopping = stop_on_signals()  # (SIGTERM, SIGHUP: 130 as Ctrl-C, the store closed; what is recorded stays)
    try:
        return _touch(req, project, selected, start)
    finally:
        restore_signals(stopping)


def _touch(req: Request, project: Project, selected: Graph, start: float) -> int:
    from agentmake.plan import Hasher, Rebuilder
    from agentmake.workflow.building import check_shared, warn_leftovers
    from agentmake.workflow.planning import checker
    from agentmake.workflow.waiting import open_store

    if take_early():  # (a Ctrl-C Python lost while agentmake started: nothing is recorded)
        raise KeyboardInterrupt
    store = open_store(req, project, lock=not req.dry_run)
    try:
        if store.locked:
            store.claim(project.graph.tasks)  # (as a build: records named before they named their Agentfile)
        hasher = Hasher(project.root, store)
        placed = _take_over(req, project, store, hasher)
        warn_leftovers(project, selected, store)
        # (what a build warns of, a task both Agentfiles declare alike dropped: its result there is its own)
        theirs = _theirs(check_shared(project, selected, store), selected)
        rebuilder = Rebuilder(selected, store, hasher, force=req.force, checker=checker(project))
        run_id = None if req.dry_run else store.begin_run()
        line = _dry_line if req.dry_run else _line(req, start)
        found = touch_tasks(
            selected, rebuilder, store, project.root, run_id=run_id, said=line, theirs=theirs, assume=placed
        )
        if run_id is not None:
            store.end_run(run_id, _counts(found))
    finally:
        store.close()
    if req.dry_run:
        _dry_summary(found)
    else:
        _summary(found, time.monotonic() - start)
    return EXIT_FAILED if any(t.verdict == NOT_TOUCHED for t in found) and not req.dry_run else EXIT_OK


def _take_over(req: Request, project: Project, store: Store, hasher: Hasher) -> dict[str, str]:
    """What a build does first, before anything is decided (`workflow.takeover`): end what a killed agentmake
    left running (it would go on writing the outputs -t vouches for) and finish the commits it cut short (a
    result recorded and paid for is put in place, not its old output touched), and remove the staged files
    it left, saying so on stderr; with -n, say on stdout what that would do, and return the outputs it would
    put in place (path -> content hash), which -n decides with as -t finds them. (The attempts it left
    half-done are undone when the project is loaded, `load_project`, as for every command.)"""
    from agentmake.scheduler.commit import remove_stale_temps
    from agentmake.workflow.takeover import take_over_left, would_take_over

    placed: dict[str, str] = {}
    if req.dry_run:
        would_take_over(store, hasher, project.root, placed=placed)
        return placed
    take_over_left(project, store, hasher, say=_err)
    remove_stale_temps(project.root, (p for t in project.graph.tasks.values() for p in t.outputs))
    return placed


def _err(text: str) -> None:
    sys.stderr.write(f"agentmake: {text}\n")
    sys.stderr.flush()


def _theirs(shared: list[Shared], selected: Graph) -> dict[str, str]:
    """Task id -> why it is not touched: an output of it holds the result another Agentfile sharing the
    directory's state recorded (`shared`: what `workflow.building.check_shared` warned of, `Shared.theirs`),
    which recording it as this task's would take over; a build refuses to overwrite it likewise."""
    return {
        s.task: f"output {s.path} holds the result of task {s.other_task} of {s.other}, which shares this"
        " directory's state"
        for s in shared
        if s.theirs and s.task in selected.tasks
    }


def _counts(found: list[Touch]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for t in found:
        counts[t.verdict] = counts.get(t.verdict, 0) + 1
    return counts


def _line(req: Request, start: float) -> Callable[[Touch], None]:
    """A build's line (stderr) for each task touched (but with -s) or not touched, each up to date with -v:
    `[   0.1s] touched     T  (why it was stale)`."""

    def line(t: Touch) -> None:
        if (t.verdict == TOUCHED and req.silent) or (t.verdict == UP_TO_DATE and not req.verbose):
            return
        words = {TOUCHED: "touched", UP_TO_DATE: "up to date", NOT_TOUCHED: "not touched"}[t.verdict]
        extra = f"  ({t.why})" if t.why else ""
        stamp = f"[{time.monotonic() - start:6.1f}s]"
        sys.stderr.write(term_safe(f"{stamp} {words:<11} {t.task_id}{extra}") + "\n")
        sys.stderr.flush()

    return line


def _summary(found: list[Touch], wall: float) -> None:
    """The summary line (stdout), after a note of what a build would still make (stderr)."""
    n = _counts(found)
    left = n.get(NOT_TOUCHED, 0)
    if left:
        them = "it" if left == 1 else "them"
        sys.stderr.write(
            f"agentmake: {left} not touched: a build makes {them}"
            f" (`{command_line('-n')}` says what it runs)\n"
        )
    line = f"agentmake: {n.get(TOUCHED, 0)} touched, {n.get(UP_TO_DATE, 0)} up to date"
    line += f", {n[NOT_TOUCHED]} not touched" if n.get(NOT_TOUCHED) else ""
    _out(f"{line} in {wall:.1f}s")


def _dry_line(t: Touch) -> None:
    """What -t -n prints of a task (stdout, as -n does): `would touch T: why it is stale`, `would not touch
    T: why`; nothing of one up to date."""
    if t.verdict == TOUCHED:
        _out(term_safe(f"would touch {t.task_id}" + (f": {t.why}" if t.why else "")))
    elif t.verdict == NOT_TOUCHED:
        _out(term_safe(f"would not touch {t.task_id}: {t.why}"))


def _dry_summary(found: list[Touch]) -> None:
    n = _counts(found)
    line = f"agentmake: {n.get(TOUCHED, 0)} to touch"
    line += f", {n[NOT_TOUCHED]} not touched" if n.get(NOT_TOUCHED) else ""
    _out(f"{line}, {n.get(UP_TO_DATE, 0)} up to date (dry run)")
