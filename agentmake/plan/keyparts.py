"""What a task's key is made of (`KeyParts`): its key parts, computed from the task and its inputs' hashes,
the memos that spare rendering its prompt (render signature) or building its key (fast memo) on a no-op
(`agentmake.plan.rebuilder` says how they are used), and the rendering itself, when it is needed."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from agentmake.graph import Graph, Task
from agentmake.model import AgentSpec, Prompt, ReportSpec, RunnerSpec, model_of, runner_name, scope
from agentmake.plan.context import render_task_check, render_task_command, render_task_prompt, task_prompt
from agentmake.plan.hashing import Hasher
from agentmake.plan.keyconfig import ConfigFiles
from agentmake.plan.keys import (
    KEY_VERSION,
    check_parts,
    key_of,
    runner_parts,
    shape_digest,
    shell_runner_parts,
    summary_digest,
    text_hash,
    variable_memo,
)
from agentmake.plan.pathless import path_free, pathless_parts, siblings
from agentmake.store import Store, TaskRecord
from agentmake.templates import names_read, read_input, refuses_some_values

if TYPE_CHECKING:
    from agentmake.runners.redact import SecretValues

__all__ = ["FAST_VERSION", "RENDER_VERSION", "REPORT_RENDERER", "KeyParts", "read_by_a_task", "summarised"]

RENDER_VERSION = 1  # bump when the prompt context changes meaning
_LISTS = ("inputs", "outputs", "files")  # (the lists `template_lists.PathList` prints one path a line)
REPORT_RENDERER = 2  # bump when a report without `merge` renders the same inputs anew (2: binary inputs)
# bump when the fast memo's contents change (2, 3, 4: each LLM task's record takes the slow path once, where
# its "_cfgmodel" memo of an older agentmake is brought up to `CFGMODEL`: `Rebuilder.decide`)
FAST_VERSION = 4
# the "_cfgmodel" memo: 1, the model keyed from the CLIs' user and project config files; 2, also from llm's
# aliases, gemini's .env and system files, claude's managed settings (`upgrade._new_model_upgraded`); 3, also
# the endpoint switch gemini's .env sets (`upgrade._applied_upgraded`); 4, codex's model from its layers
# merged (`authsettings.codex_layers`: its system file and a trusted project's files too, which records of
# 1 to 3 keyed config.toml's model in place of: `upgrade._new_model_upgraded`), and gemini's login switches in
# its environment (`modelenv.AUTH_SWITCHES`, `upgrade._switches_upgraded`)
CFGMODEL = 4


class KeyParts(ConfigFiles):
    """The key parts of the tasks of `graph` (`_parts`, `key`) and their rendering (`render`), with what they
    cache across tasks (per agent, runner, template text, variable scope). `renders` counts prompts
    rendered. The base of `agentmake.plan.rebuilder.Rebuilder`."""

    def __init__(self, graph: Graph, store: Store, hasher: Hasher) -> None:
        self.graph = graph
        self.store = store
        self.hasher = hasher
        af = graph.agentfile
        self.root = af.root
        self._vars_hash = text_hash(json.dumps(af.variables, sort_keys=True))
        self._scope_hashes: dict[tuple[tuple[str, str], ...], str] = {(): self._vars_hash}
        self._text_hashes: dict[str, str] = {}
        self._secret: SecretValues | None = None  # (made when a prompt first reads a variable)
        self._spec_sigs: dict[int, tuple[AgentSpec, str]] = {}
        self._endpoints: dict[int, tuple[RunnerSpec, dict[str, list[str]]]] = {}
        self._configs = {}
        self._aliases = None
        self.renders = 0

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
            parts["_modes"] = 1  # (a memo: this record keyed the modes, `upgrade._modes_upgraded`)
        else:
            prompt = task_prompt(task)
            runner_name = self._runner_name(task)
            runner = af.runners.get(runner_name) if prompt is not None else None
            model, source, before = self._model_source(spec, runner)
            parts["kind"] = task.kind if task.kind == "report" else "agent"
            parts["runner"] = runner_parts(runner, model, self._endpoint(runner))
            writes = runner is not None and self._config_reading(runner).writes  # (its settings files)
            if path_free(task, runner, writes) and task.id not in siblings(self.graph):  # (`plan.pathless`)
                parts = pathless_parts(parts, list(task.outputs))
            if runner is not None:
                parts["_runner"] = runner_name  # (a memo: explain says "runner changed claude → codex")
                if self._config_file(runner):  # (a memo: this record keyed the config file's model)
                    parts["_cfgmodel"] = CFGMODEL
                if source is not None and parts["runner"]["model"] is not None:
                    parts["_model_from"] = source  # (explain: "the default model claude takes from ...")
                if before is not None and parts["runner"]["model"] is not None:
                    parts["_model_before"] = before  # (`upgrade._new_model_upgraded`)
                applied = self._applied_names(runner)
                if applied:  # (`upgrade._applied_upgraded`)
                    parts["_applied"] = applied
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
                    if self._rendered_before(task, prompt, assume, rec, parts["prompt"]):
                        parts["prompt"] = rec.parts["prompt"] if rec is not None else None
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
                    if read_by_a_task(self.graph.whole or self.graph, task.id):  # (`keys.shape_digest`)
                        outputs = {t: self.graph.tasks[t].outputs for t in covered}
                        parts["summarised"] = shape_digest(covered, outputs)
                        parts["_shape"] = 1
                    else:
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
        return self._model_source(spec, runner)[0]

    def _model_source(
        self, spec: AgentSpec | ReportSpec, runner: RunnerSpec | None
    ) -> tuple[str | None, list[str] | None, str | None]:
        """`_model_named`, with an alias `llm` resolves as the model it names (`_unaliased`): the same call,
        and another when the alias is set anew. Third: what a key of `_cfgmodel` 1 held in its place, when
        it may differ (`_keyed_before`)."""
        named, source = self._model_named(spec, runner)
        if named is None or runner is None:
            return named, source, None
        model = self._unaliased(runner, named)
        return model, source, self._keyed_before(runner, named, model, source)

    def _model_named(
        self, spec: AgentSpec | ReportSpec, runner: RunnerSpec | None
    ) -> tuple[str | None, list[str] | None]:
        """The model a call asks for: the Agentfile's (`model_of`), else the one a claude settings file's
        `env` block sets (applied over claude's environment), else the one the runner's CLI takes from the
        environment (`llm`: LLM_MODEL), else the one it takes from its config files (the project's
        `.claude/settings.json`, the user's: `runners.modelconfig`); from a file, also returned: [the CLI, the
        file as shown]. So changing it reruns, as a model change, and the same model named either way is the
        same key (the same call). The files are read for the model only when the Agentfile names none."""
        model = model_of(spec, runner, self.graph.agentfile.settings)
        if model is not None or runner is None:
            return model, None
        block, found = self._config_models(runner)
        if block is not None:
            return block[0], [block[1], block[2]]
        from agentmake.runners.presets import env_model

        model = env_model(runner, os.environ)
        if model is not None:
            return model, None
        return (None, None) if found is None else (found[0], [found[1], found[2]])

    def _endpoint(self, runner: RunnerSpec | None) -> dict[str, list[str]] | None:
        """The endpoint variables `runner`'s CLI receives (`presets.env_endpoint`): another server, another
        answer."""
        if runner is None:
            return None
        known = self._endpoints.get(id(runner))
        if known is None or known[0] is not runner:
            from agentmake.runners.presets import env_endpoint

            applied = self._applied_endpoints(runner)
            known = self._endpoints[id(runner)] = (runner, env_endpoint(runner, os.environ, applied))
        return known[1]

    def _endpoint_before(self, task: Task, parts: dict[str, Any]) -> dict[str, str] | None:
        """For a task whose key holds endpoint variables, the digests of the whole values of those keyed
        without their secrets (`presets.env_endpoint_before`), as they were keyed before
        (`upgrade._endpoint_upgraded`); None for any other task. Computed when asked, never kept."""
        runner = parts.get("runner")
        if not isinstance(runner, dict) or not runner.get("endpoint"):
            return None
        spec = self.graph.agentfile.runners.get(self._runner_name(task))
        if spec is None:
            return None
        from agentmake.runners.presets import env_endpoint_before

        return env_endpoint_before(spec, os.environ)

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

    def settings_write(self, task: Task) -> bool:
        """Whether the settings files of the CLI of `task`'s runner (an LLM agent's, a merge report's) let its
        agent write files (`ConfigReading.writes`: read once per runner in a build, for the key as for this),
        which the decision to run it carries to its attempt (`Decision.settings_write`)."""
        spec = task.spec
        if isinstance(spec, AgentSpec) and (spec.is_shell or spec.prompt is None):
            return False
        if isinstance(spec, ReportSpec) and spec.merge is None:
            return False
        runner = self.graph.agentfile.runners.get(self._runner_name(task))
        return runner is not None and self._config_reading(runner).writes

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

    def _named(self, task: Task, parts: dict[str, Any]) -> str | None:
        """For a summary report keyed by its summary's shape (`keys.shape_digest`), the digest of the tasks
        it covers by name, as it was keyed before (`upgrade._shape_upgraded`); None for any other task."""
        if "_shape" not in parts:
            return None
        return summary_digest(summarised(self.graph, task.id))

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

    def _rendered_before(
        self,
        task: Task,
        prompt: Prompt,
        assume: Mapping[str, str | None] | None,
        rec: TaskRecord | None,
        now: str,
    ) -> bool:
        """Whether the prompt recorded is this one as an older agentmake rendered it, printing a list derived
        from a list of paths (`inputs[1:]`, `inputs|sort`), or any list, whole as Python does (`['a.md',
        'b.md']`, where one path a line is printed now: `template_lists.PathList`): then it has not changed,
        and the task is not run (paid for) again only because its memo was missed (another variable changed,
        one it does not read). Rendered again only for a prompt that names a list and whose recorded prompt
        differs."""
        was = rec.parts.get("prompt") if rec is not None else None
        if not isinstance(was, str) or was == now or not any(n in prompt.text for n in _LISTS):
            return False
        variables = scope(task.spec, self.graph.agentfile.variables)
        opener = self._assumed_reader(task, assume) if assume else None
        for before in (1, 2):  # (`template_context.prompt_context`)
            text = render_task_prompt(task, variables, self.root, opener, as_before=before)
            if text_hash(text or "") == was:
                return True
        return False

    def _assumed_reader(self, task: Task, assume: Mapping[str, str | None]) -> Callable[[str], str] | None:
        """Reads an input a dry run assumes restored from the cache as the cache holds it, else the disk."""
        digests = {p: d for p in task.inputs if (d := assume.get(p)) is not None}
        if not digests:
            return None

        def read(path: str) -> str:
            data = self.store.cache_read(digests[path]) if path in digests else None
            return read_input(self.root / path) if data is None else data.decode("utf-8", errors="replace")

        return read

    def _hashes(
        self, paths: tuple[str, ...], assume: Mapping[str, str | None] | None
    ) -> dict[str, str | None]:
        hashes = self.hasher.file_hashes(paths)
        if assume:
            for path in paths:
                if path in assume:
                    hashes[path] = assume[path]
        return hashes


def summarised(graph: Graph, task_id: str) -> dict[str, list[str]]:
    """The tasks a report's run summary covers (every task it depends on, directly or not), each with its
    dependencies, in graph order: part of its key, so that a renamed agent or a new dependency among them
    renders the summary again (its records are the store's, read when it renders, not part of the key)."""
    needs = graph.needs(task_id)
    return {t: list(graph.deps.get(t, ())) for t in graph.tasks if t in needs}


def read_by_a_task(graph: Graph, task_id: str) -> bool:
    """Whether an agent or a merge report reads the output of report `task_id`, directly or through reports
    without `merge` (each renders its document from that one's: a new summary there changes theirs). Such a
    report is paid for again when its bytes change, so a summary report it reads is restored rather than
    rendered anew (`judge.Judge._holds_the_run`) and keyed by the shape of its run summary, not the names in
    it (`keys.shape_digest`)."""
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
