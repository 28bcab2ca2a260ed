"""One `agentmake watch` session (`WatchSession`): its state (the last good project, the store, what its
builds wrote, the tasks it holds after a failure) and what it does with it: load the Agentfile, tell a
running build what an edit of it plans (`replan`, from the watcher's thread) and build."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

from agentmake.errors import AgentmakeError
from agentmake.firstfew import first_few
from agentmake.graph import Graph, build_graph
from agentmake.graph.compare import same_plan
from agentmake.invocation import command_line
from agentmake.pathwords import quote_path, quote_paths
from agentmake.safetext import term_lines, term_safe
from agentmake.scheduler import BuildControl, BuildResult
from agentmake.store import Store, watchstate
from agentmake.syntax import load_agentfile
from agentmake.watch.events import RESCAN
from agentmake.watch.idle import Notice, check_idle
from agentmake.watch.links import resolve_links
from agentmake.watch.relevance import Changes, fan_out_patterns, readers, sort_changes
from agentmake.watch.watcher import Watcher
from agentmake.workflow import EXIT_INTERRUPTED, Project, Request, agentfile_path
from agentmake.workflow.building import check_shared, compile_templates, run_graph, warn_leftovers
from agentmake.workflow.waiting import configuration_of, open_waiting


def _open_store(root: Path, agentfile: str, config: str) -> Store:
    """The project's store, locked for the session. Another agentmake holding the project (a build in
    another terminal): the watch says so and waits for it to end, as long as it takes (Ctrl-C stops it),
    then its first build builds what is still stale."""
    store, waited = open_waiting(root, agentfile, prefix="agentmake: watch", config=config, role="watch")
    if waited:
        print(
            "agentmake: watch: the project is free: building what is still stale", file=sys.stderr, flush=True
        )
    return store


class WatchSession:
    """The state of one `agentmake watch`: the last good project and the store (locked for the session)."""

    def __init__(self, req: Request) -> None:
        self.req = req
        self.path = agentfile_path(req)
        self.root = self.path.parent.resolve()
        self.project: Project | None = None
        self.store = _open_store(self.root, self.path.name, configuration_of(req))
        self.watcher = Watcher(self.root)
        self.watcher.on_plan_edit = self.replan
        self.watcher.on_added = self.added
        # outputs this session's builds wrote (path -> content hash) and not edited by hand since
        self.written: dict[str, str] = {}
        self.warned: set[str] = set()  # leftover warnings given (each once per session)
        self.load_warned: set[str] = set()  # warnings of the Agentfile's loads given (each once per session)
        # task id -> the key it failed under in this session: an edit of something else does not pay for the
        # same failure again (it is tried again once what it reads changes, or by a plain `agentmake`)
        self.held: dict[str, str] = {}
        self.held_why: dict[str, str] = {}  # task id -> why it failed (told to a --wait build: `watchstate`)
        self.left: dict[str, str] = {}  # task id -> why the last build did not run it (held tasks aside)
        # the outputs edited by hand and kept that a build of this session told of (`idle.Notice`): another
        # save does not make a build only to tell them again
        self.told: frozenset[Notice] = frozenset()
        self.broken = False  # the last load failed (the last good project, if any, is still in force)
        # the files that plan the build as the Agentfile names them, and their directories (`find_plan_files`)
        self.plan_ways: frozenset[str] = frozenset()
        self.error = ""  # what the last failed load said
        self.selected = False  # the targets were found in a graph of this session
        self.unselected = ""  # what the last build said of a target an edit took away ('' once it is back)

    def close(self) -> None:
        self.watcher.stop.set()
        watchstate.withdraw(self.root)
        self.store.close()

    def publish(self, building: bool = False) -> None:
        """Tell a `--wait` build beside the watch what it builds, whether it is building, what it holds and
        what its last build left (`store.watchstate`)."""
        held = {t: (key, self.held_why.get(t, "")) for t, key in self.held.items()}
        config, targets = self.store.config or "", list(self.req.targets)
        state = watchstate.WatchState(
            os.getpid(), targets, config, held, self.left, building, agentfile=self.path.name
        )
        watchstate.publish(self.root, state)

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
        from agentmake.check_warnings import load_warnings

        for warning in load_warnings(agentfile):  # (as every other command's load says them; once each)
            if warning not in self.load_warned:
                self.load_warned.add(warning)
                print(f"agentmake: warning: {term_safe(warning)}", file=sys.stderr)
        if self.project is not None:
            self._report_dropped(self.project, project)
        self.project, self.broken = project, False
        # (opened before the first load: `lang=es` where the Agentfile says `lang = es` is no configuration)
        self.store.config = configuration_of(self.req, agentfile)
        self.watcher.readers = readers(project.graph)
        self.watcher.producer = project.graph.producer
        self.watcher.patterns = fan_out_patterns(agentfile)
        self.find_plan_files()
        self.find_links()
        self.publish()  # (its configuration may have changed)
        return True

    def plans(self, paths: set[str]) -> bool:
        """Whether `paths` (changed, project-relative) hold the Agentfile or a file the last good project's
        Agentfile loaded (an include, a prompt file)."""
        return self.path.name in paths or bool(paths & self.watcher.plan_files)

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
            control.replan(None, f"{quote_paths(sorted(edited))} does not load")  # an edit under way
            return
        if current is not None and same_plan(current.graph, graph):
            control.replan(None)
        else:
            control.replan(graph, f"{quote_paths(sorted(edited))} changed")

    def added(self, paths: set[str], control: BuildControl) -> None:
        """(The watcher's thread, a build running.) Files no task reads were saved: if one is new to the
        plan (not an output) and the Agentfile now plans other work with it (it matches a fan-out: a new task,
        and a new input for what reads the outputs), the build starts nothing more on the old plan and ends
        the calls whose key changed, as for an edit of the Agentfile (`replan`); the next build runs the new
        plan. Otherwise (a log file written, or the Agentfile being edited) the build goes on. Either way it
        answers the hold the watcher put on the build when such a file came (`Watcher._adds_to_plan`)."""
        current = self.project
        new = sorted(p for p in paths if current is not None and p not in current.graph.producer)
        if current is None or not new:
            control.replan(None)
            return
        try:
            graph = build_graph(load_agentfile(self.path, self.req.overrides))
        except Exception:  # (the main thread reloads it once the build ends, and says what is wrong)
            control.replan(None)
            return
        if same_plan(current.graph, graph):
            control.replan(None)
        else:
            control.replan(graph, f"{_named(new, graph)} added")

    def _report_dropped(self, old: Project, new: Project) -> None:
        names = {*new.graph.agentfile.agents, *new.graph.agentfile.reports}
        for task_id, task in old.graph.tasks.items():
            if task_id not in new.graph.tasks:
                # (an output another task now makes, e.g. after a rename of the agent, is not left over)
                kept = [o for o in task.outputs if o not in new.graph.producer and (self.root / o).exists()]
                left = quote_paths(kept)
                note = (
                    f"; its output {left} is left in place (`{command_line('clean', '--leftovers')}`)"
                    if kept
                    else ""
                )
                why = "its input is gone" if task.spec.name in names else "no longer in the Agentfile"
                print(term_safe(f"agentmake: task {task_id} dropped ({why}){note}"), file=sys.stderr)

    def watched_files(self) -> set[str]:
        """The files that plan the build, project-relative: as resolved when they lie in the project, else as
        named (a prompt that is a link out of it, an include beside it: `../common.Agentfile`); `watch.links`
        watches those outside."""
        assert self.project is not None
        files: set[str] = set()
        for p in self.project.agentfile.files:
            real = p.resolve()
            if real.is_relative_to(self.root):
                files.add(real.relative_to(self.root).as_posix())
                continue
            files.add(self._as_named(p))
        return files

    def _as_named(self, path: Path) -> str:
        """A file that plans the build as the Agentfile names it, relative to the Agentfile's directory (no
        link followed)."""
        return Path(os.path.relpath(os.path.abspath(path), os.path.abspath(self.path.parent))).as_posix()

    def find_plan_files(self) -> None:
        """Find the files that plan the build (`watched_files`) once for the loaded Agentfile: the watcher and
        `relevant` use them until it is loaded again (a save of it or of an include reloads it), or until a
        path on the way to one (`plan_ways`: a link re-pointed, a directory moved) changes."""
        assert self.project is not None
        self.watcher.plan_files = frozenset(self.watched_files())
        ways: set[str] = set()
        for p in self.project.agentfile.files:
            rel = self._as_named(p)
            while rel not in ("", ".") and not rel.startswith(".."):  # (outside: named as it is)
                ways.add(rel)
                rel = rel.rpartition("/")[0]
        self.plan_ways = frozenset(ways)

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
        a comment added to the Agentfile: `idle.check_idle`), so it prints nothing (a note with -v); else
        the tasks that check found up to date are not decided again, unless the watcher saw a change since. A
        target an edit took away is said to be unknown (once) and nothing is built until it is back."""
        assert self.project is not None
        try:
            selected = self.project.graph.select(self.req.targets)
        except AgentmakeError as err:
            if not self.selected:  # (the command line names what no graph of the session had: exit 2)
                raise
            # an edit took a target away (its input deleted, its agent renamed): until one brings it back
            said, self.unselected = self.unselected, "\n".join(term_lines(err.render()))
            if self.unselected != said:
                print(self.unselected, file=sys.stderr)
                print("agentmake: watching for changes (until the target is back)", file=sys.stderr)
            return 0
        self.selected, self.unselected = True, ""
        try:
            compile_templates(self.project, selected)  # (as a build does: before any agent is paid)
            # (as a build does: it may refuse to overwrite another Agentfile's result; warned once each)
            check_shared(self.project, selected, self.store, self.req, self.warned)
        except AgentmakeError as err:
            print("\n".join(term_lines(err.render())), file=sys.stderr)
            return 0  # (saving the template, or the Agentfile, reloads the project and builds again)
        self.store.claim(self.project.graph.tasks)  # (as a build does: `Store.owns`)
        warn_leftovers(self.project, selected, self.store, self.warned)  # (as a build does; once each)
        decided = None  # the tasks the check found up to date, taken as decided by the build
        if after is not None and not self.req.force:
            seen = self.watcher.changes_seen
            self.publish(building=True)  # (deciding may take a while: a --wait beside it waits for it)
            check = check_idle(self.root, self.store, selected, self.held, self.told)
            if check.idle:
                self.publish()
                if self.req.verbose:
                    saved = quote_paths(sorted(p for p in after if p != RESCAN)) or "the project"
                    print(
                        term_safe(f"agentmake: nothing to rebuild ({saved}: no change that matters)"),
                        file=sys.stderr,
                    )
                return 0
            # (unless the watcher saw a change meanwhile; one it sees only later, as one just after a build
            # decided, makes the next build decide again what it touches)
            decided = check.decided if self.watcher.changes_seen == seen else None
            self.told |= check.notices  # (the build tells them)
            print(f"agentmake: {_why(after, self.project)} changed: building", file=sys.stderr, flush=True)
        control = BuildControl()
        self.watcher.control = control
        self.publish(building=True)
        try:
            result = run_graph(
                self.project, selected, self.store, self.req, control=control, hold=self.held, stamp=decided
            )
        finally:
            self.watcher.control = None
        if self.req.force:  # (-B forces the first build: each later one rebuilds what an edit made stale)
            self.req = replace(self.req, force=False)
        self._remember(result)
        # (a task watch itself cancelled is not an interruption: only Ctrl-C ends the session)
        return EXIT_INTERRUPTED if result.interrupted else 0

    def _remember(self, result: BuildResult) -> None:
        """Keep what a build leaves for the next: the tasks held (what failed now, and what was held before
        and did not run since), the outputs it wrote, and where links lead now."""
        outcomes = result.outcomes
        self.held = {
            t: key
            for t, key in self.held.items()
            if outcomes.get(t) is None or outcomes[t].state == "not-run"
        }
        failed = {t: o for t, o in outcomes.items() if o.state == "failed" and o.key}
        self.held.update((t, o.key) for t, o in failed.items() if o.key)
        self.held_why = {t: self.held_why.get(t, "") for t in self.held}
        self.held_why.update((t, o.message or "") for t, o in failed.items())
        # (what it did not run for a failure elsewhere: the next change runs it)
        left = [(t, o) for t, o in outcomes.items() if o.state == "not-run" and t not in self.held]
        self.left = {t: o.message or "" for t, o in left}
        self.publish()
        # (a link among what tasks read may have been pointed elsewhere, or a file added: that was a change,
        # and this build)
        self.find_links()
        records = self.store.task_records()
        for task_id, outcome in outcomes.items():
            rec = records.get(task_id)
            if outcome.state in ("done", "cached") and rec is not None:
                self.written.update((path, h) for path, h in rec.outputs.items() if h is not None)

    def relevant(self, paths: set[str]) -> Changes:
        """What a set of changed paths calls for (`relevance.sort_changes`). A save of a file that plans the
        build, or a `RESCAN` (changes the watcher lost), calls for a reload and a build (of what is stale).
        The files that plan it are those found when the Agentfile was loaded (`find_plan_files`)."""
        if self.project is None or RESCAN in paths:
            return Changes(regraph=True, rebuild=True)
        if paths & self.plan_ways and not paths & self.watcher.plan_files:
            self.find_plan_files()  # (a link or directory on the way to one changed: where they are now)
        if paths & self.watcher.plan_files:
            return Changes(regraph=True, rebuild=True)
        changes = sort_changes(
            self.root, self.project.graph, self.store, self.watcher.readers, self.written, paths
        )
        for path in changes.hand_edited:
            self.written.pop(path, None)  # no longer what this session wrote
        return changes

    def shape(self) -> dict[str, tuple[str, ...]]:
        """The current graph's tasks and their inputs: what a new file can change."""
        assert self.project is not None
        return {task_id: task.inputs for task_id, task in self.project.graph.tasks.items()}


def _why(after: set[str], project: Project) -> str:
    """The files a build after a change was for, as named before it starts (`WatchSession.build`): the
    sources the graph reads (not the outputs the last build wrote, nor a log file saved meanwhile), else
    outputs (edited by hand), the first few of a burst; "the project" if none."""
    tasks = project.graph.tasks.values()
    made = {p for task in tasks for p in task.outputs}
    read = {p for task in tasks for p in task.inputs} - made
    read |= {os.path.relpath(f, project.agentfile.root) for f in project.agentfile.files}
    saved = sorted(p for p in after if p != RESCAN)
    named = [p for p in saved if p in read] or [p for p in saved if p in made] or saved
    return term_safe(_first_few(named)) if named else "the project"


def _named(new: list[str], graph: Graph) -> str:
    """The files added that `graph` reads (a log file saved meanwhile is not why), the first few of a burst
    (a `git checkout` adds hundreds: each task it ends or holds back says why in one line)."""
    read = {p for task in graph.tasks.values() for p in task.inputs}
    return _first_few([p for p in new if p in read] or new)


def _first_few(paths: list[str]) -> str:
    """`paths` quoted, the first three and "and N more" past four (a `git checkout` changes hundreds)."""
    return first_few(paths, whole=4, each=quote_path)
