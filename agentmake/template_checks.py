"""What rendering would refuse, found before any task starts (by `check`, and by a build for what it
builds): a prompt or report template that does not compile, a name a prompt reads that no task defines (or
a report template reads that it does not see), a `read()` of a path that is not an input, an ollama agent
with no model, a command's `{inputs[N]}` past a task's inputs. Texts seen to pass are remembered
(`KnownTemplates`) and not checked again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import xxhash

from agentmake import __version__
from agentmake.errors import AgentfileError
from agentmake.model import Agentfile, AgentSpec, Prompt, ReportSpec, RunnerSpec, model_of, runner_name

if TYPE_CHECKING:
    from agentmake.graph import Graph


def check_templates(af: Agentfile, known: KnownTemplates) -> None:
    """Compile every prompt (inline and file), report merge prompt and report template, so a template syntax
    error is a located AgentfileError now instead of a failure mid-build (names are checked per agent, once
    the graph is known: `check_task_templates`). Texts `known` to compile are skipped; new ones are added."""
    prompts = [a.prompt for a in af.agents.values()] + [r.merge for r in af.reports.values()]
    _compile_templates(af, [p for p in prompts if p is not None], af.reports, known)


def compile_build_templates(
    af: Agentfile, prompts: Iterable[Prompt], reports: Iterable[str], graph: Graph | None = None
) -> None:
    """What a build checks before any task starts (`workflow.compile_templates`): the syntax of the prompts
    and report templates it will use, as `check_templates` does for all of them (those seen to compile
    before are not compiled again, and those compiled now are remembered), and, given the `graph` it
    builds, a name a prompt reads that no task defines (`check_task_templates`), as `check` does: that
    error is never a task that fails after the ones before it were paid. (A command's `{inputs[N]}` past
    a task's inputs depends on what a glob matches: that task fails, once.)"""
    known = KnownTemplates()
    try:
        _compile_templates(af, prompts, reports, known)
        if graph is not None:
            check_task_templates(af, graph, known, commands=False)
    finally:
        known.save()


def _compile_templates(
    af: Agentfile, prompts: Iterable[Prompt], reports: Iterable[str], known: KnownTemplates
) -> None:
    """Compile `prompts` and the templates of the reports named `reports` (those that have one), skipping the
    texts `known` to compile and adding the others: a syntax error is a located AgentfileError (exit 2)."""
    from agentmake.template_reads import check_report_names
    from agentmake.templates import check_file_syntax, check_syntax

    for prompt in prompts:
        if not known.seen(prompt.text):
            check_syntax(prompt)
            known.add(prompt.text)
    for name in reports:
        template = af.reports[name].template
        if not template:
            continue
        try:
            text = (af.root / template).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # an unreadable template is reported (located) when the report is built
        if not known.seen(text):
            check_file_syntax(text, template)
            known.add(text)
        key = "\0".join(["report-names", text, *sorted(af.variables)])
        if not known.seen(key):
            check_report_names(text, template, af.variables)
            known.add(key)


def check_task_templates(af: Agentfile, graph: Graph, known: KnownTemplates, commands: bool = True) -> None:
    """What rendering would refuse for every task of an agent, found now instead of mid-build (and instead of
    `-n` or `status` refusing the whole project): a name its prompt reads that no task defines, a
    `read('path')` of a path that is not an input of the task, an ollama agent with no model, and in a shell
    command or a check command an `{inputs[N]}` past a task's last input or a wildcard value starting with
    '-' at the start of a word. Raises a located AgentfileError. Prompts whose names are `known` to be
    defined (for the same variables and wildcards) are skipped; new ones are added."""
    from agentmake.plan.context import render_task_check, render_task_command
    from agentmake.runners.presets import preset_of
    from agentmake.templates import check_names, check_reads, refuses_some_values

    named: set[str] = set()
    modelled: set[str] = set()
    for task in graph.tasks.values():
        spec = task.spec
        prompt = spec.merge if isinstance(spec, ReportSpec) else spec.prompt
        if prompt is not None and task.name not in named:
            named.add(task.name)
            wildcards = sorted(dict(task.wildcards))
            defined = sorted({*af.variables, *wildcards})
            # (not a text's that compiles; "+paths": now checked for `{{ input.content }}` as well)
            key = "\0".join(["names+paths", prompt.text, *defined, "", *wildcards])
            if not known.seen(key):
                check_names(prompt, defined, wildcards, task.name)
                known.add(key)
        if prompt is not None:
            check_reads(prompt, task.id, task.inputs)
            if task.name not in modelled:
                modelled.add(task.name)
                _check_model(af, spec, preset_of)
        if commands and isinstance(spec, AgentSpec):
            if spec.run is not None and refuses_some_values(spec.run):
                render_task_command(task)  # (raises for an index past the task's inputs, or a '-' value)
            if spec.check is not None and refuses_some_values(spec.check.command or ""):
                render_task_check(task)


def _check_model(
    af: Agentfile, spec: AgentSpec | ReportSpec, preset_of: Callable[[RunnerSpec], str | None]
) -> None:
    """An LLM agent (or merge report) on the ollama or openai-http runner needs a model (`ollama run MODEL`,
    the request's `model`): without one every task of it would fail, after the tasks before it were paid
    for. Raises a located AgentfileError. (`preset_of` is `runners.presets.preset_of`, imported by the
    caller once, not per agent.)"""
    runner = af.runners.get(runner_name(spec, af.settings))
    preset = preset_of(runner) if runner is not None else None
    if runner is None or preset not in ("ollama", "openai-http") or model_of(spec, runner, af.settings):
        return
    on = runner.name if runner.name == preset else f"{runner.name} ({preset})"
    raise AgentfileError(
        f"{spec.name} runs on {on}, which needs a model",
        spec.key_locs.get("runner", spec.loc),
        ["model = NAME"],
        f"set `model` on {spec.name} or on runner {runner.name}, or give model=NAME on the command line",
    )


class KnownTemplates:
    """Template texts known to compile, kept in agentmake's private cache directory (beside the parser's):
    a `check` compiles only templates it has not seen compile before (jinja takes ~0.3 ms a template, a
    second and a half for a 5,000-agent Agentfile). Keyed by agentmake's version and the text; at most
    `LIMIT` are kept (then the file starts over)."""

    LIMIT = 200_000
    NAME = "templates-ok"

    def __init__(self) -> None:
        from agentmake.userdirs import cache_dir

        directory = cache_dir()
        self.path = None if directory is None else Path(directory) / self.NAME
        self.known: set[bytes] = set()
        self.added = False
        if self.path is not None:
            from agentmake.cachefile import read_private

            # (only this user's own file, that no other may write: it says which templates need no check)
            data = read_private(str(self.path)) or b""
            self.known = {data[i : i + 16] for i in range(0, len(data) - len(data) % 16, 16)}

    def _key(self, text: str) -> bytes:
        return xxhash.xxh3_128_digest(f"{__version__}\0{text}".encode("utf-8", "surrogatepass"))

    def seen(self, text: str) -> bool:
        return self._key(text) in self.known

    def add(self, text: str) -> None:
        self.known.add(self._key(text))
        self.added = True

    def save(self) -> None:
        if not self.added or self.path is None:
            return
        from agentmake.cachefile import replace

        known = self.known if len(self.known) <= self.LIMIT else set()
        replace(str(self.path), [b"".join(sorted(known))])
