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
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Collection, Mapping, Set
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agentmake.errors import AgentmakeError
from agentmake.graph import Graph, Task
from agentmake.model import AgentSpec, Prompt, ReportSpec, RunnerSpec, model_of, runner_name, scope
from agentmake.plan.changes import Reason, check_changed, describe_changes, inputs_changed
from agentmake.plan.context import render_task_check, render_task_command, render_task_prompt, task_prompt
from agentmake.plan.hashing import Hasher, Seen
from agentmake.plan.keys import (
    KEY_VERSION,
    check_parts,
    key_of,
    runner_parts,
    shell_runner_parts,
    short,
    summary_digest,
    text_hash,
    variable_memo,
)
from agentmake.plan.partial import Gap
from agentmake.plan.stamp import Verdict
from agentmake.store import Store, TaskRecord
from agentmake.templates import names_read, read_input, refuses_some_values

if TYPE_CHECKING:
    from agentmake.runners.redact import SecretValues

_UNPLACED = (  # (a `commits` row: see `Rebuilder._commit_cut_short`)
    "its result was recorded but agentmake stopped before putting it in place: the next build does"
)

__all__ = ["Decision", "Reason", "Rebuilder"]

RENDER_VERSION = 1  # bump when the prompt context changes meaning
_IN_PLACE = "its outputs already hold the cached result of what it reads now: nothing to rewrite"
Checker = Callable[[Task], "str | None"]  # runs a task's check on its outputs in place: None, or what fails
REPORT_RENDERER = 2  # bump when a report without `merge` renders the same inputs anew (2: binary inputs)
FAST_VERSION = 1  # bump when the fast memo's contents change
_INPUT_KINDS = frozenset({"input-added", "input-changed", "input-removed"})


@dataclass
class Decision:
    """`action`: "skip" (up to date), "restore" (outputs from the cache, zero agent calls) or "run".
    `key` is None only in a dry run when an input is still to be rebuilt. `parts` are the key's components.
    `prompt` is the rendered prompt (LLM agents, merge reports) or the rendered shell command (shell agents);
    always set when `action` is "run" with a key. `edited` lists outputs whose content differs from what
    agentmake last wrote and that running/restoring will overwrite (save them first: `Store.save_edited`).
    `unknown` lists the outputs of a run that exist but that agentmake has no record of making (a file there
    before the task's first build, or an output newly declared): the scheduler saves each one before a
    result with other content replaces it. `outputs_seen` (a run): what the decision saw of each output
    (`Hasher.seen`), so a change made after it, even before the run starts, is found at the commit.
    `recorded`: the task's record is of this key (a success was recorded under it: a run then remakes lost
    or edited outputs whose result is not in the cache). `adopt` (with "skip"): the record is of another key,
    but the outputs already hold the cached result of this one (path -> digest; a variable switched back):
    up to date once the record is switched to this key (`Outcomes._adopt`), with no file rewritten.
    `gaps`: a partial report's inputs this build did not make whole (`agentmake.plan.partial`); empty for
    every other decision. `alias` (not "run"): another key whose cache entry holds this decision's result,
    filed under `key` too when the decision is acted on (`Store.cache_alias`): the record's key in an older
    format (`keys_v1`), or its key with the check it had, which the outputs in place pass. `recheck` (with
    "run"): the task's check command is all that changed, and its attempt runs it on the outputs in place
    before anything else (`runners.check.recheck_in_place`, on copies of them), in a slot like any other
    work: they pass it, the task is up to date with these outputs (path -> digest), its record switched to
    `key` and `alias`'s cache entry filed under it, as with `adopt` (`Starting._passed_in_place`), or, if
    the check rewrote its copies, with those, committed, recorded and cached as an attempt's outputs
    (`Outcomes._commit`); they fail it, the same attempt calls the agent (and the scheduler drops
    `recheck`: a retry calls it at once), unless the build calls it no more (its budget reached, its runner
    refused: `scheduler.gate`), and then the task is not run. A re-check itself calls nothing: neither holds
    it back."""

    task_id: str
    action: str
    reasons: list[Reason] = field(default_factory=list)
    key: str | None = None
    parts: dict[str, Any] = field(default_factory=dict)
    prompt: str | None = None
    edited: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    outputs_seen: list[Seen | None] = field(default_factory=list)
    recorded: bool = False
    adopt: dict[str, str] | None = None
    gaps: tuple[Gap, ...] = ()
    alias: str | None = None
    recheck: dict[str, str] | None = None

    @property
    def stale(self) -> bool:
        return self.action != "skip"


