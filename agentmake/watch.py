"""`agentmake watch`: build, then rebuild exactly what each edit made stale, until Ctrl-C.

A watcher thread (watchfiles, debounced) queues changed paths; the main thread owns the builds. An edit
that lands while a build runs cancels the running tasks that read the edited file (their process groups
are ended, nothing is written) and the next build runs them again. agentmake's own writes (outputs it
recorded, `.agentmake/`, staged temporary files) are not changes, so watch cannot loop; an output edited
by hand is a change.
"""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Iterable
from pathlib import Path

import watchfiles

from agentmake.errors import AgentmakeError
from agentmake.graph import build_graph
from agentmake.scheduler import BuildControl
from agentmake.store import Store
from agentmake.syntax import load_agentfile
from agentmake.workflow import EXIT_INTERRUPTED, Project, Request, agentfile_path, run_graph

STEP_MS = 120  # a save that writes several times within this window is one change
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
        self.readers: dict[str, list[str]] = {}  # input path -> task ids reading it (current graph)
        self.thread = threading.Thread(target=self._run, name="agentmake-watch", daemon=True)

    def _relative(self, raw: Iterable[tuple[watchfiles.Change, str]]) -> set[str]:
        out: set[str] = set()
        for _change, path in raw:
            try:
                rel = Path(path).resolve().relative_to(self.root).as_posix()
            except ValueError:
                continue
            if not _is_own_file(rel):
                out.add(rel)
        return out

    def _run(self) -> None:
        self.ready.set()
        for raw in watchfiles.watch(
            self.root,
            watch_filter=None,
            step=STEP_MS,
            debounce=1600,
            stop_event=self.stop,
            raise_interrupt=False,
            rust_timeout=500,
            yield_on_timeout=False,
        ):
            paths = self._relative(raw)
            if not paths:
                continue
            control = self.control
            if control is not None:
                for path in paths:
                    for task_id in self.readers.get(path, ()):
                        control.cancel(task_id, f"input {path} changed")
            self.changes.put(paths)


class WatchSession:
    """The state of one `agentmake watch`: the last good project and the store (locked for the session)."""

    def __init__(self, req: Request) -> None:
        self.req = req
        self.path = agentfile_path(req)
        self.root = self.path.parent.resolve()
        self.project: Project | None = None
        self.store = Store.open(self.root)
        self.watcher = _Watcher(self.root)
        self.maybe_new = False  # a file the graph did not read appeared: rebuild only if it adds a task

    def close(self) -> None:
        self.watcher.stop.set()
        self.store.close()

    def load(self) -> bool:
        """Re-read the Agentfile; on error show it and keep the last good project."""
        try:
            agentfile = load_agentfile(self.path, self.req.overrides)
            project = Project(agentfile, build_graph(agentfile))
        except AgentmakeError as err:
            print(err.render(), file=sys.stderr)
            what = "keeping the last good Agentfile" if self.project else "fix it to start building"
            print(f"agentmake: watching for changes ({what})", file=sys.stderr)
            return False
        if self.project is not None:
            self._report_dropped(self.project, project)
        self.project = project
        readers: dict[str, list[str]] = {}
        for task in project.graph.tasks.values():
            for path in task.inputs:
                readers.setdefault(path, []).append(task.id)
        self.watcher.readers = readers
        return True

    def _report_dropped(self, old: Project, new: Project) -> None:
        for task_id, task in old.graph.tasks.items():
            if task_id not in new.graph.tasks:
                kept = [o for o in task.outputs if (self.root / o).exists()]
                left = ", ".join(kept)
                note = f"; its output {left} is left in place (`agentmake clean --leftovers`)" if kept else ""
                print(f"agentmake: task {task_id} dropped (its input is gone){note}", file=sys.stderr)

    def watched_files(self) -> set[str]:
        assert self.project is not None
        files = {
            p.resolve().relative_to(self.root).as_posix()
            for p in self.project.agentfile.files
            if p.resolve().is_relative_to(self.root)
        }
        return files

    def build(self) -> int:
        assert self.project is not None
        selected = self.project.graph.select(self.req.targets)
        control = BuildControl()
        self.watcher.control = control
        try:
            result = run_graph(self.project, selected, self.store, self.req, control=control)
        finally:
            self.watcher.control = None
        return EXIT_INTERRUPTED if result.interrupted and not control.cancelled else 0

    def relevant(self, paths: set[str]) -> tuple[bool, bool]:
        """(reload the Agentfile?, rebuild?) for a set of changed paths. Outputs whose content is what
        agentmake recorded are its own writes, not changes."""
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
                if rec is not None and rec.outputs.get(path) == hasher.file_hash(path):
                    continue  # agentmake's own write
                interesting.add(path)
            elif path in readers:
                interesting.add(path)
                regraph |= not (self.root / path).exists()  # a deleted input may drop a fan-out task
            elif (self.root / path).is_file():
                self.maybe_new = True  # may match a fan-out pattern: re-expand, build only if tasks changed
                regraph = True
            # else: a directory, or a path the graph never read that is gone again (an editor's probe file)
        return regraph, bool(interesting)

    def shape(self) -> dict[str, tuple[str, ...]]:
        """The current graph's tasks and their inputs: what a new file can change."""
        assert self.project is not None
        return {task_id: task.inputs for task_id, task in self.project.graph.tasks.items()}


def _drain(changes: queue.Queue[set[str]], first: set[str]) -> set[str]:
    """`first` plus whatever else is already queued (watchfiles has debounced each batch already)."""
    paths = set(first)
    while True:
        try:
            paths |= changes.get_nowait()
        except queue.Empty:
            return paths


def watch(req: Request) -> int:
    session = WatchSession(req)
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
            paths = _drain(session.watcher.changes, first)
            session.maybe_new = False
            reload, rebuild = session.relevant(paths)
            before = session.shape() if session.project is not None else None
            if reload and not session.load():
                continue
            if session.maybe_new and session.shape() != before:
                rebuild = True  # e.g. a new document matched a fan-out; a log file written here does not
            if rebuild and session.build() == EXIT_INTERRUPTED:
                return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    finally:
        session.close()
