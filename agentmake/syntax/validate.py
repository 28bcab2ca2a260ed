"""Cross-block checks on a built Agentfile: runners exist, outputs have one owner, wildcards are bound,
and the
default targets exist. Each failure is an `AgentfileError` at the offending value."""

from __future__ import annotations

import re
from collections.abc import Mapping

from agentmake.errors import AgentfileError, Loc, did_you_mean
from agentmake.graph.globs import (
    PatternError,
    compile_pattern,
    is_outside_root,
    output_matcher,
    segment_matchers,
    target_path,
)
from agentmake.model import PRESET_NAMES, Agentfile, AgentSpec, ReportSpec, rests_on, runner_name
from agentmake.syntax.values import Source
from agentmake.templates import command_indices, command_names, render_command

_WILDCARD = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")  # (`{{` and `}}` first: literal braces, as in globs.py)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
ONCE = "each output once"  # what an output named twice by one agent should have been
RESERVED_WILDCARDS = ("input", "inputs", "output", "outputs")


def wildcards(pattern: str) -> list[str]:
    """Wildcard names in a pattern, in order of appearance (duplicates kept); `{{x}}` is literal text."""
    if "{" not in pattern:  # (most paths: no wildcard can be in them, and no scan is needed to say so)
        return []
    return [m.group(1) for m in _WILDCARD.finditer(pattern) if m.group(1) is not None]


