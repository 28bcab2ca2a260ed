"""The verdict on a task whose key is known (`Judge`): up to date, restored from the cache, adopted in
place (its outputs already hold that result, or pass a check that is all that changed) or run, with the
reasons why, and which outputs are hand edits or files agentmake never made (saved before they are
overwritten)."""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from agentmake.graph import Graph, Task
from agentmake.model import AgentSpec, ReportSpec
from agentmake.pathwords import quote_path
from agentmake.plan.changes import Reason, check_changed, describe_changes, output_renamed
from agentmake.plan.decision import Decision
from agentmake.plan.hashing import Hasher
from agentmake.plan.keyparts import KeyParts, read_by_a_task
from agentmake.plan.keys import short
from agentmake.plan.pathless import SUFFIX, as_task_output, with_output_paths
from agentmake.store import Store, TaskRecord

__all__ = ["Checker", "Judge", "made_elsewhere", "never_built", "previous_partial"]

_UNPLACED = (  # (a `commits` row: see `Judge._commit_cut_short`)
    "its result was recorded but agentmake stopped before putting it in place: the next build does"
)
_IN_PLACE = "its outputs already hold the cached result of what it reads now: nothing to rewrite"
_MADE_BEFORE = "its outputs already hold what it made under the same key before: nothing to rewrite"
Checker = Callable[[Task], "str | None"]  # runs a task's check on its outputs in place: None, or what fails


