"""One function per command the CLI runs on a project (`build`, `report`, `explain`, `graph`, `status`,
`clean`, `watch`): each takes the `Request` and returns the exit code. What a command may not need is
imported where it is used (a build the stamp answers loads neither `building` nor `planning`)."""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from agentmake.errors import AgentmakeError, UsageError
from agentmake.safetext import term_safe
from agentmake.trace import mark
from agentmake.workflow import EXIT_OK, Project, Request, _out, load_project
from agentmake.workflow.stamping import stamp_request, stamp_verdict

if TYPE_CHECKING:
    from agentmake.plan.stamp import Signature
    from agentmake.scheduler import BuildResult

__all__ = ["build", "clean", "explain", "graph", "report", "status", "warn_idle_targets", "watch"]


def build(req: Request) -> int:
    if req.touch:  # (no stamp: -t records, or with -n says, what it finds, task by task)
        from agentmake.workflow.touching import touch

        return touch(req)
    stamp = stamp_request(req, "build")
    code, verdict = stamp_verdict(req, stamp)
    if code is not None:
        return code
    mark("stamp")
    project = load_project(req)
    selected = project.graph.select(req.targets)
    # the Agentfile and the graph live as long as this process: the cyclic GC need not rescan them on every
    # collection during the build (on a 10,000-task no-op that rescanning is a tenth of the run)
    gc.freeze()
    request: tuple[Signature, list[str]] | None = (stamp[0], []) if stamp is not None else None
    if (
        warn_idle_targets(project, req.targets)
        | warn_empty(project)
        | warn_no_agent_task(project, req.targets)
        | project.warned
    ):
        request = None  # a build that warns must warn again: no stamp may answer the next one unseen
    from agentmake.workflow.building import build_selected  # (not on the path of a build the stamp answers)

    return build_selected(project, selected, req, request, verdict)


def warn_idle_targets(project: Project, targets: Sequence[str]) -> bool:
    """Say of each agent named on the command line that makes no task (its wildcard inputs match no file)
    why nothing is done for it, as make says "Nothing to be done for"; True if any was named."""
    from agentmake.graph import makes_no_task

    agents = project.agentfile.agents
    idle = [agents[t] for t in dict.fromkeys(targets) if t in agents and not project.graph.tasks_named(t)]
    for agent in idle:
        sys.stderr.write(f"agentmake: warning: {term_safe(makes_no_task(agent))}\n")
    return bool(idle)


def warn_no_agent_task(project: Project, targets: Sequence[str]) -> bool:
    """Say, of a build of the default targets in which no agent makes a task though the Agentfile declares
    agents (every fan-out's inputs match no file: a pattern mistyped, the sources not there yet), why each
    makes none, rather than a bare `0 ran`, or a report of nothing, that reads as all built; True if it
    said so. (Agents named on the command line: `warn_idle_targets`.)"""
    from agentmake.graph import makes_no_task

    agents = project.agentfile.agents
    if targets or not agents or any(t.kind == "agent" for t in project.graph.tasks.values()):
        return False
    for agent in agents.values():
        sys.stderr.write(f"agentmake: warning: {term_safe(makes_no_task(agent))}\n")
    return True


def warn_empty(project: Project) -> bool:
    """Say that an Agentfile declaring no agent and no report (empty, or variables alone) has nothing to
    build, rather than a bare `0 ran` that reads as all built; True if it said so."""
    af = project.agentfile
    if af.agents or af.reports:
        return False
    from agentmake.check_warnings import declares_nothing

    sys.stderr.write(f"agentmake: warning: {term_safe(declares_nothing(af) or '')}\n")
    return True


