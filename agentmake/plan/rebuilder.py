"""Decide whether a task is up to date, restorable from the cache, or must run, and say why.

Verifying traces with early cutoff: a task's key (`agentmake.plan.keys`) covers the content hashes of its
inputs, so a dependent reruns only if an input's *content* changed. Constructive traces: when the new key has
a cache entry, the outputs are restored instead of paying for a run (unless forced).

Speed of the no-op case: stats come from the stat cache (no file is read), and the prompt is not rendered when
its *render signature* matches the last build's. The signature hashes everything a rendering can see (template
text, every variable, wildcards, input/output paths and input content hashes), so an equal signature implies
an equal rendered prompt. ``parts["_memo"]`` = "<signature>:<prompt hash>" is kept beside the key
(underscored entries are not part of it); the store keeps it in its own column (`TaskRecord.memo`) so the
no-op path never decodes the stored parts. A prompt is rendered when the signature differs, or when the task
will run (the executor needs its text).

Faster still, an agent task whose *fast memo* matches is decided without rendering or building its key at all.
The fast memo hashes the agent's key-relevant settings (once per agent: runner parts, model, command or
prompt template and source, check, every variable) with the task's wildcards, input and output paths and input
content hashes: everything its key is made of, so an equal memo implies an equal key. It is the first part of
``parts["_memo"]`` ("<fast>/<render memo>"). A skip decided the slow way with a stale memo stores the new
one with the build's end (`Store.note_memo`), so the next no-op is fast again; a record left `failed` by a
build with other settings is written back as done the same way (`Store.note_done`) once a build finds the
outputs as the last good build made them.

`Rebuilder` decides; what it decides with is its bases': the key parts, memos and rendering
(`agentmake.plan.keyparts.KeyParts`) and the verdict once the key is known (`agentmake.plan.judge.Judge`).
A record of an older format is read as this one spells it (`agentmake.plan.upgrade`), and a result cached
under the key an older agentmake gave the task's call now (its endpoint keyed with its secrets) is found too.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Set
from typing import Any

from agentmake.errors import AgentmakeError
from agentmake.graph import Graph, Task
from agentmake.plan.changes import Reason, describe_changes, inputs_changed
from agentmake.plan.decision import Decision, RecordedParts
from agentmake.plan.hashing import Hasher
from agentmake.plan.judge import Checker, Judge, made_elsewhere, never_built, previous_partial
from agentmake.plan.keyparts import FAST_VERSION, RENDER_VERSION, REPORT_RENDERER
from agentmake.plan.keys import key_of
from agentmake.plan.stamp import Verdict
from agentmake.plan.upgrade import endpoint_key_before, upgraded
from agentmake.store import Store, TaskRecord

# (the versions are `keyparts`'; re-exported, as the tests read them here)
__all__ = ["FAST_VERSION", "RENDER_VERSION", "REPORT_RENDERER", "Decision", "Reason", "Rebuilder"]

_INPUT_KINDS = frozenset({"input-added", "input-changed", "input-removed"})


class Rebuilder(Judge):
    """Holds what a decision needs (graph, store, hasher); `decide` is called when a task's deps have
    finished. `renders` counts prompts rendered (the no-op path renders none). `checker`: judges a task's
    `check` on its outputs in place (`agentmake.runners.check.check_in_place`), asked when the check is all
    that changed, so that a new check the outputs pass costs no call; it is asked of a `json` check only (a
    check command is run by the task's attempt: `Decision.recheck`). Without one, such a task runs.
    `busy` (a command that only reads, while a build runs): the tasks another agentmake, alive now, is
    running; what their outputs hold is their agent's work in progress (an agent that writes its outputs
    itself writes them in place), not a hand edit nor a file agentmake did not make, so none is said to be
    saved first (the build saves no copy of it)."""

    def __init__(
        self,
        graph: Graph,
        store: Store,
        hasher: Hasher,
        *,
        force: bool = False,
        stamp: Verdict | None = None,
        checker: Checker | None = None,
        busy: Collection[str] = frozenset(),
    ) -> None:
        super().__init__(graph, store, hasher, force=force, checker=checker, busy=busy)
        self.stamp = stamp if stamp is not None and stamp.graph_same and not force else None
        self.fast = 0  # decisions taken by the fast path

    def vouched(self, task: Task) -> bool:
        """Whether the build stamp proves `task` up to date without deciding it (none of its files changed
        since a build that left everything up to date; its dependencies must be up to date too: the caller
        asks only once they are)."""
        stamp = self.stamp
        return stamp is not None and stamp.vouches(task.inputs) and stamp.vouches(task.outputs)

    def decide(
        self,
        task: Task,
        *,
        pending: Set[str] = frozenset(),
        assume: Mapping[str, str | None] | None = None,
    ) -> Decision:
        """`pending`: input paths that a dry run expects to be rebuilt (their content is unknown yet).
        `assume`: path -> content hash a dry run expects (outputs it would restore from the cache)."""
        waiting = [p for p in task.inputs if p in pending]
        if waiting:
            reasons = self._own_changes(task, pending, assume)
            added = {r.path for r in reasons if r.kind == "input-added"}  # (made for the first time)
            reasons += [self._will_change(p) for p in waiting if p not in added]
            if self.force:
                reasons.append(Reason("forced", "forced (-B)"))
            return Decision(task.id, "run", reasons)
        inputs = self._hashes(task.inputs, assume)
        fast = self._fast_memo(task, inputs)
        outs: dict[str, str | None] | None = None
        brief = self._brief(task.id) if fast is not None and not self.force else None
        if brief is not None and brief[0] and brief[1] == "done" and _memo_matches(brief[2], fast or ""):
            # the no-op path: the recorded key still holds; up to date if every output is as recorded
            outs = self._hashes(task.outputs, assume)
            if _outputs_as_recorded(task.outputs, outs, brief[3]):
                self.fast += 1
                return Decision(task.id, "skip", key=brief[0], parts=RecordedParts(self.store, task.id))  # type: ignore[arg-type]
        rec = self.store.task_record(task.id)
        if (
            fast is not None
            and rec is not None
            and rec.key
            and rec.status == "done"
            and not self.force
            and _memo_matches(rec.memo, fast)
        ):
            self.fast += 1
            if outs is None:
                outs = self._hashes(task.outputs, assume)
            decision = self._judge(task, rec, rec, rec.key, outs)  # type: ignore[arg-type]
            if decision.action == "run":
                decision.prompt = self._render(task, assume)
            if decision.action != "skip":  # (a restore that fails runs: `Decision.settings_write`)
                decision.settings_write = self.settings_write(task)
            return decision
        parts, prompt = self._parts(task, inputs, rec, assume)
        if fast is not None:
            parts["_memo"] = f"{fast}/{parts.get('_memo', '')}"
        key = key_of(parts)
        if outs is None:
            outs = self._hashes(task.outputs, assume)
        cached_as = filed_as = None
        if rec is None or rec.key != key:
            before = self._endpoint_before(task, parts)
            if rec is not None and rec.key:
                rec, cached_as = upgraded(rec, parts, self._named(task, parts), before)
            if before and (rec is None or rec.key != key):  # (a result made then, no record names now)
                filed_as = endpoint_key_before(parts, before)
        decision = self._judge(task, rec, parts, key, outs, cached_as, filed_as)
        if decision.action == "skip" and rec is not None and rec.key == key and not assume:
            if cached_as is not None:  # (a record of an older key format: it switches to this key)
                self.store.note_rekey(task.id, cached_as, key, parts)
            elif rec.status == "done" and rec.parts.get("_cfgmodel") != parts.get("_cfgmodel"):
                # (the same key, its "_cfgmodel" memo an older agentmake's: written as this one's, so that a
                # file it did not read naming a model later is a change, not an upgrade)
                self.store.note_rekey(task.id, key, key, parts)
            else:
                self._note_skip(task, rec, parts, fast is not None)
        if decision.action == "run":
            decision.prompt = prompt if prompt is not None else self._render(task, assume)
        else:
            decision.prompt = prompt
        if decision.action != "skip":  # (its attempt sets its output aside by it; a failed restore runs)
            decision.settings_write = self.settings_write(task)
        return decision

    def _note_skip(self, task: Task, rec: TaskRecord, parts: dict[str, Any], fast: bool) -> None:
        """After a skip under the recorded key, decided the slow way: a record `failed` since (a build with
        other settings) is done again, as its outputs are as the last good build made them (else a hand edit
        would not be kept); a stale fast memo is renewed. Both are written with the build's end."""
        memo = str(parts.get("_memo", rec.memo))
        if rec.status == "failed":
            self.store.note_done(task.id, memo)
        elif rec.status == "done" and fast and rec.memo != memo:
            self.store.note_memo(task.id, memo)

    def _own_changes(
        self, task: Task, pending: Set[str], assume: Mapping[str, str | None] | None = None
    ) -> list[Reason]:
        """For a dry run's task that waits for inputs to be rebuilt: what makes it stale whatever the rebuilt
        ones hold (not a "may run"): never built, its last build failed, an output missing, or another
        input changed since its last build (as the dry run expects it: one a task before it restores from
        the cache is seen as restored, `assume`), an input added or removed, or what it runs with changed
        (`_settings_changed`)."""
        rec = self.store.task_record(task.id)
        recorded = rec.parts.get("inputs") if rec is not None else None
        outs = self.hasher.file_hashes(task.outputs)
        if rec is None or not isinstance(recorded, dict):  # (no early cutoff can leave it up to date)
            elsewhere = made_elsewhere(outs, self._made) if rec is None else []
            return [never_built(elsewhere, len(outs))]
        reasons = [self._failed(rec)] if rec.status == "failed" else []
        reasons += [previous_partial(rec)] if rec.status == "partial" else []
        reasons += [self._missing(p) for p, h in outs.items() if h is None]
        others = tuple(p for p in task.inputs if p not in pending)
        now = self._hashes(others, assume)
        reasons += inputs_changed({p: d for p, d in recorded.items() if p not in pending}, now)
        for path in task.inputs:
            if path in pending and path not in recorded:  # (read for the first time: no early cutoff)
                producer = self.graph.producer.get(path)
                by = f" ({producer} will make it)" if producer else ""
                reasons.append(Reason("input-added", f"input {path} was added{by}", path=path))
        return reasons + self._settings_changed(task, rec, pending, assume)

    def _settings_changed(
        self,
        task: Task,
        rec: TaskRecord,
        pending: Set[str],
        assume: Mapping[str, str | None] | None,
    ) -> list[Reason]:
        """For a dry run's task that waits for inputs to be rebuilt: what changed since `rec` apart from its
        inputs (its prompt, the runner, a command, a report's settings...), judged as if they came back as
        `rec` saw them, the one case in which early cutoff leaves it up to date: any such change runs it
        whatever they hold. Its check alone is no such change (the outputs in place may pass the new one);
        nor is a prompt edit that renders the same. Nothing when that cannot be told: a record that is a
        partial report's, the content an input had no longer in the cache (the prompt may read it), a
        prompt that does not render with it."""
        rec, _ = upgraded(rec)
        recorded = rec.parts.get("inputs") or {}
        if rec.status == "partial" or not rec.key or not isinstance(recorded, dict):
            return []
        waiting = [p for p in task.inputs if p in pending]
        seen = {**(assume or {}), **{p: recorded.get(p) for p in waiting}}
        try:
            parts, _ = self._parts(task, self._hashes(task.inputs, seen), rec, seen)
        except AgentmakeError:
            return []
        # (a summary report's keyed by names, an LLM call's keyed by its endpoints' whole values)
        rec, _ = upgraded(rec, parts, self._named(task, parts), self._endpoint_before(task, parts))
        readable = all(self._made(seen[p]) for p in waiting)  # (else a rendering read the file as it is)
        name = self._runner_name(task)

        def changes(new: dict[str, Any]) -> list[Reason]:
            found = describe_changes(rec.parts, new, name)
            kept = [r for r in found if r.kind not in _INPUT_KINDS]
            return kept if readable else [r for r in kept if r.kind != "prompt-changed"]

        if not changes({**parts, "check": rec.parts.get("check")}):
            return []
        return changes(parts)

    def _will_change(self, path: str) -> Reason:
        producer = self.graph.producer.get(path)
        by = f" by {producer}" if producer else ""
        return Reason("input-will-change", f"input {path} will be rebuilt{by}", path=path)

    def _brief(self, task_id: str) -> tuple[str, str, str, Any] | None:
        brief = getattr(self.store, "task_brief", None)
        if brief is not None:
            return brief(task_id)
        rec = self.store.task_record(task_id)
        return None if rec is None else (rec.key, rec.status, rec.memo, rec.outputs)


def _memo_matches(memo: str, fast: str) -> bool:
    """Whether a recorded memo ("<fast>/<render memo>") starts with the fast memo `fast`."""
    return len(memo) > len(fast) and memo[len(fast)] == "/" and memo.startswith(fast)


def _outputs_as_recorded(paths: tuple[str, ...], outs: Mapping[str, str | None], recorded: Any) -> bool:
    """Whether every output exists with exactly its recorded hash. `recorded` is a path -> hash dict, or its
    undecoded JSON text (`json.dumps(..., sort_keys=True)`), compared as text when the paths need no escaping
    (the common case: no decoding), else decoded."""
    if isinstance(recorded, str):
        if all(outs.get(p) and '"' not in p and "\\" not in p for p in paths):
            text = "{" + ", ".join(f'"{p}": "{outs[p]}"' for p in sorted(set(paths))) + "}"
            if text == recorded:
                return True
        recorded = json.loads(recorded)
    return all(outs.get(p) is not None and recorded.get(p) == outs[p] for p in paths)
