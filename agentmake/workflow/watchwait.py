"""Whether an `agentmake watch` will not build what a `--wait` build beside it waits for, as the watch's note
says (`store.watchstate`): it failed a task under the key the task has now, and runs it again only once what
it reads changes (exit 1, each named with why, as a build that failed it); its last build stopped before a
task (a failure elsewhere) and it has been idle since (`SETTLE` seconds: an edit a moment ago may be about to
start its next build, which would run it; exit 1); or it builds other targets or other variables (exit 2,
as without `--wait`)."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, NoReturn

from agentmake.errors import plural
from agentmake.safetext import term_safe
from agentmake.store import watchstate
from agentmake.store.lock import LockedError, holder_words
from agentmake.workflow import EXIT_FAILED

if TYPE_CHECKING:
    from collections.abc import Collection

    from agentmake.plan.decision import Decision
    from agentmake.workflow import Project, Request

__all__ = ["NotBuilt", "task_names", "to_do"]

SETTLE = 5.0  # seconds a watch idle after a build that left a task stays so before it is taken to stay idle


class NotBuilt:
    """Asked at each look of a `--wait` build beside a watch (`check`); remembers the note last seen."""

    def __init__(self, project: Project, req: Request) -> None:
        self.project, self.req = project, req
        self.note: watchstate.WatchState | None = None
        self.since = 0.0  # when `note` was first seen

    def check(
        self, holder: int, stale: list[str], decisions: list[Decision], running: Collection[str] = ()
    ) -> int | None:
        """EXIT_FAILED (said) where the watch of `holder` will not build some of `stale` for a failure;
        LockedError where it builds other targets or variables, or stays idle (`SETTLE` seconds) with
        none of them held or left (it decides them up to date); else None (wait on)."""
        note = watchstate.read(self.project.root, holder)
        if note != self.note:
            self.note, self.since = note, time.monotonic()
        if note is None:
            return None
        who = holder_words(holder, "watch")
        keys = {d.task_id: d.key for d in decisions}
        if failed := [t for t in stale if t in note.held and note.held[t][0] == keys.get(t)]:
            return _failed(who, failed, {t: note.held[t][1] for t in failed})
        settled = not note.building and time.monotonic() - self.since >= SETTLE
        if settled and (left := [t for t in stale if t in note.left]):
            return _left(who, left, note.left)
        self._elsewhere(note, holder, stale, decisions, running)
        if settled and (idle := [t for t in stale if t not in running]):
            # (it decides them up to date: an environment that sets another model or endpoint, say)
            why = "it stays idle: it decides otherwise, under an environment that sets another model, say"
            _not_built(holder, idle, decisions, running, why)
        return None

    def _elsewhere(
        self,
        note: watchstate.WatchState,
        holder: int,
        stale: list[str],
        decisions: list[Decision],
        running: Collection[str],
    ) -> None:
        """Raise LockedError where the watch builds another Agentfile, other variables, or targets without
        some of `stale`."""
        from agentmake.errors import AgentmakeError
        from agentmake.workflow.waiting import configuration_of

        if note.agentfile and note.agentfile != self.project.name:
            other = f"it builds {term_safe(note.agentfile)}"
        elif note.config != configuration_of(self.req, self.project.agentfile):
            other = "its command line sets other variables"
        else:
            try:
                theirs = self.project.graph.select(note.targets)
            except AgentmakeError:
                return  # (its targets are not this graph's: an edit under way)
            if all(t in theirs.tasks for t in stale):
                return
            stale = [t for t in stale if t not in theirs.tasks]
            other = f"it builds {term_safe(' '.join(note.targets))} only"
        _not_built(holder, stale, decisions, running, other)


def _not_built(
    holder: int, tasks: list[str], decisions: list[Decision], running: Collection[str], why: str
) -> NoReturn:
    """Raise the LockedError of a `--wait` build whose `tasks` the watch of `holder` does not build, `why`."""
    msg = f"{to_do(tasks, decisions, running)}, which {holder_words(holder, 'watch')} does not build ({why})"
    raise LockedError(f"{msg}: stop it (`kill {holder}`), then build", holder, "watch")


def _failed(who: str, failed: list[str], why: dict[str, str]) -> int:
    """Say that `who` failed `failed` (each with `why`) and holds them: EXIT_FAILED."""
    for task in _first(failed):
        print(f"agentmake: {term_safe(task)} failed in {who}: {_line(why[task])}", file=sys.stderr)
    them, read = ("it", "it reads") if len(failed) == 1 else ("them", "they read")
    print(f"agentmake: the watch runs {them} again once what {read} changes: not waiting", file=sys.stderr)
    return EXIT_FAILED


def _left(who: str, left: list[str], why: dict[str, str]) -> int:
    """Say that the last build of `who` did not run `left` (each with `why`): EXIT_FAILED."""
    for task in _first(left):
        print(f"agentmake: {term_safe(task)} was not run by {who}: {_line(why[task])}", file=sys.stderr)
    them = "it" if len(left) == 1 else "them"
    print(f"agentmake: the watch runs {them} at its next change: not waiting", file=sys.stderr)
    return EXIT_FAILED


def _first(tasks: list[str]) -> list[str]:
    """The first five of `tasks` in natural order (each is said on a line of its own)."""
    from agentmake.natorder import in_natural_order

    return in_natural_order(tasks)[:5]


def to_do(tasks: list[str], decisions: list[Decision], running: Collection[str]) -> str:
    """What a build would do of `tasks` (stale, or `running` elsewhere), counted as -n counts it, then named
    (`task_names`): "2 tasks to run, 1 to restore (a, b, c)", "1 task to restore (c)", "1 task to run, 1 may
    run (a, c)" (c reads what a makes: it runs only if that changes)."""
    from agentmake.plan.explain import waits_to_decide

    restore = {d.task_id for d in decisions if d.action == "restore"}
    maybe = {d.task_id for d in decisions if d.stale and waits_to_decide(d)}  # (-n: "may run")
    counts = {"to run": 0, "may run": 0, "to restore": 0, "running elsewhere": 0}
    for t in tasks:
        what = "running elsewhere" if t in running else "may run" if t in maybe else ""
        counts[what or ("to restore" if t in restore else "to run")] += 1
    said = [(n, what) for what, n in counts.items() if n]
    words = [f"{plural(n, 'task') if i == 0 else n} {what}" for i, (n, what) in enumerate(said)]
    return f"{', '.join(words)} ({task_names(tasks)})"


def task_names(tasks: list[str]) -> str:
    """The first few of `tasks` as -n names them (natural order: review:m2 before review:m10), for the
    messages of a build while the project is held (`heldbuild`)."""
    from agentmake.firstfew import first_few
    from agentmake.natorder import in_natural_order

    return first_few(in_natural_order(tasks), 5, each=term_safe)


def _line(why: str) -> str:
    """The first line of `why`, terminal-safe ("it failed" where it says nothing)."""
    return term_safe(why.strip().splitlines()[0]) if why.strip() else "it failed"
