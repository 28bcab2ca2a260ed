"""What `agentmake check` points out that is not an error (`check_warnings`): a misspelt setting or a
block's line taken as a variable (`setting_typos`, which every load says too), runners with no model or one
never passed, runners whose CLI's JSON is read as text (`json_read_as_text`), codex runners given a legacy
profile selector or a key in the project's ``.env`` (`codex_warnings`), agents that make no task,
report patterns that match nothing, an Agentfile that declares nothing (`declares_nothing`, which a build
says too), and programs that are not found; the agents that cannot write their outputs are
`unwritable.unwritable_outputs`' (imported here, as callers and tests import it).
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from agentmake.codex_warnings import codex_dotenv_keys, codex_profile_selectors
from agentmake.firstfew import first_few
from agentmake.invocation import command_line
from agentmake.model import Agentfile, model_of
from agentmake.unwritable import unwritable_outputs as unwritable_outputs

if TYPE_CHECKING:
    from agentmake.graph import Graph


def declares_nothing(af: Agentfile) -> str | None:
    """What to say of an Agentfile that declares no agent and no report (empty, or variables alone): it has
    nothing to build (a build's bare `0 ran` would read as all built). None when it declares one."""
    if af.agents or af.reports:
        return None
    from dataclasses import replace

    from agentmake.invocation import given
    from agentmake.syntax.load import display_name

    # (`init` refuses to write over this Agentfile, which is there: it writes an example beside it instead)
    here = replace(given(), agentfile=None)
    init = command_line("init", "-f", f"{STARTER}/Agentfile", invocation=here, values=False)
    return (
        f"{display_name(af.path)} declares no agent and no report: nothing to build (an `agent NAME:` block"
        f" declares one; `{init}` writes an example in {STARTER}/)"
    )


STARTER = "starter"  # the directory `declares_nothing`'s `init` writes its example in


def setting_typos(af: Agentfile) -> list[str]:
    """Variables named one slip away from a setting (`jbos = 4`, `retry = 3`) that nothing reads: almost
    surely a misspelt setting, which would otherwise be taken silently as a variable. One warning each.
    Likewise a variable named like a block's key (`check`, `inputs`...) that nothing reads: almost surely a
    block's line that lost its indentation, which silently took the key from its block."""
    from agentmake.syntax.load import display_name, idle_override_names
    from agentmake.syntax.transform import BLOCK_KEYS
    from agentmake.syntax.values import SETTINGS

    told = idle_override_names(af.notes)  # (`jbos=3` on the command line alone: its own warning says it)
    near = {
        name: s
        for name in af.variables
        if name not in told
        for s in SETTINGS
        if _one_slip(name, s) or _stem_of(name, s)
    }
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
        f"'{n}'{where(n)} is taken as a variable, not a setting: did you mean '{near[n]}'?"
        for n in near
        if not used(n)
    ]
    warnings += [
        f"'{n}'{where(n)} is taken as a top-level variable, and nothing reads it: if it is a line of the"
        " block above it, indent it as that block's lines"
        for n in stray
        if not used(n)
    ]
    return [*af.notes, *warnings]


def load_warnings(af: Agentfile) -> list[str]:
    """What every command that loads the Agentfile to build says of it: the misspelt settings
    (`setting_typos`), the agents that cannot write their outputs (`unwritable_outputs`) and the codex
    runners that codex refuses to start (`codex_profile_selectors`)."""
    return setting_typos(af) + unwritable_outputs(af) + codex_profile_selectors(af)


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


