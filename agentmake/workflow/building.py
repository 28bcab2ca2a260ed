"""One build of a selected graph (`run_graph`, `build_selected`) and what it takes: the templates compiled
before any task starts, the retry backoff, as many jobs as open files allow, leftovers and outputs another
Agentfile in the directory declares too said, the exit code."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from agentmake.errors import AgentfileError, UsageError, plural
from agentmake.invocation import command_line
from agentmake.safetext import term_safe
from agentmake.trace import mark
from agentmake.workflow import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, Project, Request, _out
from agentmake.workflow.planning import checker, plan, plan_in

if TYPE_CHECKING:
    from agentmake.graph import Graph, Task
    from agentmake.model import Agentfile
    from agentmake.plan import Hasher
    from agentmake.plan.partial import Gap
    from agentmake.plan.shared import Shared
    from agentmake.plan.stamp import Signature, Verdict
    from agentmake.scheduler import BuildControl, BuildResult, TaskEvent
    from agentmake.store import Store

__all__ = [
    "FILES_KEPT", "FILES_PER_TASK", "backoff_base", "build_selected", "check_shared", "compile_templates",
    "exit_code", "jobs_within_open_files", "run_graph", "unrecorded_note", "warn_leftovers",
]  # fmt: skip


def run_graph(
    project: Project,
    selected: Graph,
    store: Store,
    req: Request,
    *,
    extra_sink: Callable[[TaskEvent], None] | None = None,
    control: BuildControl | None = None,
    on_done: Callable[[BuildResult, Hasher], None] | None = None,
    stamp: Verdict | None = None,
    hold: Mapping[str, str] | None = None,
) -> BuildResult:
    """Run one build of `selected` with the display and status.md; the display prints the summary line.
    `on_done(result, hasher)` is called once the build is over, while the store is still open. `stamp`: what
    the build stamp said (tasks it vouches for are up to date without being decided). `hold`: task id -> the
    key it failed under, not to be run again under it (`BuildOptions.hold`)."""
    store.begin_run_early()  # (its first write waits for the disk on a thread while this imports the rest)
    from agentmake.display import Fanout, StatusFile, is_interactive, make_display
    from agentmake.plan import Hasher, Rebuilder
    from agentmake.runners.check import check_cap
    from agentmake.runners.local import LocalExecutor, calls_no_agent
    from agentmake.scheduler import BuildOptions, ProcessRecorder, run_build

    af = project.agentfile
    hasher = Hasher(af.root, store)
    rebuilder = Rebuilder(selected, store, hasher, force=req.force, stamp=stamp, checker=checker(project))
    run_ref: dict[str, int] = {}
    recorder = ProcessRecorder(store)  # processes reach the store through the scheduler thread, batched

    if af.reports and any(t.kind == "report" for t in selected.tasks.values()):
        import agentmake.report  # noqa: F401  (jinja2: loaded up front only when a report may be built)

    def report_renderer(task: Task, gaps: Sequence[Gap]) -> str:
        from agentmake.report import render_report

        try:
            return render_report(task, gaps, graph=selected, store=store, run_id=run_ref.get("run_id"))
        except AgentfileError as e:  # (the task's failure is this message: it says where, as a prompt's does)
            if e.loc is None:
                raise
            raise AgentfileError(f"{e.loc}: {e.message}", hint=e.hint) from None

    # (a build of tasks that call no agent CLI imports none of the modules that run one)
    executor_class = LocalExecutor
    if not all(calls_no_agent(t) for t in selected.tasks.values()):
        from agentmake.runners import Executor

        executor_class = Executor
    executor = executor_class(
        af,
        log_dir=store.dir / "logs",
        on_process=recorder,
        on_intent=recorder.intend,
        verbose=req.verbose,
        report_renderer=report_renderer,
    )
    live = not req.silent and is_interactive(sys.stderr)
    display = make_display(
        silent=req.silent, estimates=store.mean_durations() if live else None, verbose=req.verbose
    )
    sink = Fanout(display, StatusFile(store.dir / "status.md", ticked=True))  # (ticked: `run_build`)
    if extra_sink is not None:
        sink.add(extra_sink)  # type: ignore[arg-type]
    check_cap()  # (a malformed AGENTMAKE_CHECK_TIMEOUT: a usage error before any task starts)
    jobs = jobs_within_open_files(req.jobs or af.settings.jobs or 4)
    budget = req.budget if req.budget is not None else af.settings.budget
    options = BuildOptions(
        jobs=jobs, keep_going=req.keep_going, budget=budget, backoff_base=backoff_base(af), hold=hold or {}
    )
    result: BuildResult | None = None
    try:
        result = run_build(
            selected,
            rebuilder,
            executor,
            store,
            options,
            sink,
            on_run_id=lambda run_id: run_ref.__setitem__("run_id", run_id),
            control=control,
            tick=sink.tick,
            processes=recorder,
        )
        store.settle()  # (the log copied on a thread while the summary is printed: the close is quicker)
    finally:
        if result is not None:
            sink.close(result)  # (prints the summary line)
            if result.said_later:  # (at least once: a kill -9 before this has the next build say it again)
                store.line_said(result.run_id, result.summed)
        else:  # (an exception is on its way out: a full disk, a state database that cannot be written)
            error = sys.exc_info()[1]
            sink.abort(f"{type(error).__name__}: {error}" if error is not None else "stopped")
    if store.busy.gave_up is not None:
        sys.stderr.write(unrecorded_note(result, selected, store.busy.holder, store.busy.name))
    store.cache_trim(af.settings.cache_size_mb * 1024 * 1024)
    if on_done is not None:
        on_done(result, hasher)
    return result


def unrecorded_note(result: BuildResult, graph: Graph, holder: str, database: str) -> str:
    """What a build stopped while waiting for the state database's lock (`agentmake.store.busy`) tells:
    what became of each result it could not record, and what to do."""
    from agentmake.scheduler.tasks import is_llm

    who = f"another program ({holder})" if holder else "another program"
    lines = [f"agentmake: stopped while {who} held the write lock of {database}"]
    for task_id in sorted(result.unrecorded):
        task = graph.tasks.get(task_id)
        if task is not None and is_llm(task):
            fate = (
                "its answer is kept beside its logs; the next build uses it without calling the agent again"
            )
        else:
            fate = "it runs again in the next build"
        lines.append(f"  {task_id}: finished, not recorded: {fate}")
    lines.append(
        "agentmake: end that program's transaction (COMMIT or ROLLBACK, or quit it), then run agentmake again"
    )
    return "".join(term_safe(line) + "\n" for line in lines)


def backoff_base(af: Agentfile) -> float:
    """Seconds of the first retry's backoff: env AGENTMAKE_BACKOFF (a duration, as `backoff` takes), else the
    Agentfile's `backoff`."""
    value = os.environ.get("AGENTMAKE_BACKOFF")
    if value:
        from agentmake.syntax.values import parse_duration

        seconds = parse_duration(value)
        if seconds is None:
            example = "such as 250ms, 2s or 1m, or a number of seconds"
            raise UsageError(f"AGENTMAKE_BACKOFF must be a duration {example}, not {value!r}")
        return seconds
    return max(float(af.settings.backoff), 0.0)