class Judge(KeyParts):
    """Judges a task's outputs and record against its key (`_judge`). `force`: -B (run everything);
    `checker` and `busy`: see `agentmake.plan.rebuilder.Rebuilder`. The base of `Rebuilder`."""

    def __init__(
        self,
        graph: Graph,
        store: Store,
        hasher: Hasher,
        *,
        force: bool,
        checker: Checker | None,
        busy: Collection[str],
    ) -> None:
        super().__init__(graph, store, hasher)
        self.checker = checker
        self.busy = busy
        self.force = force
        self._unplaced: frozenset[str] | None = None  # see `_commit_cut_short`
        self._departed: dict[str, TaskRecord] | None = None  # see `_renamed_from`

    def _judge(
        self,
        task: Task,
        rec: TaskRecord | None,
        parts: dict[str, Any],
        key: str,
        outs: dict[str, str | None],
        cached_as: str | None = None,
        filed_as: str | None = None,
    ) -> Decision:
        """`cached_as`: the key `rec`'s result is cached under, when `rec` is a record of an older key format
        seen in this one (`plan.upgrade.upgraded`). `filed_as`: the key an older agentmake gave this call,
        with the secrets of its endpoint (`plan.upgrade.endpoint_key_before`): a result cached under it is
        this key's, its entry moved here when the decision is acted on (`Decision.alias_moves`)."""
        d = Decision(task.id, "skip", key=key, parts=parts, recorded=rec is not None and rec.key == key)
        if d.recorded and cached_as is not None:
            d.alias = cached_as
        elif not d.recorded and filed_as is not None:
            d.alias, d.alias_moves = filed_as, True
        missing = [p for p in task.outputs if outs.get(p) is None]
        if rec is None or not rec.key:
            foreign = [p for p in task.outputs if outs.get(p) and not self._made(outs[p])]
            elsewhere = (
                made_elsewhere({p: outs.get(p) for p in task.outputs}, self._made) if rec is None else []
            )
            d.reasons.append(never_built(elsewhere, len(task.outputs)))
            d.reasons += [r for p in missing if (r := self._missing(p)).kind == "output-directory"]
            if rec is not None and rec.status == "failed":
                d.reasons.append(self._failed(rec))
            if task.id in self.busy:
                foreign = []
            if rec is None and foreign and not missing and not self.force:
                renamed = self._renamed_from(task, parts, key, outs)
                if renamed is not None:
                    return renamed
            return self._run_or_restore(d, [], foreign, outs)
        recorded = rec.outputs
        if _renamed(rec, key, task.outputs) and not self.force:
            return self._output_renamed(d, task, rec, missing, outs)
        # an output the record does not name, unless the cache holds its content: agentmake made it, under
        # other settings (a variable switched back and forth); overwriting it loses nothing
        unknown = [p for p in task.outputs if outs.get(p) and p not in recorded and not self._made(outs[p])]
        edited = [p for p in task.outputs if outs.get(p) and p in recorded and recorded[p] != outs[p]]
        if task.id in self.busy:
            unknown, edited = [], []
        if edited and rec.key == key and not self.force and self._commit_cut_short(task.id):
            # recorded, then agentmake died before renaming its outputs into place: what is there is no hand
            # edit to keep, the build puts the recorded result in place (`scheduler.recover`), so say so
            d.reasons.append(Reason("outputs-unplaced", _UNPLACED))
            d.reasons += [self._missing(p) for p in missing]
            return self._run_or_restore(d, edited, unknown, outs)
        if rec.key == key and not self.force and (rec.status == "done" or not edited):
            # an output differing from a *failed* record (e.g. outputs recorded, then placing them failed)
            # is no hand edit to keep: the task runs or is restored
            if missing:
                d.reasons += [self._missing(p) for p in missing]
                return self._run_or_restore(d, edited, unknown, outs)
            d.reasons += [
                Reason(
                    "output-edited",
                    f"{p} was edited by hand; keeping it",
                    path=p,
                    old=recorded[p],
                    new=outs[p],
                )
                for p in edited
            ]
            return d
        if rec.status == "done" and not missing and not edited and not self.force:
            checked = self._check_changed(task, rec, parts, key, outs, cached_as or rec.key)
            if checked is not None:
                return checked
        if rec.status == "partial":  # (recorded under a key no decision computes: `plan.partial`)
            d.reasons.append(previous_partial(rec))
        elif rec.key != key:
            changes = describe_changes(rec.parts, parts, self._runner_name(task))
            d.reasons += changes or [Reason("setting-changed", "the task's configuration changed")]
        if rec.status == "failed":
            d.reasons.append(self._failed(rec))
        d.reasons += [self._missing(p) for p in missing]
        return self._run_or_restore(d, edited, unknown, outs)

    def _output_renamed(
        self, d: Decision, task: Task, rec: TaskRecord, missing: list[str], outs: dict[str, str | None]
    ) -> Decision:
        """Its output renamed in the Agentfile since its record (`_renamed`): the result recorded is this
        key's. Moved there by hand (`mv`), it is adopted as it is; else restored from the cache at the new
        path (a file there that is not that result is saved first), or, with no cached result, run."""
        recorded = as_task_output(rec.parts, rec.outputs, task.outputs)[0]
        if not missing and all(outs.get(p) == h for p, h in recorded.items()):
            d.adopt = dict(recorded)
            said = f"its output was renamed and holds the result of {short(d.key)}"
            d.reasons.append(Reason("in-place", said))
            return d
        edit = None if missing or task.id in self.busy else self._edit_moved(rec, task, outs)
        if edit is not None:  # (recorded at its new path with the result's digest: an edit kept, as ever)
            d.adopt = dict(recorded)
            d.reasons.append(Reason("output-edited", edit, path=task.outputs[0]))
            return d
        d.reasons += [self._missing(p) for p in missing]
        other = [p for p in task.outputs if outs.get(p) and outs.get(p) != recorded.get(p)]
        return self._run_or_restore(d, [], [] if task.id in self.busy else other, outs)

    def _edit_moved(self, rec: TaskRecord, task: Task, outs: dict[str, str | None]) -> str | None:
        """What to say of the task's output in place (`_output_renamed`, not its recorded result) when it is
        what its old path held when agentmake last looked there (a hand edit kept, then moved there with the
        rename: `mv`): kept, as a hand edit in place is. None for any other file."""
        [old], [new] = rec.outputs, task.outputs
        then = self.hasher.seen([old])[0]  # (before looking at it now: a file gone is forgotten)
        was = self.hasher.file_hash(old)
        if was is None and then is not None:
            was = then[3]
        if was is None or was != outs.get(new):
            return None
        return (
            f"{new} was edited by hand (as {quote_path(old)} was); keeping it"  # (`new`: the reason's path)
        )

    def _check_changed(
        self,
        task: Task,
        rec: TaskRecord,
        parts: dict[str, Any],
        key: str,
        outs: dict[str, str | None],
        cached_as: str,
    ) -> Decision | None:
        """When the check is all that changed since the record (whose outputs are in place, untouched) and
        the new key has no result in the cache: the new check decides, run on the outputs in place. They pass
        it: up to date, the record switches to the new key (`adopt`) and the cache entry of the old one is
        filed under it (`alias`). They fail it: the agent runs, and the reason says so. None otherwise.
        A check command is not run here, on the scheduler's thread, but by the task's attempt: the decision
        runs the task with `recheck`, which a dry run shows as "may run"."""
        with_paths = (
            with_output_paths(rec.parts, list(rec.outputs)),
            with_output_paths(parts, list(task.outputs)),
        )
        if self.checker is None or not _only_check_changed(*with_paths):
            return None
        if self.store.cache_lookup(key) is not None:  # (restored or adopted as any other cached result)
            return None
        said = check_changed(rec.parts, parts)
        d = Decision(task.id, "skip", key=key, parts=parts)
        check = task.spec.check if isinstance(task.spec, AgentSpec) else None
        if check is not None and check.kind == "command":  # (the attempt runs it, then the agent if it fails)
            d.reasons.append(Reason("check-later", f"{said}; a build checks the outputs in place first"))
            d = self._run_or_restore(d, [], [], outs)
            if d.action == "run":  # (set once the cache was looked up: the alias holds no result of this key)
                d.recheck, d.alias = {p: h for p, h in outs.items() if h is not None}, cached_as
            return d
        problem = self.checker(task)
        if problem is None:
            d.adopt, d.alias = {p: h for p, h in outs.items() if h is not None}, cached_as
            d.reasons.append(Reason("check-passed", f"{said}; the output passes it"))
            return d
        d.reasons.append(Reason("check-failed", f"{said}; the output fails it ({problem})"))
        return self._run_or_restore(d, [], [], outs)

    def _renamed_from(
        self, task: Task, parts: dict[str, Any], key: str, outs: dict[str, str | None]
    ) -> Decision | None:
        """For a task with no record whose outputs are all there, some not as agentmake made them: if a task
        no longer in the graph made them under this very key (its agent renamed: the key holds no name), they
        are that task's outputs, edited by hand since, and kept as its build would keep them. Up to date:
        the record moves to this task (`adopt`, with the outputs as agentmake wrote them, so that a later
        run saves the edits first). None otherwise (such outputs read as files agentmake never made)."""
        if self._departed is None:
            records = getattr(self.store, "task_records", None)  # (test doubles of the store may lack it)
            present = (self.graph.whole or self.graph).tasks
            self._departed = {
                r.key: r
                for r in (records().values() if callable(records) else ())
                if r.key and r.status == "done" and r.task_id not in present
            }
        other = self._departed.get(key)
        if other is None or set(other.outputs) != set(task.outputs):
            return None
        edited = [p for p in task.outputs if outs.get(p) != other.outputs[p]]
        d = Decision(task.id, "skip", key=key, parts=parts, adopt=dict(other.outputs))
        said = f"{other.task_id}, no longer in the graph, made its outputs under the same key"
        d.reasons.append(Reason("in-place", said))
        d.reasons += [
            Reason(
                "output-edited",
                f"{p} was edited by hand; keeping it",
                path=p,
                old=other.outputs[p],
                new=outs[p],
            )
            for p in edited
        ]
        return d

    def _commit_cut_short(self, task_id: str) -> bool:
        """Whether the store notes `task_id` as recorded with its outputs maybe never renamed into place (a
        `commits` row: agentmake died in between). Only a dry run, `status` or `explain` sees one: a build
        finishes those commits before it decides anything."""
        if self._unplaced is None:
            pending = getattr(self.store, "pending_commits", None)  # (test doubles of the store may lack it)
            self._unplaced = frozenset(pending()) if callable(pending) else frozenset()
        return task_id in self._unplaced

    def _missing(self, path: str) -> Reason:
        """An output with no content: missing, or a directory in its place (which no run can replace)."""
        if os.path.isdir(os.path.join(self.root, path)):
            return Reason("output-directory", f"output {path} is a directory, not a file", path=path)
        return Reason("output-missing", f"output {path} is missing", path=path)

    def _run_or_restore(
        self, d: Decision, edited: list[str], unknown: list[str], outs: dict[str, str | None]
    ) -> Decision:
        d.edited = edited
        fresh = self.force or self._holds_the_run(d.task_id)
        cached = None if fresh or d.key is None else self.cached(d)
        if self.force:
            d.reasons.append(Reason("forced", "forced (-B)"))
        elif cached is not None and cached == outs and self._modes_as_cached(d, outs):
            # a restore would rewrite the very same bytes, with the same modes
            d.adopt, d.edited = dict(cached), []
            d.reasons.append(Reason("in-place", _IN_PLACE))
            return d
        elif cached is None and not fresh and (made := self._made_before(d, outs)) is not None:
            d.adopt, d.edited = made, []
            d.reasons.append(Reason("in-place", _MADE_BEFORE))
            return d
        elif cached is not None:
            d.action = "restore"
            if d.moved:  # (made at another path: "output uno.md was renamed from one.md", not "is missing")
                was = {new: old for old, new in d.moved.items()}
                d.reasons = [
                    output_renamed(r.path, was[r.path]) if r.kind == "output-missing" and r.path in was else r
                    for r in d.reasons
                ]
            d.reasons.append(Reason("cached", f"result found in the cache (key {short(d.key)})"))
            d.unknown = [p for p in unknown if cached.get(p) != outs.get(p)]  # restoring replaces them:
            d.edited += d.unknown  # saved first
            return d
        d.action = "run"
        d.unknown = list(unknown)
        d.outputs_seen = self.hasher.seen(outs)  # (`outs` holds every output, in order)
        return d

    def cached(self, d: Decision) -> dict[str, str] | None:
        """The cache entry of `d`'s key (path -> digest), or else of its `alias`: the same result. Of a key
        that holds no output path, made at another path than the task's output: at the task's, with the
        move noted in `d.moved` (`plan.pathless.as_task_output`); not one made at a path another task of
        the graph makes under the same key: that task's own result (two agents alike but for their outputs'
        names, say three drafts of one prompt), which this one is not given (None: it runs, as before such
        keys). One whose path another task makes under another key is this task's, renamed since."""
        found = self.store.cache_lookup(d.key) if d.key is not None else None
        if found is None and d.alias is not None:
            found = self.store.cache_lookup(d.alias)
        task = self.graph.tasks.get(d.task_id)
        if found is None or task is None:
            return found
        found, d.moved = as_task_output(d.parts, found, task.outputs)
        if d.moved and any(self._made_by_another(p, task.id, d.key) for p in d.moved):
            d.moved = None
            return None
        return found

    def _made_before(self, d: Decision, outs: dict[str, str | None]) -> dict[str, str] | None:
        """The outputs in place (path -> digest), if each holds what this task made there under `d`'s key
        before a newer record superseded it (`Store.made_before`: a build under other variables, switched
        back), with no cache entry of that key left (trimmed, or the cache emptied): None otherwise."""
        made_before = getattr(self.store, "made_before", None)  # (test doubles of the store may lack it)
        task = self.graph.tasks.get(d.task_id)
        if d.key is None or task is None or not task.outputs or not callable(made_before):
            return None
        made: dict[str, str] = made_before(d.task_id, d.key)
        if set(made) != set(task.outputs) or any(outs.get(p) != h for p, h in made.items()):
            return None
        return made

    def _made_by_another(self, path: str, task_id: str, key: str | None) -> bool:
        """Whether another task of the graph makes `path` and was recorded under `key`: a result cached
        there under that key is its own (`cached`)."""
        producer = self.graph.producer.get(path, task_id)
        if producer == task_id:
            return False
        rec = self.store.task_record(producer)
        return rec is not None and rec.key == key

    def _modes_as_cached(self, d: Decision, outs: dict[str, str | None]) -> bool:
        """Whether the outputs in place are executable as the cached result of `d`'s key (or alias) was: one
        made executable, or no longer, by a chmod since (as a shell agent that copies an input with its
        mode makes it) is not that result, which a restore gives back."""
        modes = getattr(self.store, "cache_modes", None)  # (test doubles of the store may lack it)
        key = d.key if d.key is not None and self.store.cache_lookup(d.key) is not None else d.alias
        if not callable(modes) or key is None:
            return True
        kept = modes(key)
        now = self.hasher.xbits(outs)
        return all((kept.get(path, 0) & 0o111) == bits for path, bits in zip(outs, now, strict=True))

    def _made(self, digest: str | None) -> bool:
        """Whether content `digest` is in the cache, i.e. agentmake made it (a test double may not say)."""
        holds = getattr(self.store, "cache_holds", None)
        return digest is not None and callable(holds) and bool(holds(digest))

    def _holds_the_run(self, task_id: str) -> bool:
        """A report whose document holds the run summary: rendered anew (locally, at no cost) rather than
        restored, since a cached copy describes the run it was made in; unless a task reads it that would
        then run again (`keyparts.read_by_a_task`): its result is restored with zero calls, as any other
        is."""
        task = self.graph.tasks.get(task_id)
        spec = task.spec if task is not None else None
        if not (isinstance(spec, ReportSpec) and spec.summary and spec.merge is None):
            return False
        return not read_by_a_task(self.graph.whole or self.graph, task_id)

    def _failed(self, rec: TaskRecord) -> Reason:
        detail = f": {rec.error}" if rec.error else ""
        return Reason("previous-failed", f"the previous run failed{detail}")


