"""`agentmake watch`: build, then rebuild exactly what each edit made stale, until Ctrl-C, SIGTERM or SIGHUP.

A watcher thread (watchfiles) queues changed paths once the project has been quiet for `QUIET_MS` (a burst
of saves is one change); the main thread owns the builds. An edit of an input that lands while a build runs
cancels, at once, the running tasks that read it if its content is no longer what they were started with
(their process groups are ended, nothing is written), and the next build runs them again. A save of the
files that plan the build (the Agentfile, its includes, prompt files, report templates) holds new starts
until they are quiet; then, if they plan other work, the build starts nothing more and cancels the running
tasks whose key the new plan no longer has (`BuildControl.replan`), and the next build runs the new plan;
if they plan the same work (a comment added), it goes on; if they do not load, it starts nothing more.
Files read through a link out of the project are watched too, in the directories that hold them
(`watch.links`, `watch.outside`), and named as the paths that read them. agentmake's own writes (outputs this
session wrote, `.agentmake/`, staged temporary files) are not changes, so watch cannot loop; an output
edited by hand is a change, and so is undoing that edit.

The watcher can fail (watchfiles raises on a path whose name is not valid UTF-8, and drops the changes it
had gathered with it): it says so once on stderr, starts again, and has the whole project looked at again
(`RESCAN`: a build of whatever is stale). If it fails again before it has watched at all (such a directory
is in the project: it cannot start), watch says why and exits with EXIT_FAILED; it never keeps running
without watching. The watch outside the project cannot stop it: if it cannot start, watch says so once
and goes on watching the project.
"""

from __future__ import annotations

import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import watchfiles

from agentmake.errors import AgentmakeError
from agentmake.graph import Graph, build_graph
from agentmake.graph.compare import same_plan
from agentmake.model import AgentSpec
from agentmake.safetext import term_lines, term_safe
from agentmake.scheduler import BuildControl
from agentmake.scheduler.fastlane import Predecided, predecide
from agentmake.store import Store, TaskRecord
from agentmake.syntax import load_agentfile
from agentmake.syntax.transform import build_settings
from agentmake.watch.links import Links, resolve_links
from agentmake.watch.outside import OutsideWatch
from agentmake.workflow import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    Project,
    Request,
    agentfile_path,
    compile_templates,
    run_graph,
    warn_leftovers,
)

STEP_MS = 50  # watchfiles yields what it saw once no new path has come for this long
QUIET_MS = 100  # changes are queued for a build once nothing has changed for this long
MAX_WAIT = 2.0  # seconds: changes wait no longer than this for a quiet moment (a file written nonstop)
RESTART_DELAY = 0.5  # seconds before a failed watcher starts again (doubled while it keeps failing, to 30 s)
RESCAN = "\0rescan"  # in a change set: changes were lost, look at the whole project again (not a path: NUL)
IGNORED_DIRS = {".agentmake", ".git", "__pycache__", ".venv", ".hypothesis", ".pytest_cache", ".mypy_cache"}


def _is_own_file(rel: str) -> bool:
    parts = rel.split("/")
    if any(p in IGNORED_DIRS for p in parts[:-1]) or parts[0] in IGNORED_DIRS:
        return True
    name = parts[-1]
    return ".agentmake-tmp" in name or name.endswith(("~", ".swp", ".swx"))


