"""The watcher thread: watchfiles over the project (and `outside` over the directories it reads through
links) until stopped, queueing each quiet batch of changes for the main thread (`events`); a change that
lands while a build runs cancels the running tasks that read it, or holds the build while the files that
plan it are saved (`WatchSession.replan`); a failure of watchfiles is survived (see `agentmake.watch`)."""

from __future__ import annotations

import queue
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import watchfiles

from agentmake.graph.globs import Pattern
from agentmake.safetext import term_safe
from agentmake.scheduler import BuildControl
from agentmake.watch.events import RESCAN, Burst, changed_paths
from agentmake.watch.links import Links
from agentmake.watch.outside import OutsideWatch
from agentmake.watch.relevance import read_under

STEP_MS = 50  # watchfiles yields what it saw once no new path has come for this long
QUIET_MS = 100  # changes are queued for a build once nothing has changed for this long
RESTART_DELAY = 0.5  # seconds before a failed watcher starts again (doubled while it keeps failing, to 30 s)


class Watcher:
    """Runs watchfiles in a thread; `changes` receives sets of project-relative paths."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.changes: queue.Queue[set[str]] = queue.Queue()
        self.stop = threading.Event()
        # watching (watchfiles has its watches in place: a save from now on is seen), or failed for good
        # (`failed`); `watch` builds and says it is watching only then
        self.ready = threading.Event()
        self.control: BuildControl | None = None
        # input, prompt or template -> the ids of the tasks reading it (`relevance.readers`)
        self.readers: dict[str, list[str]] = {}
        self.producer: dict[str, str] = {}  # output -> the id of the task making it (the graph's)
        # the graph's input patterns that match files (`relevance.fan_out_patterns`): a file added that one
        # matches may add a task to a running build's plan
        self.patterns: tuple[Pattern, ...] = ()
        # where the paths read lead through links, and the directories outside the project to watch for them
        # (`watch.links`); when those change, watchfiles starts again on the new set
        self.links = Links(str(root))
        self.failed: str | None = None  # why the watcher stopped for good (`watch` then exits)
        # the Agentfile, its includes, prompt files and templates; called (in this thread) when some of them
        # were saved while a build runs (`WatchSession.replan`)
        self.plan_files: frozenset[str] = frozenset()
        self.on_plan_edit: Callable[[set[str], BuildControl], None] | None = None
        # called (in this thread) with the paths no task reads that were saved, quiet now, while a build runs:
        # a new file may add a task to a fan-out and an input to what reads its outputs (`WatchSession.added`)
        self.on_added: Callable[[set[str], BuildControl], None] | None = None
        self.changes_seen = 0  # batches of changed paths seen so far (one moved: something changed since)
        self._watching = False  # this run of watchfiles has yielded: it is watching
        self._rescan = False  # queue a RESCAN once watching again (after a failure)
        self._outside_said: set[str] = set()  # directories outside it could not watch (said once each)
        self.thread = threading.Thread(target=self._run, name="agentmake-watch", daemon=True)

    def _run(self) -> None:
        """Watch until `stop`; a failure of watchfiles is survived (see `agentmake.watch`)."""
        try:
            self._run_until_stopped()
        finally:
            self.ready.set()  # (stopped, or failed for good: `watch` waits no more)

    def _run_until_stopped(self) -> None:
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
                control = self.control
                if control is not None:
                    # what it lost may hold a save of the files that plan the build: a running build starts
                    # nothing until the rescan says what they plan (`_replan`), as for a save it saw; else it
                    # went on starting tasks on the old plan for the whole restart delay
                    control.hold()
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
        burst = Burst()
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
                    self.ready.set()  # (its watches were in place before it yielded: nothing is missed now)
                    if self._rescan:
                        self._rescan = False
                        self._replan(set(self.plan_files))  # (a save of them may be among what was lost)
                        self.changes.put({RESCAN})
                outside, seen = self._outside(outside)
                paths = changed_paths(self.links, [*raw, *seen])
                if paths:
                    self.changes_seen += 1
                    control = self.control
                    if control is not None and (paths & self.plan_files or self._adds_to_plan(paths)):
                        # until they are quiet and `_replan` says what they plan: a file added to a fan-out
                        # holds it as a save of the Agentfile does (a build let go on for the quiet time, or
                        # the 2 s a stream of saves may take, started what reads the fan-out on the old plan)
                        control.hold()
                    self._cancel_readers(paths)  # at once: a stale paid call is ended as soon as possible
                    burst.add(paths)
                due = burst.take(quiet=not (raw or seen))
                if due:
                    self._replan(due)
                    self.changes.put(due)
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
        a half-written Agentfile could plan less and cancel a call the whole file still wants); or else what
        the files no task reads that were saved plan (a file added to a fan-out)."""
        control, edited, call = self.control, paths & self.plan_files, self.on_plan_edit
        if control is not None and edited and call is not None:
            call(edited, control)
            return  # (what it plans now is with the files added)
        if control is None:
            return
        unread = {p for p in paths if p not in self.readers and (self.root / p).is_file()}
        if unread and self.on_added is not None:
            self.on_added(unread, control)  # (which answers a hold, `_adds_to_plan`'s)
        elif self._adds_to_plan(paths, present=False):
            control.replan(None)  # (the file added is gone again, an editor's probe: the build goes on)

    def _adds_to_plan(self, paths: set[str], present: bool = True) -> bool:
        """Whether some of `paths` is a file (when `present`) that no task reads nor makes and that an input
        pattern of the graph matches: it may add a task to the plan, or an input to one."""
        readers, producer, patterns = self.readers, self.producer, self.patterns
        return any(
            p not in readers
            and p not in producer
            and any(pattern.regex.fullmatch(p) for pattern in patterns)
            and (not present or (self.root / p).is_file())
            for p in paths
        )

    def _cancel_readers(self, paths: set[str]) -> None:
        """Ask the running build (if any) to cancel the tasks reading `paths`, or files under them (a
        directory moved or removed); the build cancels only those for which a file really changed. An
        output gone is told too (`BuildControl.gone`)."""
        control = self.control
        if control is None:
            return
        readers = self.readers
        for path in paths - self.plan_files:  # (a prompt or template: `_replan` compares the tasks' keys)
            found = [(path, task_id) for task_id in readers.get(path, ())]
            if not found and not (self.root / path).is_file():  # a directory, or gone: what was under it
                found = [(p, tid) for p in read_under(readers, path) for tid in readers[p]]
            for read, task_id in found:
                control.cancel(task_id, f"{read} changed", read)
            if not (self.root / path).is_file():  # an output deleted, or the directory holding some
                producer = self.producer
                gone = [path] if path in producer else [p for p in producer if p.startswith(path + "/")]
                for out in gone:
                    control.gone(producer[out], out)
