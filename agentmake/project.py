"""The commands that only read or create an Agentfile: `check`, `list` and `init`.

`init` writes a starter Agentfile and prompt into a directory; it works in a non-empty directory but
refuses to
overwrite any file it would write (an existing Agentfile included).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import xxhash

from agentmake import __version__
from agentmake.errors import UsageError, plural
from agentmake.locate import agentfile_path
from agentmake.model import Agentfile, AgentSpec, Prompt, ReportSpec, model_of
from agentmake.safetext import term_safe
from agentmake.syntax import load_agentfile

if TYPE_CHECKING:
    from agentmake.graph import Graph


def load(directory: Path, agentfile: Path | None, overrides: dict[str, str]) -> Agentfile:
    return load_agentfile(agentfile_path(directory, agentfile), overrides)


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


def check_task_templates(af: Agentfile, graph: Graph, known: KnownTemplates, commands: bool = True) -> None:
    """What rendering would refuse for every task of an agent, found now instead of mid-build (and instead of
    `-n` or `status` refusing the whole project): a name its prompt reads that no task defines, a
    `read('path')` of a path that is not an input of the task, an ollama agent with no model, and in a shell
    command or a check command an `{inputs[N]}` past a task's last input or a wildcard value starting with
    '-' at the start of a word. Raises a located AgentfileError. Prompts whose names are `known` to be
    defined (for the same variables and wildcards) are skipped; new ones are added."""
    from agentmake.plan.context import render_task_check, render_task_command
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
                _check_model(af, spec)
        if commands and isinstance(spec, AgentSpec):
            if spec.run is not None and refuses_some_values(spec.run):
                render_task_command(task)  # (raises for an index past the task's inputs, or a '-' value)
            if spec.check is not None and refuses_some_values(spec.check.command or ""):
                render_task_check(task)


def _check_model(af: Agentfile, spec: AgentSpec | ReportSpec) -> None:
    """An LLM agent (or merge report) on the ollama or openai-http runner needs a model (`ollama run MODEL`,
    the request's `model`): without one every task of it would fail, after the tasks before it were paid
    for. Raises a located AgentfileError."""
    from agentmake.errors import AgentfileError
    from agentmake.model import runner_name
    from agentmake.runners.presets import preset_of

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
            try:
                data = self.path.read_bytes()
            except OSError:
                data = b""
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
        known = self.known if len(self.known) <= self.LIMIT else set()
        tmp = self.path.with_name(f".{self.NAME}.{os.getpid()}.tmp")
        try:
            tmp.write_bytes(b"".join(sorted(known)))
            os.replace(tmp, self.path)
        except OSError:
            tmp.unlink(missing_ok=True)


def check_summary(af: Agentfile) -> str:
    """One line: ``Agentfile: 5 agents (57 tasks), 2 reports, 3 runners — ok``. Builds the graph, so missing
    inputs and cycles are reported too; `runners` counts the runners the agents and reports use."""
    return check_report(af)[0]


def check_report(af: Agentfile) -> tuple[str, list[str]]:
    """What `agentmake check` says: its summary line (`check_summary`) and its warnings (`check_warnings`),
    from one build of the graph."""
    from agentmake.graph import build_graph

    known = KnownTemplates()  # (read once, written once: what compiled is kept even if a later check fails)
    graph = None
    try:
        check_templates(af, known)
        try:
            graph = build_graph(af)
            tasks = f" ({plural(sum(1 for t in graph.tasks.values() if t.kind == 'agent'), 'task')})"
        except NotImplementedError:
            tasks = ""
        else:
            check_task_templates(af, graph, known)
    finally:
        known.save()
    used = {a.runner for a in af.agents.values()}
    used |= {r.runner or af.settings.runner for r in af.reports.values() if r.merge is not None}
    name = af.path.name
    summary = (
        f"{name}: {plural(len(af.agents), 'agent')}{tasks}, {plural(len(af.reports), 'report')}, "
        f"{plural(len(used), 'runner')} — ok"
    )
    return summary, check_warnings(af, graph)


def setting_typos(af: Agentfile) -> list[str]:
    """Variables named one slip away from a setting (`jbos = 4`, `retry = 3`) that nothing reads: almost
    surely a misspelt setting, which would otherwise be taken silently as a variable. One warning each.
    Likewise a variable named like a block's key (`check`, `inputs`...) that nothing reads: almost surely a
    block's line that lost its indentation, which silently took the key from its block."""
    from agentmake.syntax.load import display_name
    from agentmake.syntax.transform import BLOCK_KEYS
    from agentmake.syntax.values import SETTINGS

    near = {name: s for name in af.variables for s in SETTINGS if _one_slip(name, s) or _stem_of(name, s)}
    keys = {k for block in BLOCK_KEYS.values() for k in block} - set(SETTINGS)
    stray = [name for name in af.variables if name in keys]
    if not near and not stray:
        return list(af.notes)  # (and a setting that lost its block's indentation: `transform.collect`)
    specs = [*(a.prompt for a in af.agents.values()), *(r.merge for r in af.reports.values())]
    prompts = [p.text for p in specs if p is not None]
    templates = {af.root / r.template for r in af.reports.values() if r.template is not None}
    prompts += [t.read_text(encoding="utf-8", errors="replace") for t in templates if t.is_file()]
    prompt_files = {af.root / p.path for p in specs if p is not None and p.path is not None} | templates
    files: dict[Path, str] = {}
    for f in af.files:  # (a `${name}` was replaced when loading: look for it in the files themselves)
        with contextlib.suppress(OSError):
            files[f] = f.read_text(encoding="utf-8", errors="replace")

    def used(name: str) -> bool:
        word = re.compile(rf"\b{re.escape(name)}\b")
        return any(word.search(t) for t in prompts) or any(f"${{{name}}}" in t for t in files.values())

    def where(name: str) -> str:
        """` (Agentfile:12)`: the line at column 1 that assigns it, in the Agentfile or an include."""
        line = re.compile(rf"^{re.escape(name)}[ \t]*=", re.MULTILINE)
        for f, text in files.items():
            m = line.search(text) if f not in prompt_files else None
            if m is not None:
                return f" ({display_name(f)}:{text.count(chr(10), 0, m.start()) + 1})"
        return ""

    warnings = [
        f"'{n}' is taken as a variable, not a setting: did you mean '{near[n]}'?" for n in near if not used(n)
    ]
    warnings += [
        f"'{n}'{where(n)} is taken as a top-level variable, and nothing reads it: if it is a line of the"
        " block above it, indent it as that block's lines"
        for n in stray
        if not used(n)
    ]
    return [*af.notes, *warnings]


def _stem_of(name: str, setting: str) -> bool:
    """`retry` for `retries`: the same word but for an ending of at most three letters."""
    return len(name) >= 4 and 0 < abs(len(setting) - len(name)) <= 3 and setting[: len(name) - 1] == name[:-1]


def _one_slip(a: str, b: str) -> bool:
    """Whether `a` differs from `b` by one letter added, dropped or changed, or two neighbours swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]])
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def check_warnings(af: Agentfile, graph: Graph | None) -> list[str]:
    """What `check` points out that is not an error: a misspelt setting taken as a variable
    (`setting_typos`), agents on gemini with no model (its `auto` router makes extra calls, paid for:
    RUNNERS.md says to pin one), and LLM agents given a model that their runner has no `model_flag` to pass
    (the CLI never sees it: it is not part of their keys either), agents that make no task (`idle_agents`),
    and runners and `check` commands whose program is not found (`missing_programs`,
    `missing_check_programs`)."""
    from agentmake.runners.presets import preset_of

    unpinned: list[str] = []
    unpassed: dict[tuple[str, str], list[str]] = {}  # (runner, model) -> agents
    for name, agent in af.agents.items():
        runner = af.runners.get(agent.runner)
        model = model_of(agent, runner, af.settings)
        if runner is not None and preset_of(runner) == "gemini" and not model:
            unpinned.append(name)
        if runner is not None and model and runner.model_flag is None and not agent.is_shell:
            unpassed.setdefault((runner.name, model), []).append(name)
    warnings = setting_typos(af)
    if unpinned:
        warnings.append(
            f"{', '.join(unpinned)}: gemini with no model, whose auto router makes extra calls: set `model`"
        )
    for (runner_name, model), names in unpassed.items():
        warnings.append(
            f"{', '.join(names)}: model {model} is never passed to runner {runner_name}, which has no"
            " `model_flag`: set `model_flag` on the runner (e.g. --model), or remove `model`"
        )
    for runner in af.runners.values():  # (`command = "llm --key $OPENAI_API_KEY"`: no shell expands it)
        named = sorted({m.group(1) for word in runner.command for m in _ENV_WORD.finditer(word)})
        if named:
            warnings.append(
                f"runner {runner.name}: its command passes {', '.join('$' + n for n in named)} as written (it"
                f" runs without a shell): to give the agent a variable, name it in `env = {' '.join(named)}`"
            )
    return warnings + idle_agents(af, graph) + missing_programs(af) + missing_check_programs(af)


def idle_agents(af: Agentfile, graph: Graph | None) -> list[str]:
    """Agents that make no task in `graph` (None: no graph to tell): each input pattern with a wildcard
    matches no file (a typo in the pattern, files not there yet). Not an error (a fan-out over what is not
    there is empty), but said: a build of them says only "0 ran"."""
    if graph is None:
        return []
    from agentmake.graph import makes_no_task

    made = {t.name for t in graph.tasks.values()}
    return [
        makes_no_task(agent)
        for name, agent in af.agents.items()
        if name not in made and any("{" in p for p in agent.inputs)
    ]


def missing_programs(af: Agentfile) -> list[str]:
    """The LLM runners in use whose program is neither on PATH nor (a path) in the project: each of their
    tasks would fail, `command not found`, after the tasks before them were paid for. A warning, not an
    error: the build may run where PATH differs."""

    from agentmake.model import runner_name
    from agentmake.runners.presets import CLIENT, preset_of

    users: dict[str, list[str]] = {}
    for agent in af.agents.values():
        if not agent.is_shell:
            users.setdefault(agent.runner, []).append(agent.name)
    for report in af.reports.values():
        if report.merge is not None:
            users.setdefault(runner_name(report, af.settings), []).append(report.name)
    warnings = []
    for name, specs in users.items():
        runner = af.runners.get(name)
        if runner is None or not runner.command:
            continue
        program = runner.command[0]
        if program == CLIENT and preset_of(runner) == "openai-http":
            continue  # (agentmake's own client, run by its own Python)
        if not _program_found(af, program):
            warnings.append(
                f"runner {name}: {program} is not found on PATH, and every task of {', '.join(specs)} would"
                f" fail: install {program} or fix PATH"
            )
    return warnings


def _program_found(af: Agentfile, program: str) -> bool:
    """Whether `program` (a runner's or a check command's first word) can be run: on PATH, or, a path, an
    executable file (a relative one from the project directory, where runners and checks run)."""
    import shutil

    if "/" in program:
        path = Path(program)
        return os.access(path if path.is_absolute() else af.root / path, os.X_OK)
    return shutil.which(program) is not None


# the program a shell command starts with, when it is a plain word (`jq . {output}`, `jsn`): not a
# placeholder, an assignment (`X=1 cmd`), a quoted or expanded word
_PROGRAM = re.compile(r"[\t ]*([A-Za-z0-9_./+@%-]+)(?=[\t\n ;&|<>)]|\Z)")


def missing_check_programs(af: Agentfile) -> list[str]:
    """The agents whose `check` command starts with a program that is neither on PATH nor (a path) in the
    project, nor a shell builtin: the check cannot run (exit 127), so each task pays for its agent's answer,
    then fails, at every build. `check = jsn`, `check = JSON` and a quoted `check = "json"` are all such
    commands, not the JSON check: the warning says so. A warning, as `missing_programs`: PATH may differ."""
    import difflib

    from agentmake.runners.invocation import _SH_WORDS

    warnings = []
    for agent in af.agents.values():
        command = agent.check.command if agent.check is not None and agent.check.kind == "command" else None
        m = _PROGRAM.match(command or "")
        if command is None or m is None or m[1] in _SH_WORDS:
            continue
        program = m[1]
        if _program_found(af, program):
            continue
        where = " on PATH" if "/" not in program else " (or cannot be executed)"
        paid = "run" if agent.is_shell else "pay for an answer"
        text = f"{agent.name}: its check command's program {program} is not found{where}, so each of its"
        text += f" tasks would {paid}, then fail"
        if command.strip() == program and difflib.get_close_matches(program.lower(), ["json"], cutoff=0.6):
            text += (
                ": for the JSON check write `check = json` (bare, lower case: any other value is a command)"
            )
        else:
            text += f": install {program} or fix the check"
        warnings.append(text)
    return warnings


_ENV_WORD = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")


def list_targets(af: Agentfile, out: TextIO, verbose: bool = False, limit: int = 10) -> None:
    """Agents (description, runner, tasks after fan-out) and reports (output, inputs)."""
    from agentmake.graph import build_graph
    from agentmake.pathwords import quote_path, quote_paths

    graph = build_graph(af)
    width = max((len(n) for n in [*af.agents, *af.reports]), default=0)
    if af.agents:
        out.write("agents:\n")
    for name, agent in af.agents.items():
        tasks = [t for t in graph.tasks.values() if t.name == name]
        desc = f"{agent.description}  " if agent.description else ""
        line = f"  {name:<{width}}  {desc}[{agent.runner}, {plural(len(tasks), 'task')}]"
        out.write(term_safe(line) + "\n")
        if agent.variables:
            out.write(term_safe(f"    with {_settings_of(agent)}") + "\n")
        shown = tasks if verbose else tasks[:limit]
        for t in shown:
            out.write(term_safe(f"    {t.id}  -> {quote_paths(t.outputs)}") + "\n")
        if len(tasks) > len(shown):
            out.write(f"    … and {len(tasks) - len(shown)} more (-v shows all)\n")
    if af.reports:
        out.write("reports:\n")
    for name, report in af.reports.items():
        title = f"  {report.title}" if report.title else ""
        out.write(term_safe(f"  {name:<{width}}  -> {quote_path(report.output)}{title}") + "\n")
        if report.variables:
            out.write(term_safe(f"    with {_settings_of(report)}") + "\n")
    if af.settings.default:
        out.write(term_safe(f"default: {' '.join(af.settings.default)}") + "\n")


def _settings_of(spec: AgentSpec | ReportSpec, width: int = 40) -> str:
    """The variables a block sets for itself, for `list`: ``focus="security", tone="terse"`` (a long
    value cut short with an ellipsis)."""
    shown = []
    for name, value in spec.variables:
        quoted = json.dumps(value, ensure_ascii=False)
        if len(quoted) > width:
            quoted = quoted[: width - 2] + '…"'
        shown.append(f"{name}={quoted}")
    return ", ".join(shown)


STARTER_AGENTFILE = """\
# Agentfile: what agentmake builds. Run `agentmake check`, `agentmake list`, then `agentmake`.
# The language is described in grammar/README.md of the agentmake sources.

jobs = 4                     # tasks at once
retries = 2                  # retries after a failed attempt
runner = claude              # claude, codex, gemini, llm, ollama or aider (gemini, ollama: set `model` too)
# (or openai-http: any OpenAI-compatible server, vLLM or llama.cpp; set `model`, and the server's url in a
#  block `runner openai-http:` with `url = http://localhost:8000/v1`, or OPENAI_BASE_URL)
style = "short and concrete" # a variable: prompts see it as {{ style }}

# One task per Markdown file in notes/: notes/a.md -> build/summaries/a.md
agent summarize:
    description = Summarise each note
    inputs = notes/{name}.md
    outputs = build/summaries/{name}.md
    prompt = prompts/summarize.md

# A shell agent: no LLM, {input}/{output} are shell-quoted
agent count:
    description = Count the words of each summary
    inputs = build/summaries/{name}.md
    outputs = build/counts/{name}.txt
    run = wc -w < {input} > {output}

report digest:
    title = Notes digest
    inputs = build/summaries/*.md build/counts/*.txt
    output = build/digest.md
"""

STARTER_PROMPT = """\
Summarise the note below in five bullet points, {{ style }}.
Answer with the summary only, in Markdown: your answer becomes {{ output }}.

{% for f in files %}
--- {{ f.path }}
{{ f.content }}
{% endfor %}
"""

STARTER_NOTE = "# A first note\n\nReplace this with your own notes; each one gets a summary.\n"


def init_project(directory: Path, out: TextIO, agentfile: Path | None = None) -> int:
    """Write a starter project into `directory`; refuse if any of its files already exists. With
    `agentfile` (`-f FILE`, relative to `directory`) the Agentfile is written there, and its prompt and
    note beside it: in the directory that holds it, the project's root as every other command takes it."""
    path = directory / (agentfile if agentfile is not None else "Agentfile")
    directory = path.parent
    files = {
        path.name: STARTER_AGENTFILE,
        "prompts/summarize.md": STARTER_PROMPT,
        "notes/example.md": STARTER_NOTE,
    }
    parents = dict.fromkeys(Path(rel).parent for rel in files if Path(rel).parent != Path("."))
    if Path(path.name) in parents:
        raise UsageError(
            f"init: an Agentfile named {path.name} would stand where the directory {path.name} goes"
        )
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"init: {directory} is not a directory; nothing written")
    # (a link counts, even a dangling one: writing through it would write elsewhere)
    existing = [rel for rel in files if (directory / rel).exists() or (directory / rel).is_symlink()]
    if existing:
        verb = "already exists" if len(existing) == 1 else "already exist"
        raise UsageError(f"init: {', '.join(existing)} {verb} in {directory}; nothing written")
    # a file where a directory goes fails before anything is written: not after the Agentfile, which a
    # second `init` then refuses to replace
    blocked = [str(p) for p in parents if (directory / p).exists() and not (directory / p).is_dir()]
    if blocked:
        raise UsageError(f"init: {', '.join(blocked)} in {directory} is not a directory; nothing written")
    for parent in parents:
        (directory / parent).mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        (directory / rel).write_text(text, encoding="utf-8")
        out.write(term_safe(f"wrote {directory / rel}") + "\n")
    # the commands that follow, and the prompt to edit, as the user must name them from here
    command, prompt = "agentmake", "prompts/summarize.md"
    if agentfile is not None:
        command += f" -f {shlex.quote(_from_here(path))}"
    elif not _is_here(directory):  # (`-C new init`: `agentmake check` here would find no Agentfile)
        command += f" -C {shlex.quote(_from_here(directory))}"
    if agentfile is not None or not _is_here(directory):
        prompt = _from_here(directory / prompt)
    out.write(term_safe(f"next: edit {prompt}, then run `{command} check` and `{command}`") + "\n")
    return 0


def _from_here(path: Path) -> str:
    """`path` as named from the working directory; absolute when there is none (deleted since)."""
    try:
        return os.path.relpath(path)
    except OSError:
        return str(path)


def _is_here(directory: Path) -> bool:
    """Whether `directory` is the working directory."""
    try:
        return os.path.samefile(directory, ".")
    except OSError:
        return False