class _Watcher:
    """Runs watchfiles in a thread; `changes` receives sets of project-relative paths."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.changes: queue.Queue[set[str]] = queue.Queue()
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.control: BuildControl | None = None
        self.readers: dict[
            str, list[str]
        ] = {}  # input, prompt or template -> task ids reading it (`_readers`)
        # where the paths read lead through links, and the directories outside the project to watch for them
        # (`watch.links`); when those change, watchfiles starts again on the new set
        self.links = Links(str(root))
        self.failed: str | None = None  # why the watcher stopped for good (`watch` then exits)
        # the Agentfile, its includes, prompt files and templates; called (in this thread) when some of them
        # were saved while a build runs (`WatchSession.replan`)
        self.plan_files: frozenset[str] = frozenset()
        self.on_plan_edit: Callable[[set[str], BuildControl], None] | None = None
        self._watching = False  # this run of watchfiles has yielded: it is watching
        self._rescan = False  # queue a RESCAN once watching again (after a failure)
        self._outside_said: set[str] = set()  # directories outside it could not watch (said once each)
        self.thread = threading.Thread(target=self._run, name="agentmake-watch", daemon=True)

    def _relative(self, raw: Iterable[tuple[watchfiles.Change, str]]) -> set[str]:
        """The project-relative paths of what changed, with the paths that read a changed file through a
        link, in or out of the project (`watch.links`); agentmake's own files left out."""
        links = self.links
        return {rel for _change, path in raw for rel in links.names(path) if not _is_own_file(rel)}

    def _run(self) -> None:
        """Watch until `stop`; a failure of watchfiles is survived (see the module docstring)."""
        self.ready.set()
        delay, said = RESTART_DELAY, False
        while not self.stop.is_set():
            started = time.monotonic()
            self._watching = False
            try:
                self._watch()
                return  # (`stop` was set)
            except Exception as exc:  # watchfiles' own errors have no common base class
                if self.stop.is_set():
                    return
                error = f"{type(exc).__name__}: {exc}"
                if said and not self._watching:  # failed again before it watched at all: it cannot start
                    hint = " (a file or directory name that is not valid UTF-8? rename it)"
                    self.failed = f"cannot watch the project: {error}{hint if 'decode' in error else ''}"
                    self.changes.put(set())  # (wakes the main thread, which exits)
                    return
                if not said:  # (once: a file that keeps failing it must not flood the terminal)
                    said = True
                    sys.stderr.write(
                        f"agentmake: warning: the file watcher failed ({error}); watching again, and looking "
                        "at the whole project for changes it may have missed\n"
                    )
                # what it had gathered is lost, and so is what changes until it watches again: once it does,
                # the whole project is looked at
                self._rescan = True
                delay = RESTART_DELAY if time.monotonic() - started > 60 else delay
                if self.stop.wait(delay):
                    return
                delay = min(delay * 2, 30.0)

    def _watch(self) -> None:
        """One run of watchfiles over the project, and one over the directories outside it that tasks read
        through links (`_outside`), until `stop` or it raises. Once both watch it is watching: `_watching`,
        and a `RESCAN` is queued if `_rescan` asks for one."""
        pending: set[str] = set()
        since = 0.0  # monotonic: when the oldest pending change came
        outside = OutsideWatch(self.links.watch_dirs, STEP_MS, QUIET_MS)
        try:
            for raw in watchfiles.watch(
                self.root,
                watch_filter=None,
                step=STEP_MS,
                debounce=1600,
                stop_event=self.stop,
                raise_interrupt=False,
                rust_timeout=QUIET_MS,
                yield_on_timeout=True,  # (an empty set: nothing changed for QUIET_MS)
            ):
                if not self._watching:
                    outside.ready.wait(5)
                    self._watching = True
                    if self._rescan:
                        self._rescan = False
                        self._replan(set(self.plan_files))  # (a save of them may be among what was lost)
                        self.changes.put({RESCAN})
                outside, seen = self._outside(outside)
                paths = self._relative([*raw, *seen])
                if paths:
                    control = self.control
                    if control is not None and paths & self.plan_files:
                        control.hold()  # until they are quiet and `_replan` says what they plan
                    self._cancel_readers(paths)  # at once: a stale paid call is ended as soon as possible
                    if not pending:
                        since = time.monotonic()
                    pending |= paths
                if pending and (not (raw or seen) or time.monotonic() - since >= MAX_WAIT):
                    self._replan(pending)
                    self.changes.put(pending)
                    pending = set()
        finally:
            outside.close()

    def _outside(self, outside: OutsideWatch) -> tuple[OutsideWatch, list[tuple[watchfiles.Change, str]]]:
        """The watch of the directories outside the project to watch now (`links`), and what it saw. When
        they changed (the Agentfile reloaded, a link re-pointed, a file added), a watch of the new set starts
        and the old one ends once it watches, and what is read in the directories new to it counts as saved
        (the build that follows rebuilds it only if its content is not what it was built from). Its failure
        is the watcher's once it had watched; before, it is said and the project is still watched."""
        if outside.error is not None:
            if outside.watching:
                raise outside.error
            self._cannot_watch(outside)
        dirs = self.links.watch_dirs
        if dirs == outside.wanted:
            return outside, outside.take()
        new = OutsideWatch(dirs, STEP_MS, QUIET_MS)
        new.ready.wait(5)
        seen = outside.take()
        outside.close()
        # what is read in the directories new to it may have been saved before it watched (the build that
        # re-pointed a link read the new target, and the target was saved again before this): looked at
        missed = [(watchfiles.Change.modified, p) for p in self.links.under(dirs - outside.wanted)]
        return new, seen + outside.take() + missed

    def _cannot_watch(self, outside: OutsideWatch) -> None:
        """Say (once for each) that directories outside the project that tasks read through links cannot be
        watched; the project still is."""
        error, outside.error = outside.error, None
        new = [d for d in outside.dirs if d not in self._outside_said]
        if new:
            self._outside_said.update(new)
            said = (
                f"agentmake: warning: cannot watch {', '.join(new)} (read through a link out of the project: "
                f"{type(error).__name__}: {error}); edits there are seen by the next build that runs for "
                "another reason"
            )
            sys.stderr.write(term_safe(said) + "\n")

    def _replan(self, paths: set[str]) -> None:
        """Tell a running build what the files which plan it, saved and now quiet, plan (only once quiet:
        a half-written Agentfile could plan less and cancel a call the whole file still wants)."""
        control, edited, call = self.control, paths & self.plan_files, self.on_plan_edit
        if control is not None and edited and call is not None:
            call(edited, control)

    def _cancel_readers(self, paths: set[str]) -> None:
        """Ask the running build (if any) to cancel the tasks reading `paths`, or files under them (a
        directory moved or removed); the build cancels only those for which a file really changed."""
        control = self.control
        if control is None:
            return
        readers = self.readers
        for path in paths - self.plan_files:  # (a prompt or template: `_replan` compares the tasks' keys)
            found = [(path, task_id) for task_id in readers.get(path, ())]
            if not found and not (self.root / path).is_file():  # a directory, or gone: what was under it
                found = [(p, tid) for p in _read_under(readers, path) for tid in readers[p]]
            for read, task_id in found:
                control.cancel(task_id, f"{read} changed", read)


