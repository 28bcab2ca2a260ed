"""The pipeline each command runs: load -> graph -> rebuilder -> scheduler -> display/report.

The CLI turns argv into a `Request` and calls one function here; each returns the process exit code
(0 ok, 1 build failed, 2 usage/Agentfile error, 130 interrupted). Nothing here decides staleness or runs a
process: it only wires the modules together.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from agentmake import locate
from agentmake.errors import AgentmakeError, UsageError
from agentmake.safetext import term_safe
from agentmake.trace import mark

if TYPE_CHECKING:  # imported where used: a no-op build never loads what it does not need (not even SQLite)
    from agentmake.graph import Graph, Task
    from agentmake.model import Agentfile
    from agentmake.plan import Hasher
    from agentmake.plan.partial import Gap
    from agentmake.plan.stamp import Verdict
    from agentmake.scheduler import BuildControl, BuildResult, TaskEvent
    from agentmake.store import Store

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


@dataclass
class Request:
    directory: Path = field(default_factory=Path.cwd)  # -C DIR (already resolved)
    agentfile: Path | None = None  # -f FILE; None: DIR/Agentfile
    targets: list[str] = field(default_factory=list)
    overrides: dict[str, str] = field(default_factory=dict)  # VAR=value
    jobs: int | None = None  # -j
    keep_going: bool = False  # -k
    dry_run: bool = False  # -n
    force: bool = False  # -B
    question: bool = False  # -q
    budget: float | None = None  # --budget
    silent: bool = False  # -s
    verbose: bool = False  # -v


@dataclass
class Project:
    """A loaded Agentfile and its full task graph."""

    agentfile: Agentfile
    graph: Graph

    @property
    def root(self) -> Path:
        return self.agentfile.root

    @property
    def name(self) -> str:
        """The Agentfile's name in the project directory: what the state files its tasks' records under
        (several Agentfiles in one directory share its `.agentmake/`, `Store.owns`)."""
        return self.agentfile.path.name


def agentfile_path(req: Request) -> Path:
    return locate.agentfile_path(req.directory, req.agentfile)


def load_project(req: Request) -> Project:
    from agentmake.graph import build_graph
    from agentmake.syntax import load_agentfile

    agentfile = load_agentfile(agentfile_path(req), req.overrides)
    mark("agentfile")
    if (agentfile.root / ".agentmake" / "tmp").is_dir():  # a killed run may have left a half-done attempt
        from agentmake.runners.backups import recover_if_idle

        recover_if_idle(agentfile.root)  # only if no build holds the lock; builds recover in their Executor
    project = Project(agentfile, build_graph(agentfile))
    mark("graph")
    from agentmake.project import setting_typos

    for warning in setting_typos(agentfile):
        sys.stderr.write(f"agentmake: warning: {term_safe(warning)}\n")
    return project


def _out(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


# --- building -------------------------------------------------------------------------------------------


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
    from agentmake.display import Fanout, StatusFile, is_interactive, make_display
    from agentmake.plan import Hasher, Rebuilder
    from agentmake.runners import Executor
    from agentmake.runners.check import check_cap
    from agentmake.scheduler import BuildOptions, ProcessRecorder, run_build

    af = project.agentfile
    hasher = Hasher(af.root, store)
    rebuilder = Rebuilder(selected, store, hasher, force=req.force, stamp=stamp, checker=_checker(project))
    run_ref: dict[str, int] = {}
    recorder = ProcessRecorder(store)  # processes reach the store through the scheduler thread, batched

    if af.reports and any(t.kind == "report" for t in selected.tasks.values()):
        import agentmake.report  # noqa: F401  (jinja2: loaded up front only when a report may be built)

    def report_renderer(task: Task, gaps: Sequence[Gap]) -> str:
        from agentmake.report import render_report

        return render_report(task, gaps, graph=selected, store=store, run_id=run_ref.get("run_id"))

    executor = Executor(
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
    sink = Fanout(display, StatusFile(store.dir / "status.md"))
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
    finally:
        if result is not None:
            sink.close(result)
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
    return max(float(getattr(af.settings, "backoff", 2.0)), 0.0)


def exit_code(result: BuildResult) -> int:
    if result.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if result.ok else EXIT_FAILED


def compile_templates(project: Project, selected: Graph) -> None:
    """Compile the prompts and report templates of what `selected` builds before any task starts, and check
    the names the prompts read: such an error is a located AgentfileError (exit 2), not a task that fails
    once the agents before it are paid for.
    Texts seen to compile before are not compiled again (`project.KnownTemplates`)."""
    af = project.agentfile
    names = {task.name for task in selected.tasks.values()}
    prompts = [a.prompt for n, a in af.agents.items() if n in names and a.prompt is not None]
    prompts += [r.merge for n, r in af.reports.items() if n in names and r.merge is not None]
    reports = [n for n, r in af.reports.items() if n in names and r.template]
    if prompts or reports:
        from agentmake.project import compile_build_templates

        compile_build_templates(af, prompts, reports, selected)


FILES_PER_TASK = 4  # descriptors a running task holds (two logs or pipes, a pidfd: 3 measured), and a spare
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
        f"agentmake: running {fit} tasks at once, not {jobs}: the limit on open files is {soft}"
        " (raise it with `ulimit -n`)\n"
    )
    return fit


def _plan(
    project: Project, selected: Graph, req: Request, tolerant: bool = False,
    elsewhere: dict[str, int] | None = None,
) -> list:  # fmt: skip
    """`elsewhere` (if given) receives the tasks another agentmake is running now, each with its pid."""
    from agentmake.store import Store

    store = Store.open(project.root, lock=False, agentfile=project.name)
    try:
        owners = running_owners(store)
        if elsewhere is not None:
            elsewhere.update(owners)
        return _plan_in(store, project, selected, req, tolerant, busy=frozenset(owners))
    finally:
        store.close()


def _plan_in(
    store: Store, project: Project, selected: Graph, req: Request, tolerant: bool = False,
    busy: Collection[str] | None = None,
) -> list:  # fmt: skip
    """`tolerant`: a task that cannot be decided is stale, with the error (`plan_build`), not an error.
    `busy`: the tasks another agentmake is running now (`running_elsewhere`, read if not given)."""
    from agentmake.plan import Hasher, Rebuilder
    from agentmake.plan.dryrun import plan_build

    rebuilder = Rebuilder(
        selected, store, Hasher(project.root, store), force=req.force, checker=_checker(project),
        busy=running_elsewhere(store) if busy is None else busy,
    )  # fmt: skip
    return plan_build(selected, rebuilder, tolerant)


def running_elsewhere(store: Store) -> frozenset[str]:
    """The tasks whose processes another agentmake, alive now, is running (what `status` shows running), for
    a command that only reads: their outputs are work in progress (`Rebuilder.busy`). None under the lock."""
    return frozenset(running_owners(store))


def running_owners(store: Store) -> dict[str, int]:
    """`running_elsewhere`, each task with the pid of the agentmake running it."""
    if store.locked:
        return {}
    running = store.running()
    from agentmake.store.lock import held_elsewhere

    if not running or not held_elsewhere(store.dir / "lock"):  # (else a stopped agentmake left them)
        return {}
    return {task_id: owner or pid for task_id, pid, _pgid, owner in running}


def _checker(project: Project) -> Callable[[Task], str | None]:
    """How the rebuilder judges a changed check on outputs in place (`Rebuilder.checker`): a check command
    is left to the build's attempt of the task (`Decision.recheck`), run in a slot like any other work."""
    from agentmake.runners.check import check_in_place

    return check_in_place(project.agentfile)