def report(req: Request) -> int:
    """Build the named report targets (req.targets) or every report, then print each report's path."""
    stamp = stamp_request(req, "report")
    code, verdict = stamp_verdict(req, stamp)
    if code is not None:
        return code
    project = load_project(req)
    reports = project.agentfile.reports
    if not reports:
        raise UsageError("this Agentfile declares no report (add a `report NAME:` block)")
    # (each once, in the order first named: `report r R.md` names r twice)
    names = list(dict.fromkeys(_report_of(project, name) for name in req.targets)) or list(reports)
    for name in names:
        if name not in reports:
            from agentmake.errors import did_you_mean
            from agentmake.invocation import targets
            from agentmake.workflow.again import again

            build = again(req, *targets(name))  # (`build NAME` if NAME is a command's name too)
            if name in project.agentfile.agents:
                raise UsageError(f"no report named '{name}': it is an agent (`{build}` builds it)")
            made = _made_by(project, name)
            if made:
                raise UsageError(f"no report named '{name}': it is {made} (`{build}` builds it)")
            hint = did_you_mean(name, reports, most=3)
            listed = f"; {hint}" if hint else f" (reports: {', '.join(reports)})"
            raise UsageError(f"no report named '{name}'{listed}")
    paths = [project.root / reports[name].output for name in names]
    lines = [f"report {name}: {path}" for name, path in zip(names, paths, strict=True)]
    request = (stamp[0], lines) if stamp is not None else None
    if warn_no_agent_task(project, ()) or project.warned:
        request = None  # (as in `build`: a build that warns must warn again)
    built: list[BuildResult] = []
    from agentmake.workflow.building import build_selected

    code = build_selected(project, project.graph.select(names), req, request, verdict, built)
    if code == EXIT_OK and not (req.dry_run or req.question):
        for line in lines:
            _out(term_safe(line))
    elif built:  # a failed build: the reports it left in place, a partial one (-k) said to be partial
        for name, line, path in zip(names, lines, paths, strict=True):
            outcome = built[0].outcomes.get(name)
            if outcome is not None and outcome.state in ("done", "cached", "up-to-date"):
                # (the note before the colon: the path, last, is the rest of the line, spaces and brackets
                # in it too, and a script reading `report NAME: PATH` finds no complete report in it)
                partial = f"report {name} (partial: {outcome.partial}): {path}" if outcome.partial else line
                _out(term_safe(partial))
            elif outcome is not None and outcome.state == "not-run":
                print(term_safe(_not_written(project, req, name, outcome.message)), file=sys.stderr)
    return code


def _not_written(project: Project, req: Request, name: str, why: str | None) -> str:
    """What to do about a report a failure kept from being written: without `-k`, build it with `-k`, as a
    partial report (the command line `req` gave, -C, -f and VAR=value kept: `again`); with it (none of its
    inputs was made), fix that; and the report in place, if any, is an earlier build's."""
    from agentmake.workflow.again import again

    output = project.agentfile.reports[name].output
    earlier = f" ({output} in place is an earlier build's)" if (project.root / output).exists() else ""
    said = f"agentmake: report {name} not written{earlier}: {why or 'not run'}; fix that and build again"
    if req.keep_going:
        return said
    partial = again(req, "report", "-k", name)
    return f"{said}, or `{partial}` writes it without what failed, saying what it lacks"


def _report_of(project: Project, target: str) -> str:
    """The report a `report` target names: its name, or its output as every command takes a path
    (`REVIEW.md`, `./REVIEW.md`, an absolute path inside the project); else the target as it is."""
    if target in project.agentfile.reports:
        return target
    try:
        tasks = project.graph.resolve(target)
    except AgentmakeError:
        return target
    return tasks[0] if len(tasks) == 1 and tasks[0] in project.agentfile.reports else target


def _made_by(project: Project, target: str) -> str:
    """What a `report` target that names no report is, when an agent makes it: `an output of copy:a`, `a
    task of agent copy`, `a directory of outputs of copy:a, copy:b` ("" if none)."""
    graph = project.graph
    if target in graph.tasks:
        return f"a task of agent {graph.tasks[target].name}"
    try:
        tasks = graph.resolve(target)
    except AgentmakeError:
        return ""
    if len(tasks) == 1:
        return f"an output of {tasks[0]}"
    shown = ", ".join(tasks[:3]) + (f" and {len(tasks) - 3} more" if len(tasks) > 3 else "")
    return f"a directory of outputs of {shown}" if tasks else ""  # (`report out`)


# --- looking ----------------------------------------------------------------------------------------------