class WatchSession:
    """The state of one `agentmake watch`: the last good project and the store (locked for the session)."""

    def __init__(self, req: Request) -> None:
        self.req = req
        self.path = agentfile_path(req)
        self.root = self.path.parent.resolve()
        self.project: Project | None = None
        self.store = Store.open(self.root)
        self.watcher = _Watcher(self.root)
        self.watcher.on_plan_edit = self.replan
        self.maybe_new = False  # a file the graph did not read appeared: rebuild only if it adds a task
        # outputs this session's builds wrote (path -> content hash) and not edited by hand since
        self.written: dict[str, str] = {}
        self.warned: set[str] = set()  # leftover warnings given (each once per session)
        # task id -> the key it failed under in this session: an edit of something else does not pay for the
        # same failure again (it is tried again once what it reads changes, or by a plain `agentmake`)
        self.held: dict[str, str] = {}
        self.broken = False  # the last load failed (the last good project, if any, is still in force)
        self.error = ""  # what the last failed load said

    def close(self) -> None:
        self.watcher.stop.set()
        self.store.close()

    def load(self, quiet: bool = False) -> bool:
        """Re-read the Agentfile; on error show it (when `quiet`, only if it is not the error shown last)
        and keep the last good project."""
        try:
            agentfile = load_agentfile(self.path, self.req.overrides)
            project = Project(agentfile, build_graph(agentfile))
        except AgentmakeError as err:
            error, self.broken = "\n".join(term_lines(err.render())), True
            if quiet and error == self.error:
                return False
            self.error = error
            print(error, file=sys.stderr)
            what = "keeping the last good Agentfile" if self.project else "fix it to start building"
            print(f"agentmake: watching for changes ({what})", file=sys.stderr)
            return False
        if self.project is not None:
            self._report_dropped(self.project, project)
        self.project, self.broken = project, False
        self.watcher.readers = _readers(project)
        self.watcher.plan_files = frozenset(self.watched_files())
        self.find_links()
        return True

    def replan(self, edited: set[str], control: BuildControl) -> None:
        """(The watcher's thread, a build running.) Files that plan the build were saved: if the Agentfile now
        loads and plans other work, the build starts nothing more and ends the calls whose key changed
        (`BuildControl.replan`); the next build runs the new plan. The same work (a comment added): the
        build goes on. Files that do not load (an edit under way): it starts nothing more, and the main
        thread says what is wrong once it ends (keeping the last good Agentfile for the next edit)."""
        current = self.project
        try:
            graph = build_graph(load_agentfile(self.path, self.req.overrides))
        except Exception:  # (AgentmakeError above all: the main thread reloads it and says what is wrong)
            control.replan(None, f"{', '.join(sorted(edited))} does not load")  # an edit under way
            return
        if current is not None and same_plan(current.graph, graph):
            control.replan(None)
        else:
            control.replan(graph, f"{', '.join(sorted(edited))} changed")

    def _report_dropped(self, old: Project, new: Project) -> None:
        names = {*new.graph.agentfile.agents, *new.graph.agentfile.reports}
        for task_id, task in old.graph.tasks.items():
            if task_id not in new.graph.tasks:
                # (an output another task now makes, e.g. after a rename of the agent, is not left over)
                kept = [o for o in task.outputs if o not in new.graph.producer and (self.root / o).exists()]
                left = ", ".join(kept)
                note = f"; its output {left} is left in place (`agentmake clean --leftovers`)" if kept else ""
                why = "its input is gone" if task.spec.name in names else "no longer in the Agentfile"
                print(term_safe(f"agentmake: task {task_id} dropped ({why}){note}"), file=sys.stderr)

    def watched_files(self) -> set[str]:
        """The files that plan the build, project-relative: as resolved when they lie in the project, else as
        named when that is in the project (a prompt that is a link out of it: `watch.links` watches it)."""
        assert self.project is not None
        files: set[str] = set()
        named_in = os.path.abspath(self.path.parent)
        for p in self.project.agentfile.files:
            real = p.resolve()
            if real.is_relative_to(self.root):
                files.add(real.relative_to(self.root).as_posix())
                continue
            named = os.path.relpath(os.path.abspath(p), named_in)
            if not named.startswith(".."):
                files.add(Path(named).as_posix())
        return files

    def find_links(self) -> None:
        """Where the files tasks read, and those that plan the build, lead through links, and the directories
        outside the project to watch for them (`watch.links`; the watcher watches the new set)."""
        assert self.project is not None
        index = self.project.graph.index
        read = dict.fromkeys([*self.watcher.readers, *self.watcher.plan_files])
        self.watcher.links = resolve_links(self.root, read, index.listed if index is not None else ())

    def build(self, after: set[str] | None = None) -> int:
        """Build the targets. `after`: the changes that led here; a build that would run, restore and say
        nothing then does not happen (a save without a change of content, an edit undone before the build,
        a comment added to the Agentfile: `_nothing_to_do`), so it prints nothing (a note with -v)."""
        assert self.project is not None
        selected = self.project.graph.select(self.req.targets)
        try:
            compile_templates(self.project, selected)  # (as a build does: before any agent is paid)
        except AgentmakeError as err:
            print("\n".join(term_lines(err.render())), file=sys.stderr)
            return 0  # (saving the template reloads the project and builds again)
        warn_leftovers(self.project, selected, self.store, self.warned)  # (as a build does; once each)
        if after is not None and not self.req.force and self._nothing_to_do(selected):
            if self.req.verbose:
                saved = ", ".join(sorted(p for p in after if p != RESCAN)) or "the project"
                print(
                    term_safe(f"agentmake: nothing to rebuild ({saved}: no change that matters)"),
                    file=sys.stderr,
                )
            return 0
        control = BuildControl()
        self.watcher.control = control
        try:
            result = run_graph(self.project, selected, self.store, self.req, control=control, hold=self.held)
        finally:
            self.watcher.control = None
        outcomes = result.outcomes  # held: what failed now, and what was held before and did not run since
        self.held = {
            t: key
            for t, key in self.held.items()
            if outcomes.get(t) is None or outcomes[t].state == "not-run"
        }
        self.held.update((t, o.key) for t, o in outcomes.items() if o.state == "failed" and o.key)
        # (a link among what tasks read may have been pointed elsewhere, or a file added: that was a change,
        # and this build)
        self.find_links()
        records = self.store.task_records()
        for task_id, outcome in result.outcomes.items():
            rec = records.get(task_id)
            if outcome.state in ("done", "cached") and rec is not None:
                self.written.update((path, h) for path, h in rec.outputs.items() if h is not None)
        # (a task watch itself cancelled is not an interruption: only Ctrl-C ends the session)
        return EXIT_INTERRUPTED if result.interrupted else 0

    def _nothing_to_do(self, selected: Graph) -> bool:
        """Whether a build of `selected` would neither run nor restore anything, nor have anything to tell:
        every task up to date with nothing to say, or held (it failed under the key it has now, see
        `self.held`), or downstream of a held task. Decided as a build decides (`predecide`: stats, and a
        hash of each file whose stat moved); the stat records found are kept, so the build it spares would
        not have read less."""
        from agentmake.plan import Hasher, Rebuilder

        hasher = Hasher(self.root, self.store)
        pre = predecide(selected, Rebuilder(selected, self.store, hasher))
        idle = pre.complete or (bool(self.held) and _held_only(selected, pre, self.held))
        if idle:
            hasher.flush()
        return idle

    def relevant(self, paths: set[str]) -> tuple[bool, bool]:
        """(reload the Agentfile?, rebuild?) for a set of changed paths. An output is agentmake's own write,
        not a change, when its content is what its task recorded and either this session wrote it or every
        task reading it was built from that content (a `touch`); so undoing a hand edit of an output that
        others were rebuilt from is a change. A directory moved or removed changes what was under it."""
        if self.project is None:
            return True, True
        if paths & self.watched_files():
            return True, True
        from agentmake.plan import Hasher

        records = self.store.task_records()
        producer = self.project.graph.producer
        hasher = Hasher(self.root, self.store)
        readers = self.watcher.readers
        interesting, regraph = set(), False
        for path in paths:
            task_id = producer.get(path)
            if task_id is not None:
                rec = records.get(task_id)
                now = hasher.file_hash(path)
                recorded = rec is not None and rec.outputs.get(path) == now and now is not None
                if recorded and (
                    self.written.get(path) == now
                    or all(_read_as(records.get(r), path) == now for r in readers.get(path, ()))
                ):
                    continue  # agentmake's own write
                self.written.pop(path, None)  # no longer what this session wrote
                interesting.add(path)
            elif path in readers:
                interesting.add(path)
                regraph |= not (self.root / path).exists()  # a deleted input may drop a fan-out task
            elif (self.root / path).is_file():
                self.maybe_new = True  # may match a fan-out pattern: re-expand, build only if tasks changed
                regraph = True
            else:
                under = _read_under(readers, path)
                if not under and not (self.root / path).is_dir():
                    continue  # a path the graph never read that is gone again (an editor's probe file)
                # a directory moved in, out or renamed: its files may add or drop fan-out tasks, and those
                # read under it may be gone or other files now (inotify names only the directory)
                for read in under:  # (one missing now and read by no build is no change: a failed task's)
                    now = hasher.file_hash(read)
                    if any(_read_as(records.get(r), read) != now for r in readers[read]):
                        interesting.add(read)
                self.maybe_new = regraph = True
        return regraph, bool(interesting)

    def shape(self) -> dict[str, tuple[str, ...]]:
        """The current graph's tasks and their inputs: what a new file can change."""
        assert self.project is not None
        return {task_id: task.inputs for task_id, task in self.project.graph.tasks.items()}