def _build_selected(
    project: Project,
    selected: Graph,
    req: Request,
    stamp: tuple[str, list[str]] | None = None,
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
        decisions = _plan(project, selected, req, tolerant=True, elsewhere=elsewhere)
        failing = 0
        if req.dry_run:
            from agentmake.preview import dry_run_lines

            lines, failing = dry_run_lines(
                project.agentfile, project.root, selected, decisions,
                budget=req.budget, keep_going=req.keep_going, verbose=req.verbose, elsewhere=elsewhere,
            )  # fmt: skip
            for line in lines:
                _out(term_safe(line))
        stale = any(d.stale for d in decisions)
        return EXIT_FAILED if (req.question and stale) or failing else EXIT_OK
    from agentmake.store import Store

    store = Store.open(project.root, agentfile=project.name)
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
    try:
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
    from agentmake.plan.leftovers import dropped_tasks, leftovers

    dropped = dropped_tasks(project.graph, store)
    if not dropped and not store.strays():  # (most builds: no query of the records, nothing hashed)
        return False
    found = leftovers(project.graph, selected, store, project.root, dropped)
    new = [m for m in (leftover.message() for leftover in found) if said is None or m not in said]
    for message in new:
        sys.stderr.write(f"agentmake: warning: {term_safe(message)}\n")
    if new:
        sys.stderr.write("agentmake: `agentmake clean --leftovers` removes every leftover\n")
    if said is not None:
        said.update(new)
    return bool(found)


def _stamp_request(req: Request, command: str) -> tuple[str, float, Path] | None:
    """(signature, start, project root) of a request the build stamp may answer, None if it may not (-B)."""
    if req.force:
        return None
    from agentmake.plan.stamp import signature

    # the Agentfile's path as loading takes it (`syntax.load`: absolute, links not followed): its directory is
    # the project root, so an Agentfile that links into another project's directory stays this project's
    path = agentfile_path(req).absolute()
    # (and the models and endpoints runner CLIs take from the environment, `LLM_MODEL`, OPENAI_BASE_URL:
    # a key holds them; only the signature's digest is kept)
    from agentmake.runners.modelenv import ENDPOINT_ENV, MODEL_ENV

    chosen = set(MODEL_ENV.values()) | set(ENDPOINT_ENV)
    models = sorted((name, os.environ.get(name, "")) for name in chosen)
    sig = signature([command, str(path), list(req.targets), sorted(req.overrides.items()), models])
    return sig, time.monotonic(), path.parent


def _stamp_verdict(req: Request, stamp: tuple[str, float, Path] | None) -> tuple[int | None, Verdict | None]:
    """(exit code, None) when the build stamp proves the request a no-op (and says so as the build would);
    else (None, what the stamp says, if anything)."""
    if stamp is None:
        return None, None
    from agentmake.plan.stamp import check

    verdict = check(stamp[2], stamp[0])
    if req.verbose:
        sys.stderr.write(f"agentmake: build stamp: {_stamp_says(verdict)}\n")
    if verdict is None or not verdict.up_to_date:
        return None, verdict
    if req.dry_run:
        from agentmake.preview import dry_run_line

        _out(dry_run_line(0, verdict.tasks))
    elif not req.question:  # (-s too: silent keeps the summary line, as a build's `SilentDisplay` does)
        from agentmake.scheduler.summary import summary_line

        _out(summary_line({"up-to-date": verdict.tasks}, time.monotonic() - stamp[1]))
        for line in verdict.lines:
            _out(term_safe(line))
    return EXIT_OK, None


def _stamp_says(verdict: Verdict | None) -> str:
    if verdict is None:
        return "none for this request (a build of it that leaves everything up to date writes one)"
    if verdict.up_to_date:
        return "nothing changed since the last build: up to date without loading the Agentfile"
    if not verdict.graph_same:
        return "the Agentfile, a listed directory or the state changed: deciding every task"
    return f"{len(verdict.changed)} input or output file(s) changed: deciding only their tasks and dependents"


def build(req: Request) -> int:
    stamp = _stamp_request(req, "build")
    code, verdict = _stamp_verdict(req, stamp)
    if code is not None:
        return code
    mark("stamp")
    project = load_project(req)
    selected = project.graph.select(req.targets)
    # the Agentfile and the graph live as long as this process: the cyclic GC need not rescan them on every
    # collection during the build (on a 10,000-task no-op that rescanning is a tenth of the run)
    gc.freeze()
    request: tuple[str, list[str]] | None = (stamp[0], []) if stamp is not None else None
    if warn_idle_targets(project, req.targets):
        request = None  # a build that warns must warn again: no stamp may answer the next one unseen
    return _build_selected(project, selected, req, request, verdict)


def warn_idle_targets(project: Project, targets: Sequence[str]) -> bool:
    """Say of each agent named on the command line that makes no task (its wildcard inputs match no file)
    why nothing is done for it, as make says "Nothing to be done for"; True if any was named."""
    from agentmake.graph import makes_no_task

    agents = project.agentfile.agents
    idle = [agents[t] for t in dict.fromkeys(targets) if t in agents and not project.graph.tasks_named(t)]
    for agent in idle:
        sys.stderr.write(f"agentmake: warning: {term_safe(makes_no_task(agent))}\n")
    return bool(idle)


def report(req: Request) -> int:
    """Build the named report targets (req.targets) or every report, then print each report's path."""
    stamp = _stamp_request(req, "report")
    code, verdict = _stamp_verdict(req, stamp)
    if code is not None:
        return code
    project = load_project(req)
    reports = project.agentfile.reports
    if not reports:
        raise UsageError("this Agentfile declares no report (add a `report NAME:` block)")
    names = [_report_of(project, name) for name in req.targets] or list(reports)
    for name in names:
        if name not in reports:
            from agentmake.errors import did_you_mean

            if name in project.agentfile.agents:
                raise UsageError(f"no report named '{name}': it is an agent (`agentmake {name}` builds it)")
            hint = did_you_mean(name, reports)
            listed = f"; {hint}" if hint else f" (reports: {', '.join(reports)})"
            raise UsageError(f"no report named '{name}'{listed}")
    lines = [f"report {name}: {project.root / reports[name].output}" for name in names]
    request = (stamp[0], lines) if stamp is not None else None
    built: list[BuildResult] = []
    code = _build_selected(project, project.graph.select(names), req, request, verdict, built)
    if code == EXIT_OK and not (req.dry_run or req.question):
        for line in lines:
            _out(term_safe(line))
    elif built:  # a failed build: the reports it left in place, a partial one (-k) said to be partial
        for name, line in zip(names, lines, strict=True):
            outcome = built[0].outcomes.get(name)
            if outcome is not None and outcome.state in ("done", "cached", "up-to-date"):
                _out(term_safe(line + (f" (partial: {outcome.partial})" if outcome.partial else "")))
    return code


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


# --- looking ----------------------------------------------------------------------------------------------


def explain(req: Request) -> int:
    from agentmake.plan import Hasher, Rebuilder
    from agentmake.plan.explain import explain_lines

    if not req.targets:
        raise UsageError("explain needs a target: agentmake explain TARGET")
    project = load_project(req)
    from agentmake.store import Store

    store = Store.open(project.root, lock=False, agentfile=project.name)
    said: set[str] = set()  # (a task two targets share is explained once)
    try:
        busy = running_elsewhere(store)
        for target in req.targets:
            selected = project.graph.select([target])
            hasher = Hasher(project.root, store)
            rebuilder = Rebuilder(
                selected, store, hasher, force=req.force, checker=_checker(project), busy=busy
            )
            for line in explain_lines(selected, rebuilder, target):
                if line not in said:
                    said.add(line)
                    _out(term_safe(line))
    finally:
        store.close()
    return EXIT_OK


def graph(req: Request, fmt: str) -> int:
    from agentmake.graph.export import render_graph

    project = load_project(req)
    selected = project.graph.select(req.targets) if req.targets else project.graph
    _out(render_graph(selected, fmt))
    return EXIT_OK


def status(req: Request, as_json: bool) -> int:
    from agentmake.display.status import render_status_json, render_status_text, status_rows

    project = load_project(req)
    selected = project.graph.select(req.targets) if req.targets else project.graph
    from agentmake.store import Store
    from agentmake.store.lock import held_elsewhere

    store = Store.open(project.root, lock=False, agentfile=project.name)  # (once: a damaged one is told once)
    try:
        decisions = _plan_in(store, project, selected, req, tolerant=True)  # (every task, as it stands)
        running = store.running()
        live = held_elsewhere(store.dir / "lock")  # (another agentmake, alive now)
        alive = not running or live  # else a stopped agentmake left them
        retrying = store.retries_pending() if live else {}  # (a build that is gone retries nothing)
        rows = status_rows(
            selected, decisions, store, running, owner_alive=alive, brief=not as_json, retrying=retrying
        )
    finally:
        store.close()
    _out(render_status_json(rows) if as_json else render_status_text(rows))
    return EXIT_OK


def clean(req: Request, cache: bool, leftovers: bool = False) -> int:
    from agentmake.cleaning import clean as run_clean

    return run_clean(req, cache, leftovers)


def watch(req: Request) -> int:
    from agentmake.watch import watch as run_watch

    return run_watch(req)


__all__ = [
    "Project",
    "Request",
    "build",
    "clean",
    "compile_templates",
    "explain",
    "graph",
    "load_project",
    "report",
    "run_graph",
    "status",
    "warn_leftovers",
    "watch",
]
