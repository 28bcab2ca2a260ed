"""The Agentfile as plain data: what the parser produces and everything downstream reads.

Values here are already resolved: `${var}` substituted, durations in seconds, paths relative to the project
root in POSIX form. Nothing in this module does I/O.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from agentmake.errors import Loc

PRESET_NAMES = ("claude", "codex", "gemini", "llm", "ollama", "aider", "openai-http", "shell")
OUTPUT_FORMATS = (
    "text",
    "claude-json",
    "codex-jsonl",
    "gemini-json",
    "llm-json",
    "aider-text",
    "openai-json",
)


@dataclass(frozen=True)
class Prompt:
    """A prompt template: from a file (`path` set, `text` is the file's text) or inline (`path` None)."""

    text: str
    path: str | None = None
    loc: Loc | None = None
    # 1-based line in the Agentfile where an inline prompt's text starts (for template error locations)
    line_offset: int = 0


@dataclass(frozen=True)
class RunnerSpec:
    """How agents are invoked. Presets are RunnerSpecs too (see agentmake.runners.presets)."""

    name: str
    command: tuple[str, ...]  # argv prefix, shlex-split; never run through a shell
    base: str | None = None  # the runner this one starts from, as written (a preset or another runner)
    model: str | None = None
    model_flag: str | None = None  # e.g. "--model"; None: the runner takes no model
    format: str = "text"  # one of OUTPUT_FORMATS
    parallel: int | None = None
    retries: int | None = None
    timeout: float | None = None  # seconds
    env: tuple[str, ...] = ()  # names of environment variables passed through
    url: str | None = None  # the server of an `openai-http` runner (None: OPENAI_BASE_URL at run time)
    # the preset at the root of its `base` chain (`runner b: base = a` with `a` based on claude: claude);
    # None: its `base`, else its name, if that is a preset (`rests_on`)
    preset: str | None = None
    loc: Loc | None = None


@dataclass(frozen=True)
class Check:
    """How an output is verified: `kind` "json", or "command" with a command template in `command`."""

    kind: str
    command: str | None = None


@dataclass(frozen=True)
class AgentSpec:
    """One `agent` block. `inputs`/`outputs` are patterns: globs and `{wildcard}`s allowed."""

    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    prompt: Prompt | None = None
    run: str | None = None  # shell agent command template ({input}, {output}, {name}... substituted, quoted)
    runner: str = "claude"  # resolved: "shell" for run agents, else agent > settings.runner > "claude"
    model: str | None = None
    check: Check | None = None
    description: str | None = None
    priority: int = 0
    retries: int | None = None
    timeout: float | None = None
    estimate: float | None = None
    # the variables this block sets for itself (`focus = "security"` under the agent), in the order written,
    # with the values its prompt sees (a command-line override of the name wins: then it is not here)
    variables: tuple[tuple[str, str], ...] = ()
    loc: Loc | None = None
    key_locs: dict[str, Loc] = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_shell(self) -> bool:
        return self.run is not None


@dataclass(frozen=True)
class ReportSpec:
    """One `report` block: aggregate `inputs` into the document `output`."""

    name: str
    inputs: tuple[str, ...]
    output: str
    title: str | None = None
    merge: Prompt | None = None  # aggregator agent prompt; None: built-in aggregation
    template: str | None = None  # Jinja template file (project-relative)
    summary: bool = True
    runner: str | None = None
    model: str | None = None
    variables: tuple[tuple[str, str], ...] = ()  # set for this block alone, as an agent's `variables`
    loc: Loc | None = None
    key_locs: dict[str, Loc] = field(default_factory=dict, compare=False, hash=False)


def scope(spec: AgentSpec | ReportSpec, variables: dict[str, str]) -> dict[str, str]:
    """The variables `spec`'s templates see: the Agentfile's (`variables`), with the ones its block sets for
    itself in their place. `variables` itself when the block sets none."""
    return {**variables, **dict(spec.variables)} if spec.variables else variables


def runner_name(spec: AgentSpec | ReportSpec, settings: Settings) -> str:
    """The runner of an agent (resolved when loaded) or of a report's merge agent (its own, else the
    Agentfile's)."""
    return spec.runner if isinstance(spec, AgentSpec) else (spec.runner or settings.runner)


def agent_runner_users(af: Agentfile) -> dict[str, list[str]]:
    """The runners an agent (not a shell one) or a merge report runs on: runner name -> the agents and
    reports that use it, in the Agentfile's order."""
    users: dict[str, list[str]] = {}
    for agent in af.agents.values():
        if not agent.is_shell:
            users.setdefault(agent.runner, []).append(agent.name)
    for report in af.reports.values():
        if report.merge is not None:
            users.setdefault(runner_name(report, af.settings), []).append(report.name)
    return users


def rests_on(runner: RunnerSpec, presets: Collection[str]) -> str | None:
    """The preset, of `presets`, that `runner` is built on: the one at the root of its `base` chain, its
    `base`, or its own name when that is a preset."""
    if runner.preset is not None:
        return runner.preset
    if runner.base in presets:
        return runner.base
    return runner.name if runner.name in presets else None


def model_of(spec: AgentSpec | ReportSpec, runner: RunnerSpec | None, settings: Settings) -> str | None:
    """The model an LLM agent (or a report's merge agent) asks for: its own, else its runner's, else the
    Agentfile's."""
    return spec.model or (runner.model if runner is not None else None) or settings.model


@dataclass(frozen=True)
class Settings:
    """The Agentfile's reserved settings (jobs, retries, timeout, runner, model, budget, ...)."""

    jobs: int | None = None
    retries: int = 2
    timeout: float | None = None
    runner: str = "claude"
    model: str | None = None
    default: tuple[str, ...] = ()
    budget: float | None = None
    cache_size_mb: int = 1024
    backoff: float = 2.0  # seconds: base of the exponential retry backoff (jittered, capped at 60 s)


@dataclass
class Agentfile:
    """A loaded, validated Agentfile with its includes merged."""

    path: Path  # the main Agentfile (absolute)
    root: Path  # the project directory (absolute): paths are relative to it
    settings: Settings
    variables: dict[str, str]
    runners: dict[str, RunnerSpec]  # every runner an agent may use: presets merged with declarations
    agents: dict[str, AgentSpec]
    reports: dict[str, ReportSpec]
    files: tuple[Path, ...] = ()  # the Agentfile, its includes, prompt files, templates: what watch watches
    # what loading read: absolute path -> (file type bits, size, mtime_ns, inode) from just before the read,
    # the xxh3-128 of the bytes read, and when (wall clock ns): the build stamp (`plan.stamp`) rests on them
    reads: dict[str, tuple[int, int, int, int, str, int]] = field(
        default_factory=dict, compare=False, repr=False
    )
    notes: tuple[str, ...] = field(default=(), compare=False, repr=False)  # warnings of loading
    # of each variable the command line set, the value the Agentfile itself gives it (None: no one value;
    # `syntax.transform.Collected.own`): a `lang=es` where it says `lang = es` sets nothing new
    own_values: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)