def _held_only(graph: Graph, pre: Predecided, held: dict[str, str]) -> bool:
    """Whether every task `pre` did not find quiet is held (stale under the key it failed with: the build
    would not start it) or needs one that is (the build would not start it either)."""
    quiet, blocked = set(pre.quiet), set()
    for task_id in graph.tasks:  # (in topological order)
        if task_id in quiet:
            continue
        if any(d in blocked for d in graph.deps.get(task_id, ())):
            blocked.add(task_id)
            continue
        decision = pre.decisions.get(task_id)
        if decision is None or decision.action != "run" or held.get(task_id) != decision.key:
            return False
        blocked.add(task_id)
    return True


def _readers(project: Project) -> dict[str, list[str]]:
    """Each file a task reads (its inputs, its prompt file, a report's template) -> the ids of those tasks."""
    readers: dict[str, list[str]] = {}
    for task in project.graph.tasks.values():
        spec = task.spec
        prompt = spec.prompt if isinstance(spec, AgentSpec) else spec.merge
        extra = [p for p in (prompt.path if prompt else None, getattr(spec, "template", None)) if p]
        for path in dict.fromkeys([*task.inputs, *extra]):
            readers.setdefault(path, []).append(task.id)
    return readers


def _read_under(readers: dict[str, list[str]], directory: str) -> list[str]:
    """The paths tasks read (keys of `readers`) that lie under `directory`."""
    prefix = directory + "/"
    return [p for p in readers if p.startswith(prefix)]