def check_warnings(
    af: Agentfile, graph: Graph | None, unfound: dict[str, tuple[str, list[str]]] | None = None
) -> list[str]:
    """What `check` points out that is not an error: a misspelt setting taken as a variable
    (`setting_typos`), agents on gemini with no model (its `auto` router makes extra calls, paid for:
    RUNNERS.md says to pin one), and LLM agents given a model that their runner has no `model_flag` to pass
    (the CLI never sees it: it is not part of their keys either), shell agents whose block sets a model
    (none is called), agents that make no task (`idle_agents`),
    an input's wildcard missing from the outputs while one file matches (`fan_outs_into_one`), placeholders
    in the other language's spelling (`placeholder_warnings`: `{{ input }}` in a command, `{name}` in a
    prompt...), and runners and `check` commands whose program is not found (`missing_programs`,
    `missing_check_programs`; `unfound`: `unfound_runners(af)`, when the caller has it already)."""
    from agentmake.runners.presets import preset_of

    unpinned: list[str] = []
    unpassed: dict[tuple[str, str], list[str]] = {}  # (runner, model) -> agents
    shell_model: list[str] = []  # shell agents whose block sets a model
    for name, agent in af.agents.items():
        runner = af.runners.get(agent.runner)
        model = model_of(agent, runner, af.settings)
        if runner is not None and preset_of(runner) == "gemini" and not model:
            unpinned.append(name)
        if runner is not None and model and runner.model_flag is None and not agent.is_shell:
            unpassed.setdefault((runner.name, model), []).append(name)
        if agent.is_shell and "model" in agent.key_locs:  # (its own line, not a project-wide `model`)
            shell_model.append(name)
    nothing = declares_nothing(af)
    warnings = [nothing] if nothing is not None else []
    warnings += setting_typos(af)
    if shell_model:
        warnings.append(
            f"{', '.join(shell_model)}: `model` is set on a shell agent (`run = ...`), which calls no model:"
            " it has no effect; remove it, or give the agent a `prompt` to have an LLM run it"
        )
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
    from agentmake.placeholder_warnings import placeholder_warnings

    warnings += unwritable_outputs(af) + codex_profile_selectors(af) + codex_dotenv_keys(af)
    warnings += json_read_as_text(af)
    warnings += idle_agents(af, graph) + idle_report_patterns(graph)
    warnings += fan_outs_into_one(af, graph) + placeholder_warnings(af, graph)
    return warnings + missing_programs(af, unfound) + missing_check_programs(af)


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


def idle_report_patterns(graph: Graph | None) -> list[str]:
    """A report's input patterns that match no file and no agent's output (`outs/*.md` for `out/*.md`): not
    an error (a built-in report says `_(no file matches)_` in their place, as the files may come later), but
    said, as an agent's pattern that matches nothing stops the load."""
    if graph is None:
        return []
    from agentmake.graph.globs import compile_pattern
    from agentmake.model import ReportSpec

    warnings = []
    for t in graph.tasks.values():  # (as `report.builtin.unmatched`, whose module start-up need not load)
        spec = t.spec
        if t.kind != "report" or not isinstance(spec, ReportSpec):
            continue
        for text in spec.inputs:
            pattern = compile_pattern(text)
            if not pattern.is_literal and not any(pattern.regex.fullmatch(p) for p in t.inputs):
                # (only the built-in document says so: a merge agent or a template is given the rest)
                builtin = spec.merge is None and spec.template is None
                said = (
                    "its report will say `_(no file matches)_` there"
                    if builtin
                    else "its report is made without it"
                )
                warnings.append(
                    f"report {t.name}: inputs pattern {text} matches no file and no agent's output ({said})"
                )
    return warnings