def _renamed(rec: TaskRecord, key: str, outputs: tuple[str, ...]) -> bool:
    """Whether `rec`, done under `key`, a key that holds no output path (`plan.pathless`), names another
    output than the task's one: renamed in the Agentfile since."""
    return (
        rec.status == "done"
        and rec.key == key
        and SUFFIX in rec.parts
        and len(rec.outputs) == 1
        and len(outputs) == 1
        and set(rec.outputs) != set(outputs)
    )


def _only_check_changed(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether two key parts differ in their check alone (memos aside)."""
    if old.get("check") == new.get("check"):
        return False
    names = (set(old) | set(new)) - {"check"}
    return all(old.get(n) == new.get(n) for n in names if not n.startswith("_"))


def made_elsewhere(outs: Mapping[str, str | None], made: Callable[[str], bool]) -> list[str]:
    """The outputs of a task agentmake has no record of that were made elsewhere, as `never_built` says them
    (one rule for `-n`, status and explain, of a task decided now and of one that waits for a rebuilt input,
    `Rebuilder._own_changes`): when every output is in place (`outs`: path
    -> digest, None: missing), those that are no result agentmake cached here (`made`: a fresh checkout of
    a project whose outputs are committed, without its `.agentmake/`); else none."""
    if any(digest is None for digest in outs.values()):
        return []
    return [path for path, digest in outs.items() if digest is not None and not made(digest)]


def never_built(elsewhere: Sequence[str] = (), outputs: int = 0) -> Reason:
    """A task agentmake has no record of. `elsewhere`: its outputs made elsewhere (`made_elsewhere`), of its
    `outputs`: said so to a person (`told`), naming them when not all of them were, who would else wonder
    why a build runs, and pays for, a task whose outputs are in place; `message` stays "never built" (the
    data: `status --json`)."""
    if not elsewhere:
        return Reason("never-built", "never built")
    which = "" if len(elsewhere) >= outputs else f"{', '.join(quote_path(p) for p in elsewhere)} "
    from agentmake.invocation import command_line

    touch = command_line("-t")
    told = f"never built here: its outputs exist, {which}made elsewhere (`{touch}` records them as built)"
    return Reason("never-built", "never built", told=told)


def previous_partial(rec: TaskRecord) -> Reason:
    detail = f" ({rec.error})" if rec.error else ""
    return Reason("previous-partial", f"the last build made a partial report{detail}")
