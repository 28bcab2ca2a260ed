"""Settings and raw blocks -> model objects: `Settings`, `RunnerSpec`, `AgentSpec` and `ReportSpec`.

Runs once `transform.collect` has read the whole file, so every spec sees the final settings. Each value is
checked where it is converted, and its error points at its line.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import replace

from agentmake.errors import AgentfileError, Loc, did_you_mean
from agentmake.model import OUTPUT_FORMATS, AgentSpec, Check, ReportSpec, RunnerSpec, Settings, rests_on
from agentmake.syntax import values as v
from agentmake.syntax.files import PromptFiles, declared_path, no_other_templates
from agentmake.syntax.transform import SETTINGS, Field, RawBlock


def build_settings(fields: Mapping[str, Field], overrides: Mapping[str, str]) -> Settings:
    """Settings from their assignments, command-line overrides winning."""
    s = Settings()
    cl = v.Source("command line", [])
    for key, raw in overrides.items():
        if key in SETTINGS:
            try:
                s = _setting(s, key, raw.split(), cl, 0, 0)
            except AgentfileError as e:
                raise AgentfileError(f"command line {key}={raw}: {e.message}", None, e.expected) from None
    for key, f in fields.items():
        s = _setting(s, key, f.words, f.src, f.line, f.col)
    return s


DURATIONS = ("timeout", "backoff")  # keys whose value is a duration: one in words is said to be none


def _setting(s: Settings, key: str, words: list[str], src: v.Source, line: int, col: int) -> Settings:
    if key != "default" and key not in DURATIONS and len(words) != 1:
        raise src.error(f"{key} takes one value", line, col, ["one value"])
    text = " ".join(words)
    if key == "jobs":
        return replace(s, jobs=v.to_int(text, key, src, line, col, 1))
    if key == "retries":
        return replace(s, retries=v.to_int(text, key, src, line, col, 0))
    if key == "cache_size":
        return replace(s, cache_size_mb=v.to_int(text, key, src, line, col, 0))
    if key == "timeout":
        return replace(s, timeout=v.to_duration(text, key, src, line, col, limit=True))
    if key == "budget":
        return replace(s, budget=v.to_float(text, key, src, line, col))
    if key == "backoff":
        return replace(s, backoff=v.to_duration(text, key, src, line, col))
    if key == "runner":
        return replace(s, runner=text)
    if key == "model":
        return replace(s, model=text)
    return replace(s, default=tuple(words))


def build_runner(
    b: RawBlock, known: Mapping[str, RunnerSpec], presets: Mapping[str, RunnerSpec]
) -> RunnerSpec:
    f = b.fields
    if "base" in f:
        base_name = f["base"].one()
        if base_name not in known:
            raise f["base"].error(
                f"unknown runner '{base_name}'", sorted(known), did_you_mean(base_name, known)
            )
        parent = known[base_name]  # (invoked as the preset it rests on: its login, its config directory)
        spec = replace(parent, name=b.name, base=base_name, preset=rests_on(parent, presets), loc=b.loc)
    elif b.name in presets:
        spec = replace(presets[b.name], loc=b.loc)
    elif "command" not in f:
        raise b.error(
            f"runner '{b.name}' needs a command",
            ['command = "..."', "base = PRESET"],
            f"built-in presets: {', '.join(presets)}",
        )
    else:
        spec = RunnerSpec(name=b.name, command=(), loc=b.loc)
    if "command" in f:
        try:
            argv = tuple(shlex.split(f["command"].text()))
        except ValueError as e:
            raise f["command"].error(f"cannot split the command: {e}") from None
        if not argv:
            raise f["command"].error("the command is empty", ["a command"])
        spec = replace(spec, command=argv)
    if "model" in f:
        spec = replace(spec, model=f["model"].one())
    if "model_flag" in f:
        spec = replace(spec, model_flag=f["model_flag"].one())
    if "format" in f:
        fmt = f["format"].one()
        if fmt not in OUTPUT_FORMATS:
            raise f["format"].error(
                f"unknown output format '{fmt}'", list(OUTPUT_FORMATS), did_you_mean(fmt, OUTPUT_FORMATS)
            )
        spec = replace(spec, format=fmt)
    else:
        spec = replace(spec, format=_implied_format(spec, presets, "command" in f))
    if "parallel" in f:
        spec = replace(spec, parallel=_int(f["parallel"], 1))
    if "retries" in f:
        spec = replace(spec, retries=_int(f["retries"], 0))
    if "timeout" in f:
        spec = replace(spec, timeout=_dur(f["timeout"], limit=True))
    if "env" in f:
        spec = replace(spec, env=_env_names(f["env"]))
    if "url" in f:
        spec = replace(spec, url=_url(f["url"], spec, presets))
    return spec


def _env_names(f: Field) -> tuple[str, ...]:
    """A runner's `env`: the names of environment variables its CLI is given (`env = 5` passed nothing)."""
    for i, word in enumerate(f.words):
        if not _ENV_NAME.fullmatch(word):
            line, col = f.positions[i] if f.positions and i < len(f.positions) else (f.line, f.col)
            raise f.src.error(
                f"env names environment variables: '{word}' is not a variable's name",
                line,
                col,
                ["names of letters, digits and '_', not starting with a digit (env = OPENAI_API_KEY HOME)"],
            )
    return tuple(f.words)


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _url(f: Field, spec: RunnerSpec, presets: Mapping[str, RunnerSpec]) -> str:
    """An `openai-http` runner's server (`presets.url_problem` says what it may be)."""
    from agentmake.runners.presets import url_problem

    url = f.one()
    if rests_on(spec, presets) != "openai-http":
        raise f.error(
            "`url` is the server of an openai-http runner",
            ["base = openai-http"],
            "other runners take their endpoint from their own variables, passed with `env`",
        )
    problem = url_problem(url)
    if problem is not None:
        raise f.error(f"bad url: {problem}")
    return url