class Validator:
    def __init__(self, af: Agentfile, sources: Mapping[str, Source], setting_locs: Mapping[str, Loc]) -> None:
        self.af = af
        self.sources = sources
        self.setting_locs = setting_locs

    def error(
        self, message: str, loc: Loc | None, expected: list[str] | None = None, hint: str | None = None
    ) -> AgentfileError:
        src = None
        if loc is not None and loc.file in self.sources:
            lines = self.sources[loc.file].lines
            src = lines[loc.line - 1] if 0 < loc.line <= len(lines) else None
        return AgentfileError(message, loc, expected or [], hint, src)

    def run(self) -> None:
        af = self.af
        runner_loc = self.setting_locs.get("runner")  # (none: set on the command line)
        self.check_runner(
            af.settings.runner,
            runner_loc,
            "" if runner_loc else f"command line runner={af.settings.runner}: ",
        )
        owners: dict[str, str] = {}
        for agent in af.agents.values():
            self.check_runner(agent.runner, agent.key_locs.get("runner", agent.loc))
            if not agent.is_shell:
                self.check_prompt_runner(agent.runner, agent.key_locs.get("runner"), "an agent's `prompt`")
            self.check_wildcards(agent)
            self.check_commands(agent)
            self.claim(owners, agent.outputs, agent, "outputs")
        for report in af.reports.values():
            if report.runner is not None:
                self.check_runner(report.runner, report.key_locs.get("runner"))
            if report.merge is not None:
                name = runner_name(report, af.settings)
                self.check_prompt_runner(name, report.key_locs.get("runner"), "a report's `merge` prompt")
            if wildcards(report.output):
                raise self.error(
                    "a report's output cannot contain a {wildcard}",
                    report.key_locs.get("output"),
                    ["one file path, without {wildcards}"],
                    hint="reports are not fanned out; name one file",
                )
            self.claim(owners, (report.output,), report, "output")
        targets = set(af.agents) | set(af.reports)
        for name in af.settings.default:
            if name in targets:
                continue
            known, hint = self.default_target(name)
            if not known:
                loc = self.setting_locs.get("default")
                raise self.error(
                    ("" if loc else "command line default: ") + f"default names unknown target '{name}'",
                    loc,
                    sorted(targets),
                    hint or did_you_mean(name, targets),
                )

    def default_target(self, name: str) -> tuple[bool, str | None]:
        """Whether `default`'s `name` (not an agent or report) is a target the command line could take (a
        task id, an output path, a directory of outputs: `Graph.resolve`) for some files on disk, and if not,
        a hint. Which files a fan-out makes is known once the graph is built: a name one of its tasks could
        make is taken here, and resolved (or said to be unknown) by the build."""
        agent, colon, _ = name.partition(":")
        if colon and agent in self.af.agents:  # a task id: `agent:value,...` of a fan-out
            return any(wildcards(p) for p in self.af.agents[agent].inputs), None
        path = target_path(name, str(self.af.root))
        if not path or is_outside_root(path):
            return False, None
        parts = path.split("/")
        declared: list[tuple[AgentSpec | ReportSpec, str]] = [
            (spec, out) for spec in self.af.agents.values() for out in spec.outputs
        ]
        declared += [(report, report.output) for report in self.af.reports.values()]
        for spec, out in declared:
            try:
                pattern = compile_pattern(out)
            except PatternError:
                continue  # (the graph says what is wrong with it)
            if pattern.wildcards and path == pattern.text:
                hint = f"`default` names targets, not patterns: name agent '{spec.name}' for all its tasks"
                return False, hint
            if pattern.is_literal:
                if path == pattern.literal_path or pattern.literal_path.startswith(path + "/"):
                    return True, None
                continue
            if output_matcher(pattern).fullmatch(path) is not None:
                return True, None
            segments = segment_matchers(pattern)
            if len(segments) > len(parts) and all(
                m.fullmatch(part) for m, part in zip(segments, parts, strict=False)
            ):
                return True, None  # a directory its outputs may be made under
        return False, None

    def check_runner(self, name: str, loc: Loc | None, prefix: str = "") -> None:
        if name not in self.af.runners:
            raise self.error(
                f"{prefix}unknown runner '{name}'",
                loc,
                sorted(self.af.runners),
                did_you_mean(name, self.af.runners),
            )

    def check_prompt_runner(self, name: str, loc: Loc | None, what: str) -> None:
        """A prompt's runner `name` (`loc`: where its block names it; None: the `runner` setting) is not
        the shell runner (or one based on it): that runs the command it is given as its argument
        (`sh -c COMMAND`), and a prompt goes on stdin: every attempt would fail, `-c requires an argument`."""
        runner = self.af.runners.get(name)
        if runner is None or rests_on(runner, PRESET_NAMES) != "shell":
            return
        setting = loc is None
        loc = loc or self.setting_locs.get("runner")
        prefix = "" if loc is not None or not setting else f"command line runner={name}: "
        raise self.error(
            f"{prefix}{what} cannot run on the shell runner '{name}': it runs a `run` command, not a prompt",
            loc,
            hint=(
                "name an LLM runner (claude, codex, gemini, llm, ollama, aider, openai-http), or write a"
                " shell agent with `run`"
            ),
        )

    def claim(
        self, owners: dict[str, str], outputs: tuple[str, ...], spec: AgentSpec | ReportSpec, key: str
    ) -> None:
        for out in outputs:
            prev = owners.get(out)
            loc = spec.key_locs.get(f"{key}:{out}") or spec.key_locs.get(key, spec.loc)
            if prev == spec.name:
                raise self.error(f"output '{out}' is named twice in {key}", loc, [ONCE])
            if prev is not None:
                raise self.error(
                    f"output '{out}' is already declared by '{prev}'",
                    loc,
                    ["an output no other agent or report declares"],
                    hint=(
                        f"every file has one producer: rename one of the two, or, if '{spec.name}' is to read"
                        f" the file '{prev}' makes, list it in its inputs instead"
                    ),
                )
            owners[out] = spec.name

    def check_wildcards(self, agent: AgentSpec) -> None:
        bound: set[str] = set()
        for key, patterns in (("inputs", agent.inputs), ("outputs", agent.outputs)):
            for pattern in patterns:
                # (the pattern's own place when known: a caret under the first input would blame that one)
                loc = agent.key_locs.get(f"{key}:{pattern}") or agent.key_locs.get(key, agent.loc)
                for name in wildcards(pattern):
                    if not _NAME.match(name):
                        raise self.error(
                            f"bad wildcard '{{{name}}}' in '{pattern}'",
                            loc,
                            ["{name}"],
                            "a wildcard is {name}: letters, digits and '_' (constraints such as "
                            "{name:...} are not supported)",
                        )
                    if name in RESERVED_WILDCARDS:
                        raise self.error(
                            f"'{{{name}}}' is reserved and cannot be a wildcard",
                            loc,
                            ["a wildcard name other than input, inputs, output, outputs"],
                            "choose another name, e.g. {stem}",
                        )
                    if key == "inputs":
                        bound.add(name)
                    elif name not in bound:
                        raise self.error(
                            f"wildcard '{{{name}}}' in output '{pattern}' is bound by no input",
                            loc,
                            sorted(f"{{{b}}}" for b in bound) or [f"an input pattern with {{{name}}} in it"],
                            did_you_mean(name, bound)
                            or f"an output's {{{name}}} is the value it took in the input file a task reads:"
                            f" put {{{name}}} in an input pattern (inputs = src/{{{name}}}.md), or write the"
                            " output without it",
                        )
                if "{" in pattern or "}" in pattern:  # (a lone brace: said before an output is left unbound)
                    try:
                        compile_pattern(pattern)
                    except PatternError as e:
                        raise self.error(f"agent '{agent.name}' {key}: {e}", loc) from None

    def check_commands(self, agent: AgentSpec) -> None:
        """Render `run` and a command `check` with dummy values, so a placeholder typo (`{ouput}`) or a lone
        brace is reported now rather than after the agent has run (and been paid for)."""
        values: dict[str, str | list[str]] = {"input": "x", "output": "x"}
        values["outputs"] = ["x"] * len(agent.outputs)  # every output pattern is one path of each task
        for pattern in agent.inputs:
            values.update((name, "x") for name in wildcards(pattern))
        commands = [("run", agent.run)]
        if agent.check is not None and agent.check.kind == "command":
            commands.append(("check", agent.check.command))
        for key, command in commands:
            if command is None:
                continue
            loc = agent.key_locs.get(key, agent.loc)
            if not agent.inputs and "input" in command_names(command):
                # (every task would get '' for it: `cat ''` fails, after the agent was paid for, for a check)
                raise self.error(
                    f"`{key}` of agent '{agent.name}': '{{input}}' names no file: the agent has no inputs",
                    loc,
                    ["inputs = FILES"],
                    "declare its `inputs`, or remove '{input}'",
                )
            # a glob input may be any number of paths: then an input index is checked per task; without one,
            # every task has one path per input pattern
            fixed = not any(c in p for p in agent.inputs for c in "*?[")
            n = (
                len(dict.fromkeys(agent.inputs))
                if fixed
                else max(command_indices(command, "input"), default=0) + 1
            )
            values["inputs"] = ["x"] * n
            try:
                render_command(command, values, loc)
            except AgentfileError as e:
                raise self.error(
                    f"`{key}` of agent '{agent.name}': {e.message}", loc, e.expected, e.hint
                ) from None