def _read_as(rec: TaskRecord | None, path: str) -> str | None:
    """The content hash of `path` that the task of record `rec` was last built from (None: unknown)."""
    if rec is None:
        return None
    inputs = rec.parts.get("inputs")
    return inputs.get(path) if isinstance(inputs, dict) else None


def _drain(changes: queue.Queue[set[str]], first: set[str]) -> set[str]:
    """`first` plus whatever else is already queued (watchfiles has debounced each batch already)."""
    paths = set(first)
    while True:
        try:
            paths |= changes.get_nowait()
        except queue.Empty:
            return paths


def watch(req: Request) -> int:
    # a setting given a bad value on the command line (`jobs=abc`): no edit of a file can fix it, so it is a
    # bad request (exit 2), not an Agentfile to wait for
    build_settings({}, req.overrides)
    stopping = _stop_on_signals()
    try:
        session = WatchSession(req)
    except BaseException:
        _restore(stopping)
        raise
    try:
        session.watcher.thread.start()
        session.watcher.ready.wait(5)
        loaded = session.load()  # (when it fails, it says so and that it is watching for the fix)
        if loaded and session.build() == EXIT_INTERRUPTED:
            return EXIT_INTERRUPTED
        if loaded:
            print("agentmake: watching for changes (Ctrl-C to stop)", file=sys.stderr)
        while True:
            try:
                first = session.watcher.changes.get(timeout=0.5)
            except queue.Empty:
                continue
            if session.watcher.failed is not None:
                print(f"agentmake: watch: {session.watcher.failed}", file=sys.stderr)
                return EXIT_FAILED
            paths = _drain(session.watcher.changes, first)
            session.maybe_new = False
            # (changes the watcher lost: reload and build, which runs only what is stale)
            reload, rebuild = (True, True) if RESCAN in paths else session.relevant(paths)
            before = session.shape() if session.project is not None else None
            was_broken = session.broken
            if reload and not session.load():
                continue
            if was_broken and (reload or session.load(quiet=True)):
                # it loads again: what was missing came (a prompt or include it names, created after the
                # Agentfile), or what was in the way went; only the last good project was built since
                rebuild = True
            if session.maybe_new and session.shape() != before:
                rebuild = True  # e.g. a new document matched a fan-out; a log file written here does not
            # (a save without a change of content, or an edit undone before this, builds nothing: `build`)
            after = None if was_broken else paths  # (loading again after an error: say so with a build)
            if rebuild and session.build(after) == EXIT_INTERRUPTED:
                return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    finally:
        session.close()
        _restore(stopping)


def _stop_on_signals() -> dict[int, Any]:
    """SIGTERM and SIGHUP stop watch as Ctrl-C does, at any moment of the session: between builds (idle, or
    loading the Agentfile) they raise KeyboardInterrupt, so the store is closed and watch exits with
    EXIT_INTERRUPTED; during a build the build takes them over (`Stopping._catch_signals`: running agents
    ended and recorded as interrupted). Left at their default action they killed an idle watch at once
    (exit 143 or 129, its state never closed). Returns the handlers to put back."""
    previous: dict[int, Any] = {}
    if threading.current_thread() is not threading.main_thread():
        return previous
    for name in ("SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is not None and signal.getsignal(signum) is signal.SIG_DFL:
            previous[signum] = signal.signal(signum, signal.default_int_handler)
    return previous


def _restore(previous: dict[int, Any]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)