def _implied_format(spec: RunnerSpec, presets: Mapping[str, RunnerSpec], own_command: bool) -> str:
    """The format a runner that sets none reads its CLI's output in: what its command makes the CLI print
    (shared/RUNNERS.md). An `llm` runner told `--json` prints a JSON array of records: read as `llm-json`
    (the answer, and its tokens), not as `text` (the whole record, prompt included, as the output). A
    claude, codex or gemini runner that sets its own command (`own_command`) is read the way that command
    has the CLI print: `claude -p` without `--output-format json|stream-json`, `codex exec` without
    `--json` and `gemini` without `-o json|stream-json` print the answer alone, which read as JSON was a
    failure, and every retry of it was paid for again. A wrapper program keeps its preset's format unless
    its command names an output format."""
    preset, argv = rests_on(spec, presets), spec.command
    if preset == "llm" and spec.format == "text" and "--json" in argv:
        return "llm-json"
    if not own_command or preset not in ("claude", "codex", "gemini"):
        return spec.format
    # a wrapper (`my-claude.sh`, `npx ...`) may add the flags itself: its preset's format stays, unless its
    # own command says what to print
    cli = bool(argv) and os.path.basename(argv[0]) == preset
    if preset == "claude":
        shown = _flag_value(argv, ("--output-format",))
        if shown in ("json", "stream-json"):
            return "claude-json"
        return "text" if cli or shown is not None else spec.format  # (text: claude's default)
    if preset == "codex":
        return "codex-jsonl" if "--json" in argv else "text" if cli else spec.format
    shown = _flag_value(argv, ("-o", "--output-format"))
    if shown in ("json", "stream-json"):
        return "gemini-json"
    return "text" if shown == "text" or (cli and shown is None) else spec.format


def _flag_value(argv: tuple[str, ...], names: tuple[str, ...]) -> str | None:
    """The value the last of `names` is given in `argv` (``--flag value`` or ``--flag=value``), if any."""
    value = None
    for i, word in enumerate(argv):
        name, eq, rest = word.partition("=")
        if name in names:
            value = rest if eq else argv[i + 1] if i + 1 < len(argv) else None
    return value


def _int(f: Field, minimum: int | None = None) -> int:
    return v.to_int(f.one(), f.key, f.src, f.line, f.col, minimum)


def _dur(f: Field, limit: bool = False) -> float:
    """A duration; one written in words (`5 minutes`) is said to be none, with the forms one takes."""
    text = f.text() if len(f.words) > 1 else f.one()
    return v.to_duration(text, f.key, f.src, f.line, f.col, limit)


def _paths(f: Field) -> tuple[str, ...]:
    """The paths of an `inputs` or `outputs` line; a list separated by commas (`a.md, b.md`, as other tools
    write one) is refused: it would declare a file named `a.md,`."""
    words = f.words
    # (a comma after a quoted path is a word of its own: `"my file.md", b.md`)
    if len(words) > 1 and ("," in words or all(w.endswith(",") for w in words[:-1])):
        paths = [w.rstrip(",") for w in words if w != ","]
        quoted = (w.replace("\\", "\\\\").replace('"', '\\"') for w in paths)
        shown = " ".join(
            f'"{q}"' if re.search(r'[\s"#()=]', w) else w for w, q in zip(paths, quoted, strict=True)
        )
        first = words[0] if words[0].endswith(",") else f"{words[0]},"
        raise f.error(
            f"{f.key} are separated by spaces, not commas: '{first}'",
            ["paths separated by spaces"],
            f"write {f.key} = {shown}",
        )
    return tuple(declared_path(w) for w in words)