class _RecordedParts:
    """The parts recorded for a task, read from the store only if someone looks (a no-op never does)."""

    def __init__(self, store: Store, task_id: str) -> None:
        self.store, self.task_id = store, task_id

    def load(self) -> dict[str, Any]:
        rec = self.store.task_record(self.task_id)
        return rec.parts if rec is not None else {}


def _get_parts(self: Decision) -> dict[str, Any]:
    value = self.__dict__["_parts"]
    if isinstance(value, TaskRecord):  # the fast path: the recorded parts, decoded only if someone looks
        value = self.__dict__["_parts"] = value.parts
    elif isinstance(value, _RecordedParts):
        value = self.__dict__["_parts"] = value.load()
    return value


def _set_parts(self: Decision, value: dict[str, Any] | TaskRecord) -> None:
    self.__dict__["_parts"] = value


Decision.parts = property(_get_parts, _set_parts)  # type: ignore[assignment]


class Rebuilder:
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
        self.graph = graph
        self.checker = checker
        self.busy = busy
        self.stamp = stamp if stamp is not None and stamp.graph_same and not force else None
        self.store = store
        self.hasher = hasher
        self.force = force
        af = graph.agentfile
        self.root = af.root
        self._vars_hash = text_hash(json.dumps(af.variables, sort_keys=True))
        self._scope_hashes: dict[tuple[tuple[str, str], ...], str] = {(): self._vars_hash}
        self._text_hashes: dict[str, str] = {}
        self._secret: SecretValues | None = None  # (made when a prompt first reads a variable)
        self._spec_sigs: dict[int, tuple[AgentSpec, str]] = {}
        self._endpoints: dict[int, tuple[RunnerSpec, dict[str, list[str]]]] = {}
        self.renders = 0
        self.fast = 0  # decisions taken by the fast path
        self._unplaced: frozenset[str] | None = None  # see `_commit_cut_short`
        self._departed: dict[str, TaskRecord] | None = None  # see `_renamed_from`

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
                return Decision(task.id, "skip", key=brief[0], parts=_RecordedParts(self.store, task.id))  # type: ignore[arg-type]
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
            return decision
        parts, prompt = self._parts(task, inputs, rec, assume)
        if fast is not None:
            parts["_memo"] = f"{fast}/{parts.get('_memo', '')}"
        key = key_of(parts)
        if outs is None:
            outs = self._hashes(task.outputs, assume)
        cached_as = None
        if rec is not None and rec.key and rec.key != key:
            rec, cached_as = _upgraded(rec, parts)
        decision = self._judge(task, rec, parts, key, outs, cached_as)
        if decision.action == "skip" and rec is not None and rec.key == key and not assume:
            if cached_as is not None:  # (a record of an older key format: it switches to this key)
                self.store.note_rekey(task.id, cached_as, key, parts)
            else:
                self._note_skip(task, rec, parts, fast is not None)
        if decision.action == "run":
            decision.prompt = prompt if prompt is not None else self._render(task, assume)
        else:
            decision.prompt = prompt
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

    # the key
    def _parts(
        self,
        task: Task,
        inputs: dict[str, str | None],
        rec: TaskRecord | None,
        assume: Mapping[str, str | None] | None = None,
    ) -> tuple[dict[str, Any], str | None]:
        spec = task.spec
        af = self.graph.agentfile
        parts: dict[str, Any] = {"v": KEY_VERSION, "inputs": inputs, "outputs": sorted(task.outputs)}
        text: str | None = None
        if isinstance(spec, AgentSpec) and spec.is_shell:
            text = render_task_command(task)
            shell = af.runners.get("shell")
            parts.update(kind="shell", runner=shell_runner_parts(shell), prompt=text_hash(text or ""))
            parts["_render"] = {"template": self._text_hash(spec.run or "")}  # (the command as written)
            parts["settings"] = {}
            executable = self.hasher.executable(task.inputs)
            if executable:  # (only then: the keys of the other shell tasks are as they were)
                parts["executable"] = executable
            parts["_modes"] = 1  # (a memo: this record keyed the modes, `_modes_upgraded`)
        else:
            prompt = task_prompt(task)
            runner_name = self._runner_name(task)
            runner = af.runners.get(runner_name) if prompt is not None else None
            model = self._model(spec, runner)
            parts["kind"] = task.kind if task.kind == "report" else "agent"
            parts["runner"] = runner_parts(runner, model, self._endpoint(runner))
            if runner is not None:
                parts["_runner"] = runner_name  # (a memo: explain says "runner changed claude → codex")
            parts["settings"] = {}
            if prompt is None:
                parts["prompt"] = None
            else:
                sig, template_hash = self._render_sig(task, prompt, inputs)
                parts["_render"] = {"template": template_hash, "source": prompt.path or "inline"}
                used = self._variables_read(task, prompt)
                if used:
                    parts["_render"]["variables"] = used
                memo = "" if rec is None else rec.memo.partition("/")[2] if "/" in rec.memo else rec.memo
                if memo.startswith(sig + ":"):
                    parts["prompt"] = memo[len(sig) + 1 :]
                else:
                    text = self._render(task, assume)
                    parts["prompt"] = text_hash(text or "")
                parts["_memo"] = f"{sig}:{parts['prompt']}"
        if isinstance(spec, AgentSpec):
            parts["check"] = check_parts(spec.check, task.outputs)
            if spec.check is not None and refuses_some_values(spec.check.command or ""):
                render_task_check(task)  # (refused now, located, rather than after the agent was paid for)
        else:
            parts.update(_report_parts(spec, self.hasher))
            if spec.merge is None:  # (a merge report's key is its prompt: re-rendering it would cost a call)
                parts["renderer"] = REPORT_RENDERER
                parts["order"] = list(task.inputs)  # sections follow it ("inputs" is keyed by path)
                parts["patterns"] = list(spec.inputs)  # one matching no file has a section saying so
                if spec.template:  # a template sees every variable (a secret one is keyed by its digest)
                    parts["variables"] = self._report_variables(spec)
                if spec.summary:  # its run summary names these tasks and draws their dependencies
                    covered = summarised(self.graph, task.id)
                    parts["summarised"] = summary_digest(covered)
                    parts["_summarised"] = list(covered)  # (what explain names)
        return parts, text

    def _fast_memo(self, task: Task, inputs: dict[str, str | None]) -> str | None:
        """The fast memo of an agent task (None for reports: they take the full path)."""
        spec = task.spec
        if not isinstance(spec, AgentSpec):
            return None
        known = self._spec_sigs.get(id(spec))
        if known is None or known[0] is not spec:
            known = self._spec_sigs[id(spec)] = (spec, self._spec_sig(spec))
        hashes = tuple(inputs.values())
        blob: tuple[object, ...] = (known[1], task.wildcards, task.inputs, task.outputs, hashes)
        if spec.is_shell:  # (its key holds which inputs are executable)
            executable = self.hasher.executable(task.inputs)
            if executable:
                blob = (*blob, tuple(executable))
        return text_hash(repr(blob))

    def _model(self, spec: AgentSpec | ReportSpec, runner: RunnerSpec | None) -> str | None:
        """The model a call asks for: the Agentfile's (`model_of`), else the one the runner's CLI takes from
        the environment (`llm`: LLM_MODEL), so that changing it reruns, as a model change, and the same model
        named either way is the same key (the same call)."""
        model = model_of(spec, runner, self.graph.agentfile.settings)
        if model is None and runner is not None:
            from agentmake.runners.presets import env_model

            model = env_model(runner, os.environ)
        return model

    def _endpoint(self, runner: RunnerSpec | None) -> dict[str, list[str]] | None:
        """The endpoint variables `runner`'s CLI receives (`presets.env_endpoint`): another server, another
        answer."""
        if runner is None:
            return None
        known = self._endpoints.get(id(runner))
        if known is None or known[0] is not runner:
            from agentmake.runners.presets import env_endpoint

            known = self._endpoints[id(runner)] = (runner, env_endpoint(runner, os.environ))
        return known[1]

    def _spec_sig(self, spec: AgentSpec) -> str:
        """Everything of an agent that reaches its tasks' keys, apart from the per-task paths and hashes."""
        af = self.graph.agentfile
        if spec.is_shell:
            runner_key = shell_runner_parts(af.runners.get("shell"))
        else:
            runner = af.runners.get(spec.runner) if spec.prompt is not None else None
            runner_key = runner_parts(runner, self._model(spec, runner), self._endpoint(runner))
        prompt = spec.prompt
        check = spec.check
        blob = [
            FAST_VERSION, KEY_VERSION, RENDER_VERSION, spec.is_shell, spec.run,
            None if prompt is None else [prompt.text, prompt.path], runner_key,
            None if check is None else [check.kind, check.command], self._scope_hash(spec),
        ]  # fmt: skip
        return text_hash(json.dumps(blob, sort_keys=True, default=repr))

    def _scope_hash(self, spec: AgentSpec | ReportSpec) -> str:
        """The hash of the variables `spec`'s templates see (`model.scope`), for the memos."""
        known = self._scope_hashes.get(spec.variables)
        if known is None:
            variables = scope(spec, self.graph.agentfile.variables)
            known = self._scope_hashes[spec.variables] = text_hash(json.dumps(variables, sort_keys=True))
        return known

    def _variables_read(self, task: Task, prompt: Prompt) -> dict[str, Any]:
        """The variables `prompt` reads for `task` (a wildcard of the same name hides one), as memos: so
        explain can name the one that changed."""
        names = names_read(prompt.text)
        if not names:
            return {}
        seen = scope(task.spec, self.graph.agentfile.variables)
        wildcards = dict(task.wildcards)
        secret = self._secrets()
        return {
            n: variable_memo(seen[n], secret=secret(n, seen[n]))
            for n in sorted(names)
            if n in seen and n not in wildcards
        }

    def _secrets(self) -> SecretValues:
        if self._secret is None:  # (imported here: a build whose templates read no variable needs none)
            from agentmake.runners.redact import environ_secrets

            self._secret = environ_secrets()
        return self._secret

    def _report_variables(self, spec: ReportSpec) -> dict[str, Any]:
        """The variables a report's template sees, for its key: each as it is, a secret one
        (`runners.redact.SecretValues`) as its memo, ``["xxh3", digest]``, so that the state never keeps it
        (a change of it still changes the key)."""
        secret = self._secrets()
        return {
            name: variable_memo(value, secret=True) if secret(name, value) else value
            for name, value in scope(spec, self.graph.agentfile.variables).items()
        }

    def _runner_name(self, task: Task) -> str:
        return runner_name(task.spec, self.graph.agentfile.settings)

    def _render_sig(self, task: Task, prompt: Prompt, inputs: dict[str, str | None]) -> tuple[str, str]:
        """(render signature, template text hash): equal signatures render equal prompts."""
        template = self._text_hash(prompt.text)
        variables = self._scope_hash(task.spec)
        blob = [RENDER_VERSION, template, prompt.path, variables, task.wildcards, task.outputs, inputs]
        return text_hash(json.dumps(blob, separators=(",", ":"))), template

    def _text_hash(self, text: str) -> str:
        """`text_hash` of a template's text, once per text."""
        known = self._text_hashes.get(text)
        if known is None:
            known = self._text_hashes[text] = text_hash(text)
        return known

    def key(self, task: Task) -> str:
        """The key `task` has now, from its inputs as they are, computed in full (no record or memo used)."""
        parts, _ = self._parts(task, self._hashes(task.inputs, None), None)
        return key_of(parts)

    def render(self, task: Task) -> str | None:
        """The text a run of `task` needs (its prompt, or a shell agent's command): for a decision taken
        without rendering (a memo fast path) that must run after all, e.g. when restoring it failed."""
        return self._render(task)

    def _render(self, task: Task, assume: Mapping[str, str | None] | None = None) -> str | None:
        """The rendered prompt, or the shell command of a shell agent (None for a plain report). `assume`
        (a dry run): inputs it would restore from the cache are read from the cache, as the build will
        render the prompt once they are restored."""
        command = render_task_command(task)
        if command is not None:
            return command
        self.renders += task_prompt(task) is not None
        opener = self._assumed_reader(task, assume) if assume else None
        return render_task_prompt(task, scope(task.spec, self.graph.agentfile.variables), self.root, opener)

    def _assumed_reader(self, task: Task, assume: Mapping[str, str | None]) -> Callable[[str], str] | None:
        """Reads an input a dry run assumes restored from the cache as the cache holds it, else the disk."""
        digests = {p: d for p in task.inputs if (d := assume.get(p)) is not None}
        if not digests:
            return None

        def read(path: str) -> str:
            data = self.store.cache_read(digests[path]) if path in digests else None
            return read_input(self.root / path) if data is None else data.decode("utf-8", errors="replace")

        return read

    # the verdict
    def _judge(
        self,
        task: Task,
        rec: TaskRecord | None,
        parts: dict[str, Any],
        key: str,
        outs: dict[str, str | None],
        cached_as: str | None = None,
    ) -> Decision:
        """`cached_as`: the key `rec`'s result is cached under, when `rec` is a record of an older key format
        seen in this one (`_upgraded`)."""
        d = Decision(task.id, "skip", key=key, parts=parts, recorded=rec is not None and rec.key == key)
        if d.recorded and cached_as is not None:
            d.alias = cached_as
        missing = [p for p in task.outputs if outs.get(p) is None]
        if rec is None or not rec.key:
            d.reasons.append(Reason("never-built", "never built"))
            d.reasons += [r for p in missing if (r := self._missing(p)).kind == "output-directory"]
            if rec is not None and rec.status == "failed":
                d.reasons.append(self._failed(rec))
            foreign = [p for p in task.outputs if outs.get(p) and not self._made(outs[p])]
            if task.id in self.busy:
                foreign = []
            if rec is None and foreign and not missing and not self.force:
                renamed = self._renamed_from(task, parts, key, outs)
                if renamed is not None:
                    return renamed
            return self._run_or_restore(d, [], foreign, outs)
        recorded = rec.outputs
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
            d.reasons.append(_partial(rec))
        elif rec.key != key:
            changes = describe_changes(rec.parts, parts, self._runner_name(task))
            d.reasons += changes or [Reason("setting-changed", "the task's configuration changed")]
        if rec.status == "failed":
            d.reasons.append(self._failed(rec))
        d.reasons += [self._missing(p) for p in missing]
        return self._run_or_restore(d, edited, unknown, outs)

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
        if self.checker is None or not _only_check_changed(rec.parts, parts):
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
        elif cached is not None:
            d.action = "restore"
            d.reasons.append(Reason("cached", f"result found in the cache (key {short(d.key)})"))
            d.unknown = [p for p in unknown if cached.get(p) != outs.get(p)]  # restoring replaces them:
            d.edited += d.unknown  # saved first
            return d
        d.action = "run"
        d.unknown = list(unknown)
        d.outputs_seen = self.hasher.seen(outs)  # (`outs` holds every output, in order)
        return d

    def cached(self, d: Decision) -> dict[str, str] | None:
        """The cache entry of `d`'s key (path -> digest), or else of its `alias`: the same result."""
        found = self.store.cache_lookup(d.key) if d.key is not None else None
        if found is None and d.alias is not None:
            found = self.store.cache_lookup(d.alias)
        return found

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
        then run again (`_read_by_a_task`): its result is restored with zero calls, as any other is."""
        task = self.graph.tasks.get(task_id)
        spec = task.spec if task is not None else None
        if not (isinstance(spec, ReportSpec) and spec.summary and spec.merge is None):
            return False
        return not _read_by_a_task(self.graph.whole or self.graph, task_id)

    def _failed(self, rec: TaskRecord) -> Reason:
        detail = f": {rec.error}" if rec.error else ""
        return Reason("previous-failed", f"the previous run failed{detail}")

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
        if rec is None or not isinstance(recorded, dict):
            return [Reason("never-built", "never built")]  # no early cutoff can leave it up to date
        reasons = [self._failed(rec)] if rec.status == "failed" else []
        reasons += [_partial(rec)] if rec.status == "partial" else []
        outs = self.hasher.file_hashes(task.outputs)
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
        rec, _ = _upgraded(rec)
        recorded = rec.parts.get("inputs") or {}
        if rec.status == "partial" or not rec.key or not isinstance(recorded, dict):
            return []
        waiting = [p for p in task.inputs if p in pending]
        seen = {**(assume or {}), **{p: recorded.get(p) for p in waiting}}
        try:
            parts, _ = self._parts(task, self._hashes(task.inputs, seen), rec, seen)
        except AgentmakeError:
            return []
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

    def _hashes(
        self, paths: tuple[str, ...], assume: Mapping[str, str | None] | None
    ) -> dict[str, str | None]:
        hashes = self.hasher.file_hashes(paths)
        if assume:
            for path in paths:
                if path in assume:
                    hashes[path] = assume[path]
        return hashes


def _read_by_a_task(graph: Graph, task_id: str) -> bool:
    """Whether an agent or a merge report reads the output of report `task_id`, directly or through reports
    without `merge` (each renders its document from that one's: a new summary there changes theirs)."""
    seen: set[str] = set()
    stack = list(graph.dependents.get(task_id, ()))
    while stack:
        dep_id = stack.pop()
        if dep_id in seen:
            continue
        seen.add(dep_id)
        spec = graph.tasks[dep_id].spec
        if not (isinstance(spec, ReportSpec) and spec.merge is None):
            return True
        stack.extend(graph.dependents.get(dep_id, ()))
    return False


def _upgraded(rec: TaskRecord, now: dict[str, Any] | None = None) -> tuple[TaskRecord, str | None]:
    """A record of key format 1 as format 2 spells it, and the key its result is cached under (its own);
    `rec` itself and None if it is of this format (see `keys_v1`). With the task's key parts `now`, a shell
    task's record also gets the modes it was not keyed with (`_modes_upgraded`)."""
    if rec.status == "partial":
        return rec, None
    cached_as = None
    if rec.parts.get("v") != KEY_VERSION:
        from agentmake.plan import keys_v1  # (only for a project not built since the upgrade)

        parts = keys_v1.upgrade(rec.parts, rec.key)
        if parts is None:
            return rec, None
        rec, cached_as = dataclasses.replace(rec, key=key_of(parts), parts=parts), rec.key
    if now is not None and "executable" in now:
        upgraded = _modes_upgraded(rec, now["executable"])
        if upgraded is not None:
            return upgraded, cached_as or rec.key
    return rec, cached_as


def _modes_upgraded(rec: TaskRecord, executable: list[str]) -> TaskRecord | None:
    """A shell task's record made before its key held which inputs are executable (no "_modes" memo), with
    those that are now (`executable`): what they were then is unknown, and a build that did not key them
    ran nothing for a chmod either; so the task is up to date if nothing else changed (make's answer), and
    a later chmod reruns it. None for a record that keyed them, or whose parts do not make its key."""
    parts = rec.parts
    if parts.get("kind") != "shell" or "_modes" in parts or "executable" in parts or key_of(parts) != rec.key:
        return None
    parts = dict(parts, executable=executable, _modes=1)
    return dataclasses.replace(rec, key=key_of(parts), parts=parts)


def _only_check_changed(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether two key parts differ in their check alone (memos aside)."""
    if old.get("check") == new.get("check"):
        return False
    names = (set(old) | set(new)) - {"check"}
    return all(old.get(n) == new.get(n) for n in names if not n.startswith("_"))


def _partial(rec: TaskRecord) -> Reason:
    detail = f" ({rec.error})" if rec.error else ""
    return Reason("previous-partial", f"the last build made a partial report{detail}")


def summarised(graph: Graph, task_id: str) -> dict[str, list[str]]:
    """The tasks a report's run summary covers (every task it depends on, directly or not), each with its
    dependencies, in graph order: part of its key, so that a renamed agent or a new dependency among them
    renders the summary again (its records are the store's, read when it renders, not part of the key)."""
    needs = graph.needs(task_id)
    return {t: list(graph.deps.get(t, ())) for t in graph.tasks if t in needs}


def _report_parts(spec: ReportSpec, hasher: Hasher) -> dict[str, Any]:
    """A report's title, summary and template. A merge report's document is its agent's answer alone: neither
    its title nor its summary reaches the call (nor can it have a template), so its key holds the defaults
    (those of every merge report keyed before) and editing them pays for no call."""
    if spec.merge is not None:
        return {"title": spec.name, "summary": True, "template_path": None, "template": None}
    template = spec.template
    return {
        "title": spec.title or spec.name,
        "summary": spec.summary,
        "template_path": template,
        "template": hasher.file_hash(template) if template else None,
    }


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