def fan_outs_into_one(af: Agentfile, graph: Graph | None) -> list[str]:
    """Agents with a `{wildcard}` in their inputs that none of their outputs holds, while it has one value
    (`inputs = src/{name}.py`, `outputs = build/all.md`, one file in src/): the agent loads now, but each
    file added makes one more task writing the same outputs, and the Agentfile stops loading (`produced by
    both`). Said while it still works, with the same two ways out as that error."""
    if graph is None:
        return []
    from agentmake.syntax.validate import wildcards

    values: dict[str, dict[str, set[str]]] = {}  # agent -> wildcard -> its values among the agent's tasks
    for t in graph.tasks.values():
        if t.kind == "agent":
            for w, value in t.wildcards:
                values.setdefault(t.name, {}).setdefault(w, set()).add(value)
    warnings = []
    for name, by_wildcard in values.items():
        agent = af.agents[name]
        held = {w for out in agent.outputs for w in wildcards(out)}
        lone = [w for w, vals in by_wildcard.items() if w not in held and len(vals) == 1]
        if lone:
            names = ", ".join(f"{{{w}}}" for w in lone)
            loc = agent.key_locs.get("outputs")
            at = f" ({loc})" if loc is not None else ""
            warnings.append(
                f"{name}: {names} is in its inputs but not in its outputs{at}: each file it matches is a"
                f" task writing {', '.join(agent.outputs)}, so a second such file will stop the Agentfile"
                f" from loading: put {names} in its outputs too, or read every match in one task with a"
                " glob (*)"
            )
    return warnings


def json_read_as_text(af: Agentfile) -> list[str]:
    """Runners based on no preset (a new name, no `base`) whose command has claude, codex, gemini or llm
    print JSON (`claude -p --output-format stream-json`): read as text, the JSON itself became the output
    and its cost and tokens went uncounted (`check` said ok); `base = CLI` reads it as that preset does.
    One warning each."""
    from agentmake.runners.presets import preset_of

    said = []
    for runner in af.runners.values():
        if preset_of(runner) is not None or runner.format != "text" or not runner.command:
            continue
        cli = os.path.basename(runner.command[0])
        asked = _json_asked(cli, runner.command)
        if asked:
            said.append(
                f"runner {runner.name}: its command has {cli} print JSON ({asked}), which a runner based on"
                f" no preset takes as the answer: the JSON becomes the output, its cost and tokens uncounted;"
                f" add `base = {cli}` to read it as the {cli} preset does"
            )
    return said


def _json_asked(cli: str, argv: tuple[str, ...]) -> str:
    """The words of `argv` that have `cli` print JSON (`--json`, `--output-format stream-json`), else "": of
    an output format given more than once, the last one's (as the CLI keeps it: `last_given`)."""
    from agentmake.runners.argvflags import last_given

    if cli in ("codex", "llm"):
        return "--json" if "--json" in argv else ""
    names = {"claude": ("--output-format",), "gemini": ("-o", "--output-format")}.get(cli, ())
    given = last_given(argv, *names)
    return given[0] if given is not None and given[1] in ("json", "stream-json") else ""


def missing_programs(af: Agentfile, unfound: dict[str, tuple[str, list[str]]] | None = None) -> list[str]:
    """The LLM runners in use whose program is neither on PATH nor (a path) in the project: each of their
    tasks would fail, `command not found`, after the tasks before them were paid for. A warning, not an
    error: the build may run where PATH differs. `unfound`: `unfound_runners(af)`, if the caller has it."""
    if unfound is None:
        unfound = unfound_runners(af)
    return [
        f"runner {name}: {program} is not found on PATH, and every task of {first_few(specs)} would"
        f" fail: install {program} or fix PATH"
        for name, (program, specs) in unfound.items()
    ]


def unfound_runners(af: Agentfile) -> dict[str, tuple[str, list[str]]]:
    """The LLM runners in use whose program is not found (`missing_programs`): runner name -> (its program,
    the agents and merge reports that use it)."""
    from agentmake.model import agent_runner_users
    from agentmake.runners.presets import CLIENT, preset_of

    unfound: dict[str, tuple[str, list[str]]] = {}
    for name, specs in agent_runner_users(af).items():
        runner = af.runners.get(name)
        if runner is None or not runner.command:
            continue
        program = runner.command[0]
        if program == CLIENT and preset_of(runner) == "openai-http":
            continue  # (agentmake's own client, run by its own Python)
        if not _program_found(af, program):
            unfound[name] = (program, specs)
    return unfound


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