def build_agent(b: RawBlock, settings: Settings, files: PromptFiles) -> AgentSpec:
    f = b.fields
    if ("prompt" in f) == ("run" in f):
        which = "both `prompt` and `run`" if "prompt" in f else "neither `prompt` nor `run`"
        raise b.error(
            f"agent '{b.name}' has {which}; it needs exactly one",
            ['prompt = FILE or "..."', "run = COMMAND"],
        )
    outputs = _paths(f["outputs"]) if "outputs" in f else ()
    if not outputs:
        raise (f["outputs"].error if "outputs" in f else b.error)(
            f"agent '{b.name}' declares no outputs", ["outputs = FILE..."]
        )
    prompt = files.prompt(f["prompt"], "prompt") if "prompt" in f else None
    run = f["run"].text() if "run" in f else None
    if run is not None:
        if not run.strip():
            raise f["run"].error("the command is empty", ["a command"])
        if "runner" in f and f["runner"].one() != "shell":
            raise f["runner"].error(
                "an agent with `run` always uses the shell runner",
                ["shell"],
                "remove `runner`, or use `prompt` instead of `run`",
            )
        runner = "shell"
    else:
        runner = f["runner"].one() if "runner" in f else settings.runner
    check = None
    if "check" in f:
        text = f["check"].text()
        if not text:
            raise f["check"].error("check needs a value", ["json", "a command"])
        check = Check("json") if f["check"].bare and text == "json" else Check("command", text)
    return AgentSpec(
        name=b.name,
        inputs=_paths(f["inputs"]) if "inputs" in f else (),
        outputs=outputs,
        prompt=prompt,
        run=run,
        runner=runner,
        model=f["model"].one() if "model" in f else None,
        check=check,
        description=f["description"].text() if "description" in f else None,
        priority=_int(f["priority"]) if "priority" in f else 0,
        retries=_int(f["retries"], 0) if "retries" in f else None,
        timeout=_dur(f["timeout"], limit=True) if "timeout" in f else None,
        estimate=_dur(f["estimate"]) if "estimate" in f else None,
        variables=tuple(b.variables.items()),
        loc=b.loc,
        key_locs=_key_locs(f),
    )


def build_report(b: RawBlock, files: PromptFiles) -> ReportSpec:
    f = b.fields
    if "output" not in f:
        raise b.error(f"report '{b.name}' declares no output", ["output = FILE"])
    inputs = _paths(f["inputs"]) if "inputs" in f else ()
    if not inputs:  # (it would gather nothing: an empty document, built as if that were the report)
        raise (f["inputs"].error if "inputs" in f else b.error)(
            f"report '{b.name}' declares no inputs: it would gather nothing",
            ["inputs = FILE or GLOB..."],
            "name the files it aggregates, e.g. `inputs = build/*.md`",
        )
    if "merge" in f and "template" in f:
        raise f["template"].error("a report has either `merge` or `template`, not both")
    if "merge" not in f:  # (as `runner` on an agent with `run`: a setting that would be silently ignored)
        for key in ("runner", "model"):
            if key in f:
                raise f[key].error(
                    f"`{key}` applies to a report's `merge` agent, and report '{b.name}' has no `merge`",
                    [],
                    f"remove `{key}` (a built-in or template report calls no agent), or add `merge = PROMPT`",
                )
    template = None
    if "template" in f:
        template, text = files.read(f["template"], "template")
        no_other_templates(f["template"], "template", template, text)
    summary = True
    if "summary" in f:
        summary = v.to_bool(f["summary"].one(), "summary", b.src, f["summary"].line, f["summary"].col)
    return ReportSpec(
        name=b.name,
        inputs=inputs,
        output=declared_path(f["output"].one()),
        title=f["title"].text() if "title" in f else None,
        merge=files.prompt(f["merge"], "merge prompt") if "merge" in f else None,
        template=template,
        summary=summary,
        runner=f["runner"].one() if "runner" in f else None,
        model=f["model"].one() if "model" in f else None,
        variables=tuple(b.variables.items()),
        loc=b.loc,
        key_locs=_key_locs(f),
    )


def _key_locs(fields: Mapping[str, Field]) -> dict[str, Loc]:
    """Where each key's value starts and, for a list of paths, where each path is (``inputs:PATH``), so that
    an error about its third input points at the third input."""
    locs = {k: Loc(fl.src.name, fl.line, fl.col) for k, fl in fields.items()}  # (each `fl.loc`, inlined)
    for key in ("inputs", "outputs"):
        fl = fields.get(key)
        if fl is not None and fl.positions is not None and len(fl.positions) == len(fl.words) > 1:
            for word, (line, col) in zip(fl.words, fl.positions, strict=True):
                locs.setdefault(f"{key}:{declared_path(word)}", Loc(fl.src.name, line, col))
    return locs