def explain(req: Request) -> int:
    from agentmake.plan import Hasher, Rebuilder
    from agentmake.plan.explain import explain_lines
    from agentmake.workflow.planning import checker, running_elsewhere

    if not req.targets:
        raise UsageError("explain needs a target: agentmake explain TARGET")
    project = load_project(req)
    from agentmake.store import Store
    from agentmake.workflow.waiting import configuration_of

    # (judged under the variables given: a record another configuration's build wrote is said to be one)
    config = configuration_of(req, project.agentfile)
    store = Store.open(project.root, lock=False, agentfile=project.name, config=config)
    said: set[str] = set()  # (a task two targets share is explained once)
    try:
        busy = running_elsewhere(store)
        for target in req.targets:
            selected = project.graph.select([target])
            hasher = Hasher(project.root, store)
            rebuilder = Rebuilder(
                selected, store, hasher, force=req.force, checker=checker(project), busy=busy
            )
            for line in explain_lines(selected, rebuilder, target):
                if line not in said:
                    said.add(line)
                    _out(term_safe(line))
    finally:
        store.close()
    return EXIT_OK


def graph(req: Request, fmt: str) -> int:
    """Print the graph; of one with no task, say why on stderr (as a build does) and print no blank line
    (dot and mermaid still print an empty graph: a program reads them)."""
    from agentmake.graph.export import render_graph

    project = load_project(req)
    selected = project.graph.select(req.targets) if req.targets else project.graph
    if not selected.tasks:
        if not (warn_empty(project) | warn_no_agent_task(project, req.targets)):
            sys.stderr.write("agentmake: the graph has no tasks\n")
        if fmt == "text":
            return EXIT_OK
    _out(render_graph(selected, fmt))
    return EXIT_OK


STATUS_FOLD = 10  # `status` without -v: an agent's tasks up to date beyond this many are one line


def status(req: Request, as_json: bool) -> int:
    from agentmake.display.status import render_status_json, render_status_text, status_rows
    from agentmake.workflow.building import check_shared, warn_leftovers
    from agentmake.workflow.planning import plan_in

    project = load_project(req)
    selected = project.graph.select(req.targets) if req.targets else project.graph
    from agentmake.store import Store
    from agentmake.store.lock import held_elsewhere
    from agentmake.workflow.waiting import configuration_of

    # (once: a damaged one is told once)
    store = Store.open(
        project.root, lock=False, agentfile=project.name, config=configuration_of(req, project.agentfile)
    )
    try:
        warn_leftovers(project, selected, store)  # (what a task reads stale: as a build and -n say)
        check_shared(project, selected, store)  # (outputs another Agentfile here declares: as they say)
        from agentmake.workflow.touchhint import hint_touch

        hint_touch(project, selected, store)  # (a state lost, its outputs in place: -t, as -n says)
        decisions = plan_in(store, project, selected, req, tolerant=True)  # (every task, as it stands)
        if not as_json:  # (an output renamed in the Agentfile: `mv` and -t keep its result, as -n says)
            from agentmake.workflow.renamehint import say_rename_hints

            say_rename_hints(project, selected, decisions, store)
        running = store.running()
        live = held_elsewhere(store.dir / "lock")  # (another agentmake, alive now)
        alive = not running or live  # else a stopped agentmake left them
        retrying = store.retries_pending() if live else {}  # (a build that is gone retries nothing)
        rows = status_rows(
            selected, decisions, store, running, owner_alive=alive, brief=not as_json, retrying=retrying
        )
    finally:
        store.close()
    if as_json:
        _out(render_status_json(rows))
    else:  # (a big fan-out's tasks up to date as one line each agent, unless -v: as `list` shows them)
        agents = {task_id: task.name for task_id, task in selected.tasks.items()}
        _out(render_status_text(rows, agents, None if req.verbose else STATUS_FOLD))
    return EXIT_OK


def clean(req: Request, cache: bool, leftovers: bool = False) -> int:
    from agentmake.cleaning import clean as run_clean

    return run_clean(req, cache, leftovers)


def watch(req: Request) -> int:
    from agentmake.watch import watch as run_watch

    return run_watch(req)