def exit_code(result: BuildResult) -> int:
    if result.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if result.ok else EXIT_FAILED


def compile_templates(project: Project, selected: Graph) -> None:
    """Compile the prompts and report templates of what `selected` builds before any task starts, and check
    the names the prompts read: such an error is a located AgentfileError (exit 2), not a task that fails
    once the agents before it are paid for.
    Texts seen to compile before are not compiled again (`template_checks.KnownTemplates`)."""
    af = project.agentfile
    names = {task.name for task in selected.tasks.values()}
    prompts = [a.prompt for n, a in af.agents.items() if n in names and a.prompt is not None]
    prompts += [r.merge for n, r in af.reports.items() if n in names and r.merge is not None]
    reports = [n for n, r in af.reports.items() if n in names and r.template]
    if prompts or reports:
        from agentmake.template_checks import compile_build_templates

        compile_build_templates(af, prompts, reports, selected)


# descriptors a running task holds at the peak (two pipes, two log files, a pidfd; a spawn's error pipe while
# it starts: 4.2-4.7 a task measured over agentmake's 17 at -j 8 and -j 22), and a spare
FILES_PER_TASK = 6
FILES_KEPT = 32  # for agentmake itself: the state database, the lock, the spawn log, the display...


def jobs_within_open_files(jobs: int) -> int:
    """`jobs`, or fewer if the limit on open files (raised as far as allowed at start) cannot hold that many
    running tasks: past it every start fails with "Too many open files", for good. Says so when it lowers."""
    try:
        import resource

        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, ValueError, OSError):  # (no such limit here)
        return jobs
    if soft == resource.RLIM_INFINITY or jobs * FILES_PER_TASK + FILES_KEPT <= soft:
        return jobs
    fit = max(1, (soft - FILES_KEPT) // FILES_PER_TASK)
    sys.stderr.write(
        f"agentmake: running {plural(fit, 'task')} at once, not {jobs}: the limit on open files is {soft}"
        " (raise it with `ulimit -n`)\n"
    )
    return fit


def build_selected(
    project: Project,
    selected: Graph,
    req: Request,
    stamp: tuple[Signature, list[str]] | None = None,
    verdict: Verdict | None = None,
    results: list[BuildResult] | None = None,
) -> int:
    """Build `selected`, or with -n/-q only say what is stale (running nothing). `stamp`: (signature, lines
    printed after the build) of a request whose build stamp is written when everything is up to date;
    `verdict`: what the stamp said before the build; `results` (if given) receives the build's result."""
    compile_templates(project, selected)
    if req.question or req.dry_run:
        # (tolerant: a task whose prompt does not render fails alone in a build, exit 1, the others built;
        # so the dry run says so of it and goes on, rather than refusing the project as an Agentfile error)
        elsewhere: dict[str, int] = {}
        otherwise: dict[str, str] = {}  # (-n: tasks whose record another configuration's build wrote)

        def warn(store: Store) -> None:
            # (leftovers a task reads are warned of as a build does: what -n calls up to date reads them;
            # and outputs another Agentfile here declares too, which a build may refuse to overwrite)
            warn_leftovers(project, selected, store)
            check_shared(project, selected, store)
            if req.dry_run:  # (what a build would pay again that -t records)
                from agentmake.workflow.touchhint import hint_touch

                hint_touch(project, selected, store)
                from agentmake.plan.explain import otherwise_said

                said = ((t, otherwise_said(store, t, task.outputs)) for t, task in selected.tasks.items())
                otherwise.update((t, s) for t, s in said if s is not None)

        decisions = plan(project, selected, req, tolerant=True, elsewhere=elsewhere, first=warn)
        failing = 0
        if req.dry_run:
            from agentmake.preview import dry_run_lines

            lines, failing, salvaged = dry_run_lines(
                project.agentfile, project.root, selected, decisions,
                budget=req.budget, keep_going=req.keep_going, verbose=req.verbose, elsewhere=elsewhere,
                otherwise=otherwise,
            )  # fmt: skip
            for line in lines:
                _out(term_safe(line))
            if any(r.kind == "outputs-changed" for d in decisions for r in d.reasons):  # (most: none)
                from agentmake.store import Store
                from agentmake.workflow.renamehint import say_rename_hints
                from agentmake.workflow.waiting import configuration_of

                # (under the variables given: an output of another configuration's build is no rename)
                config = configuration_of(req, project.agentfile)
                store = Store.open(project.root, lock=False, agentfile=project.name, config=config)
                try:
                    # (not of a task that salvages its answer: it calls nothing either way)
                    unpaid = [d for d in decisions if d.task_id not in salvaged]
                    say_rename_hints(project, selected, unpaid, store)
                finally:
                    store.close()
        stale = any(d.stale for d in decisions)
        return EXIT_FAILED if (req.question and stale) or failing else EXIT_OK
    from agentmake.store import LockedError
    from agentmake.workflow.waiting import open_store

    started = time.monotonic()

    def warned(state: Store) -> None:  # (what a build warns of before it runs anything, said here too)
        warn_leftovers(project, selected, state)
        check_shared(project, selected, state)

    if req.wait:  # (a watch runs until stopped: with nothing to run, it is not waited for)
        from agentmake.workflow.heldbuild import up_to_date_beside_watch

        if (beside := up_to_date_beside_watch(project, selected, req, started, warned)) is not None:
            return beside
    try:
        store = open_store(req, project)
    except LockedError as err:  # (a watch, another build: up to date says so, exit 0; else who holds it)
        from agentmake.workflow.heldbuild import build_while_held

        return build_while_held(project, selected, req, err, started, first=warned)
    mark("store")
    if verdict is not None and verdict.source != store.removed_stamp:
        verdict = None  # another agentmake took the lock since the stamp was read: it proves nothing now
    finish: list[Callable[[Path], None]] = []  # the stamp, written once the state is closed

    def prepare_stamp(result: BuildResult, hasher: Hasher) -> None:
        if stamp is not None:
            from agentmake.plan.stampwrite import stamp_if_up_to_date

            af, graph = project.agentfile, project.graph
            ready = stamp_if_up_to_date(af, graph, selected, result, hasher, stamp, verdict)
            if ready is not None:
                finish.append(ready)

    said: set[str] = set()
    store.claim(project.graph.tasks)  # (records written before they named their Agentfile: `Store.owns`)
    if warn_leftovers(project, selected, store, said):
        stamp = None  # a build that warns must warn again: no stamp may answer the next one unseen
    if store.cache_uncached():  # (results a build could not cache: filed now, if the cache has room again)
        stamp = None  # (some still could not be: the next build tries again, not answered by a stamp)
    strays = store.strays()
    from agentmake.workflow.touchhint import hint_touch

    if hint_touch(project, selected, store, building=True):
        stamp = None  # (nothing is up to date without a record: no stamp either way)
    try:
        if check_shared(project, selected, store, req, said):  # (it may refuse the build: nothing run)
            stamp = None  # (as for leftovers: the next build warns again)
        result = run_graph(project, selected, store, req, on_done=prepare_stamp, stamp=verdict)
        if results is not None:
            results.append(result)
        # outputs this build's tasks no longer make (renamed in the Agentfile) are left over from now on: said
        # now, since what read them in this build read them stale
        if store.strays() != strays and warn_leftovers(project, selected, store, said):
            finish.clear()  # (as above: no stamp)
        return exit_code(result)
    finally:
        store.close(before_release=lambda: [f(store.dir) for f in finish])
        mark("closed")


def warn_leftovers(project: Project, selected: Graph, store: Store, said: set[str] | None = None) -> bool:
    """Say which inputs are outputs left over from tasks no longer in the graph, or that their task no longer
    makes (renamed in the Agentfile); True if any are. `said`:
    warnings given already (watch gives each once per session), to which the new ones are added."""
    graph = project.graph
    if all(t in graph.tasks for t in store.own_task_ids()) and not store.strays():
        return False  # (most builds: no task dropped, no stray: nothing imported, queried or hashed)
    from agentmake.plan.leftovers import dropped_tasks, leftovers, leftovers_message

    dropped = dropped_tasks(project.graph, store)
    found = leftovers(project.graph, selected, store, project.root, dropped)
    new = [leftover for leftover in found if said is None or leftover.message() not in said]
    if new:  # (several in one line: `a, b, c and 1 more are left over ...`)
        sys.stderr.write(f"agentmake: warning: {term_safe(leftovers_message(new))}\n")
        sys.stderr.write(f"agentmake: `{command_line('clean', '--leftovers')}` removes every leftover\n")
    if said is not None:
        said.update(leftover.message() for leftover in new)
    return bool(found)


def check_shared(
    project: Project,
    selected: Graph,
    store: Store,
    build: Request | None = None,
    said: set[str] | None = None,
) -> list[Shared]:
    """Warn of each output this Agentfile declares that another Agentfile sharing the directory's state
    recorded as its own (`plan.shared`), and return them (empty: none, most builds): not one task both
    declare alike, whose result there is this one's too. `build` (the request of a build about to start):
    refuse it instead (AgentfileError, exit 2, nothing run) when a task of `selected` that it would run or
    restore would overwrite the other's result, there now: a result paid for is never lost to the other
    Agentfile. `said`: as `warn_leftovers`'s. (-t does not touch the tasks of those holding the other's
    result: `touching._theirs`.)"""
    if not store.others_outputs():  # (most builds: one Agentfile in the directory, nothing read or imported)
        return []
    from agentmake.plan.shared import ADVICE, refusal, refusal_hint, shared_outputs

    found = shared_outputs(project.graph, store, project.root, project.name)
    alike = {s.task for s in found if s.alike}
    if alike:  # (one task both declare alike, e.g. from a shared include: its key now is the other's)
        from agentmake.workflow import Request

        tasks = project.graph.select(sorted(alike))
        keys = {d.task_id: d.key for d in plan_in(store, project, tasks, build or Request(), tolerant=True)}
        found = [s for s in found if not (s.alike and keys.get(s.task) == s.other_key)]
    if not found:  # (most builds: one Agentfile in the directory, nothing read)
        return found
    over = [s for s in found if s.theirs and s.task in selected.tasks]
    if build is not None and over:
        tasks = selected.select(sorted({s.task for s in over}))  # (and what they depend on: early cutoff)
        acting = {d.task_id for d in plan_in(store, project, tasks, build, tolerant=True) if d.stale}
        over = [s for s in over if s.task in acting]
        if over:
            raise AgentfileError(refusal(over), hint=refusal_hint(over))
    new = [m for m in (s.message() for s in found) if said is None or m not in said]
    for message in new:
        sys.stderr.write(f"agentmake: warning: {term_safe(message)}\n")
    if new:
        sys.stderr.write(f"agentmake: {ADVICE}\n")
    if said is not None:
        said.update(new)
    return found
