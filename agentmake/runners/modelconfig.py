"""The model an agent CLI takes from its own config file when it is given none and the environment names
none (`modelenv.MODEL_ENV` beats the file, as `-m`/`--model` beats both):

- claude: ``model`` in ``settings.json`` of CLAUDE_CONFIG_DIR, else ``~/.claude`` (`invocation` copies that
  very file into each job's config directory, so the job reads it), unless the project's own settings, which
  claude reads from its working directory (the project root), name one: ``.claude/settings.local.json``
  beats ``.claude/settings.json`` beats the user's; its managed settings file (`CLAUDE_MANAGED`:
  ``/etc/claude-code/managed-settings.json``) beats them all. An ``ANTHROPIC_MODEL`` in a settings file's
  ``env`` block (the same order) is applied over claude's environment, so it beats the environment's too
  (`settings_env_model`), as does an endpoint variable there (ANTHROPIC_BASE_URL: `CLAUDE_ENDPOINTS`), which
  a task's key holds as the environment's (`presets.env_endpoint`: its host and a digest without secrets);
- codex: ``model`` of its configuration, its layers merged as ``codex exec`` merges them
  (`authsettings.codex_layers`: ``/etc/codex/config.toml``, ``config.toml`` of CODEX_HOME, else
  ``~/.codex``, the ``<NAME>.config.toml`` there of the runner's ``-p``/``--profile NAME``, the
  ``.codex/config.toml`` files of a trusted project from its root down to the working directory, the
  ``-c`` overrides), the same view as its login's (`authsettings.codex_provider_key`) and its sandbox's
  (`writesettings.codex_writes`); none when the runner's command gives one (``-m``, ``-c model=...``:
  the command, keyed as written). codex 0.134 and later read no ``[profiles.NAME]`` table nor
  ``profile`` selector: neither is read;
- gemini: ``model.name`` (older: ``model``, a string) in its system settings file, which overrides every
  other (GEMINI_CLI_SYSTEM_SETTINGS_PATH, else ``/etc/gemini-cli/settings.json``; macOS:
  ``/Library/Application Support/GeminiCli/settings.json``), else in the project's
  ``.gemini/settings.json``, else in ``~/.gemini/settings.json``, else in its system defaults file
  (GEMINI_CLI_SYSTEM_DEFAULTS_PATH, else ``system-defaults.json`` beside the system settings file). A
  GEMINI_MODEL in the ``.env`` file gemini loads (`dotenv`) beats them all when its environment holds no
  GEMINI_MODEL: gemini loads only the variables not set, and asks ``-m`` || GEMINI_MODEL ||
  ``model.name``. (gemini-cli ``packages/cli/src/config/settings.ts``: `getSystemSettingsPath`,
  `getSystemDefaultsPath`, `mergeSettings`, `findEnvFile`, `loadEnvironment`; ``config.ts``: the model;
  docs ``reference/configuration.md``, "Configuration layers". agentmake passes both path variables
  through to gemini, `presets.AUTH_ENV`, and sets GEMINI_CLI_TRUST_WORKSPACE, so gemini loads the ``.env``
  and the project's settings);
- llm: ``default_model.txt`` in its user directory: LLM_USER_PATH, else ``~/.config/io.datasette.llm``
  (``~/Library/Application Support/io.datasette.llm`` on macOS; XDG_CONFIG_HOME does not reach the job).

A task's key holds it where it holds the environment's (`plan.keyparts.KeyParts._model`), so a user who
changes their default model there does not keep the old model's results. Only the model (and claude's
endpoint variables, and whether a file lets the agent write files: `WRITES`, `writesettings`, for
`plan.pathless` and `execute`'s set-aside) is read, never any other setting; a file that is missing,
unreadable, too big or invalid names no model (never an error). `configstamp.stamp_digests` gives the
build stamp the digest of what the keys read of each file, never of its bytes, which may hold a token: one
that names another model is no no-op; a new token alone is.
An ``llm`` model that is an alias in llm's ``aliases.json`` is keyed as the model it names (`llm_aliases`).
Not read: claude's managed settings delivered otherwise (MDM, the registry, claude.ai's console). Its
``--settings`` and ``--setting-sources`` flags are read for whether the agent may write alone
(`writesettings`), not for the model or the endpoint variables: the keys of the projects built before
would change (and a flag's model is the runner's command, keyed as written, already).

Where the files are is `configfiles`' (`CLAUDE_MANAGED`, `OVER`, `UNDER`, `PROJECT_FILES` are there); their
texts are read by `configtext` (JSON with comments; TOML, or on Python 3.10 its plain strings).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from agentmake.runners.argvflags import clap_value
from agentmake.runners.authsettings import codex_layers, codex_merged
from agentmake.runners.configfiles import (
    OVER,
    UNDER,
    USER_FILES,
    files,
    gemini_home,
    llm_dir,
    read_config,
    shown_path,
)
from agentmake.runners.configtext import json_object, toml_table
from agentmake.runners.writesettings import (
    claude_counted,
    claude_flag_settings,
    claude_sources,
    claude_writes,
    codex_trust_levels,
    codex_writes,
    gemini_writes,
)

if TYPE_CHECKING:  # (the build stamp's no-op answer imports this module: not the model)
    from agentmake.model import RunnerSpec

T = TypeVar("T")

__all__ = [
    "CLAUDE_ENDPOINTS",
    "CONFIGS",
    "GEMINI_ENDPOINTS",
    "ConfigModel",
    "ConfigReading",
    "config_model",
    "config_models",
    "config_path",
    "config_reading",
    "config_values",
    "dotenv_values",
    "llm_aliases",
    "settings_env_model",
]

ALIASES = "aliases.json"  # (llm's, in its user directory: `llm_aliases`)

# (model, the CLI, the file as explain shows it: "~/.claude/settings.json")
ConfigModel = tuple[str, str, str]


def _claude(data: bytes, profile: str | None) -> str | None:
    return _string(json_object(data).get("model"))


def _gemini(data: bytes, profile: str | None) -> str | None:
    model = json_object(data, comments=True).get("model")  # (gemini strips comments from its settings)
    return _string(model.get("name")) if isinstance(model, dict) else _string(model)


def _codex(data: bytes, profile: str | None) -> str | None:
    return _codex_values(data)["model"]


def _codex_values(data: bytes) -> dict[str, Any]:
    """What is read of a file of codex's configuration (one layer: `authsettings.codex_layers`): its
    ``model``, ``sandbox_mode``, ``project_root_markers`` (``markers``) and each project's
    (``[projects."<path>"]``) ``trust_level`` (``trust``); the values that are not strings left out."""
    config = toml_table(data)
    markers = config.get("project_root_markers")
    return {
        "model": _string(config.get("model")),
        "sandbox": _string(config.get("sandbox_mode")),
        "markers": _markers(markers),
        "trust": codex_trust_levels(config),
    }


def _markers(markers: Any) -> list[str] | str | None:
    """``project_root_markers`` as the build stamp digests it: a list of strings as it is, another list
    (a TOML date or table among them: codex refuses the file) as its repr, which JSON takes; None for no
    list."""
    if not isinstance(markers, list):
        return None
    return markers if all(isinstance(m, str) for m in markers) else repr(markers)


# preset -> whether a config file of its CLI (as `CONFIGS` reads it) lets the agent write files
# (`writesettings`; codex's, alone: `config_reading` asks its layers merged)
WRITES: dict[str, Callable[[bytes, str | None], bool]] = {
    "claude": claude_writes,
    "codex": lambda data, profile: codex_writes(toml_table(data), None),
    "gemini": gemini_writes,
}


def _llm(data: bytes, profile: str | None) -> str | None:
    return _string(data.decode("utf-8", "replace"))


# preset -> (its user file, from the environment it sees: `configfiles.USER_FILES`; how the model is read
# from the file's bytes)
CONFIGS: dict[str, tuple[Callable[[Mapping[str, str]], Path], Callable[[bytes, str | None], str | None]]] = {
    "claude": (USER_FILES["claude"], _claude),
    "codex": (USER_FILES["codex"], _codex),
    "gemini": (USER_FILES["gemini"], _gemini),
    "llm": (USER_FILES["llm"], _llm),
}


def config_path(preset: str | None, environ: Mapping[str, str]) -> Path | None:
    """The config file `preset`'s CLI takes its default model from, None for a preset without one."""
    known = CONFIGS.get(preset or "")
    return None if known is None else known[0](environ)


class ConfigReading(NamedTuple):
    """What a runner's CLI takes from its config files (`config_reading`)."""

    block: ConfigModel | None  # the model an ``env`` block of claude's settings sets: `settings_env_model`
    found: ConfigModel | None  # the model the CLI takes from its config files: `config_model`
    # the endpoint variables claude's ``env`` blocks set (`CLAUDE_ENDPOINTS`), or the ``.env`` gemini loads
    # (`GEMINI_ENDPOINTS`): the CLI receives them as its environment's
    endpoints: dict[str, str]
    # the files (as `block` and `found` show them) an agentmake keying `_cfgmodel` 1 did not read: the
    # ``.env`` gemini loads and the system files (`OVER`, `UNDER`); `plan.upgrade._new_model_upgraded`
    newer: tuple[str, ...] = ()
    # whether one of the files lets the agent write files (`WRITES`), whatever its runner's flags say
    writes: bool = False


# the endpoint variables (`modelenv.ENDPOINT_ENV`) an ``env`` block of claude's settings may set: claude
# applies the block over its environment, so they choose the service it calls as the environment's would
CLAUDE_ENDPOINTS = ("ANTHROPIC_BASE_URL", "CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX")
# the endpoint variables the ``.env`` gemini loads may set: each it sets that gemini's environment does not
# is loaded into it, so GOOGLE_GENAI_USE_VERTEXAI=true there switches gemini to Vertex AI as the
# environment's does (gemini-cli ``settings.ts`` `loadEnvironment`, ``contentGenerator.ts``
# `getAuthTypeFromEnv`). GOOGLE_CLOUD_PROJECT and GOOGLE_CLOUD_LOCATION are keyed from neither.
GEMINI_ENDPOINTS = ("GOOGLE_GENAI_USE_VERTEXAI",)
DOTENV_NAMES = ("GEMINI_MODEL", *GEMINI_ENDPOINTS)  # (what is read of gemini's ``.env``)


def config_reading(
    preset: str | None, runner: RunnerSpec | None, environ: Mapping[str, str], root: Path | None = None
) -> ConfigReading:
    """`ConfigReading` of `runner`'s CLI (of `preset`), each file read once. Call it once per runner. Of
    claude's endpoint variables, each file's ``env`` block gives those the files before it do not."""
    known = CONFIGS.get(preset or "")
    if known is None:
        return ConfigReading(None, None, {})
    cli = preset or ""
    argv = list(runner.command) if runner is not None else []
    if cli == "codex":
        return _codex_reading(argv, environ, root)
    block: ConfigModel | None = None
    dotenv = _dotenv_found(environ, root) if cli == "gemini" else None
    found = _dotenv_model(dotenv, environ, root)
    endpoints = _dotenv_endpoints(dotenv, environ)
    newer = [] if found is None else [found[2]]
    system = [where(environ) for where in (*OVER.get(cli, ()), *UNDER.get(cli, ()))]
    sources = claude_sources(argv) if cli == "claude" else None  # (which files claude counts: its flags')
    added = claude_flag_settings(argv, root) if cli == "claude" else []  # (`--settings`: always counted)
    writes = any(_parsed(claude_writes, data, None, False) for data in added)
    for path in files(cli, environ, root):
        data = read_config(path)
        if data is None:
            continue
        if sources is None or claude_counted(path, root, sources, system):
            writes = writes or _allows_writes(cli, data)
        shown = shown_path(path, environ, root, in_root=False, gemini=False)
        if cli == "claude":
            if block is None:
                model = _parsed(_env_model, data, None, None)
                block = None if model is None else (model, cli, f"{shown} env ANTHROPIC_MODEL")
                if block is not None and path in system:
                    newer.append(block[2])
            for name, value in _env_endpoints(data).items():
                endpoints.setdefault(name, value)
        if found is None:
            model = _parsed(known[1], data, None, None)
            found = None if model is None else (model, cli, shown)
            if found is not None and path in system:
                newer.append(shown)
    return ConfigReading(block, found, endpoints, tuple(newer), writes)


def _allows_writes(preset: str, data: bytes) -> bool:
    """Whether a config file of `preset`'s CLI (`data`) lets its agent write files (`WRITES`); False for a
    file that cannot be read (the CLI reads no setting of it either)."""
    read = WRITES.get(preset)
    return read is not None and _parsed(read, data, None, False)


def _codex_reading(argv: list[str], environ: Mapping[str, str], root: Path | None) -> ConfigReading:
    """`ConfigReading` of a codex runner of the command `argv`: its configuration's layers
    (`authsettings.codex_layers`) merged, as codex reads them for its login and its sandbox. The model is
    the merged ``model`` (shown as the file of the last layer that sets it), none when the command gives
    one (``-m``/``--model``, ``-mNAME`` included, a ``-c model=...``); the files an agentmake keying
    `_cfgmodel` 1 to 3 did not read and codex read then too (the system file, a trusted project's: all but
    the user's and the profile file, which codex was not lent then) are `ConfigReading.newer`."""
    layers = codex_layers(environ, root, argv)
    config = codex_merged(layers)
    writes = codex_writes(config, root)
    source = next((layer for layer in reversed(layers) if "model" in layer.table), None)
    model = _string(config.get("model"))
    if model is None or source is None or source.path is None or clap_value(argv, "-m", "--model"):
        return ConfigReading(None, None, {}, (), writes)
    real = None if root is None else Path(os.path.realpath(root))  # (codex reads the real path's files)
    shown = shown_path(source.path, environ, real, gemini=False)
    profile_file = source.path.name != "config.toml"  # (`codex_layers`: ``<NAME>.config.toml``)
    newer = () if profile_file or source.path == USER_FILES["codex"](environ) else (shown,)
    return ConfigReading(None, (model, "codex", shown), {}, newer, writes)


def config_models(
    preset: str | None, runner: RunnerSpec | None, environ: Mapping[str, str], root: Path | None = None
) -> tuple[ConfigModel | None, ConfigModel | None]:
    """(the model an ``env`` block of claude's settings sets: `settings_env_model`; the model `runner`'s CLI
    takes from its config files: `config_model`), each file read once (`config_reading`)."""
    reading = config_reading(preset, runner, environ, root)
    return reading.block, reading.found


def config_model(
    preset: str | None, runner: RunnerSpec, environ: Mapping[str, str], root: Path | None = None
) -> ConfigModel | None:
    """(model, CLI, file as shown) that `runner`'s CLI (of `preset`) takes from its config files when given no
    model: the project's (under `root`, `PROJECT_FILES`) before the user's; None when no file names one."""
    return config_models(preset, runner, environ, root)[1]


def settings_env_model(
    preset: str | None, environ: Mapping[str, str], root: Path | None = None
) -> ConfigModel | None:
    """(model, CLI, where as shown) of an ``ANTHROPIC_MODEL`` that a claude settings file's ``env`` block
    sets (the project's files first, as `config_model`): claude applies the block over its environment, so
    this model beats the environment's as well as every file's ``model``. None for other CLIs or none set."""
    return config_models(preset, None, environ, root)[0]


def _env_model(data: bytes, profile: str | None) -> str | None:
    return _block_model(json_object(data).get("env"))


def _block_model(block: Any) -> str | None:
    """The ANTHROPIC_MODEL of a claude settings file's ``env`` block (as parsed)."""
    return _string(block.get("ANTHROPIC_MODEL")) if isinstance(block, dict) else None


def _env_endpoints(data: bytes) -> dict[str, str]:
    """The endpoint variables (`CLAUDE_ENDPOINTS`) a claude settings file's ``env`` block sets to a string
    that is not blank; none for a file that cannot be read."""
    try:
        block = json_object(data).get("env")
    except (ValueError, TypeError, AttributeError, RecursionError):
        return {}
    return _block_endpoints(block)


def _block_endpoints(block: Any) -> dict[str, str]:
    """`_env_endpoints` of an ``env`` block (as parsed)."""
    if not isinstance(block, dict):
        return {}
    return {n: v for n in CLAUDE_ENDPOINTS if isinstance(v := block.get(n), str) and v.strip()}


def _parsed(read: Callable[[bytes, str | None], T], data: bytes, profile: str | None, failed: T) -> T:
    """What `read` finds in `data` (a model, or whether it lets the agent write); `failed` for a file it
    cannot read (never an error)."""
    try:
        return read(data, profile)
    except (ValueError, TypeError, AttributeError, RecursionError):
        return failed


def _dotenv_model(dotenv: DotEnv | None, environ: Mapping[str, str], root: Path | None) -> ConfigModel | None:
    """(model, "gemini", file as shown) of a GEMINI_MODEL in the ``.env`` file gemini loads (`_dotenv_found`),
    unless gemini's environment has its own (set, even empty: gemini loads no variable that is)."""
    if dotenv is None or "GEMINI_MODEL" in environ or "GEMINI_MODEL" not in dotenv[1]:
        return None
    return dotenv[1]["GEMINI_MODEL"], "gemini", shown_path(dotenv[0], environ, root, gemini=False)


def _dotenv_endpoints(dotenv: DotEnv | None, environ: Mapping[str, str]) -> dict[str, str]:
    """The endpoint variables (`GEMINI_ENDPOINTS`) the ``.env`` gemini loads sets and its environment does not
    (set, even empty: gemini loads no variable that is)."""
    values = {} if dotenv is None else dotenv[1]
    return {n: v for n in GEMINI_ENDPOINTS if n not in environ and (v := values.get(n))}


# (the ``.env`` file gemini loads, the values it gives `DOTENV_NAMES` that are not blank)
DotEnv = tuple[Path, dict[str, str]]


def _dotenv_found(environ: Mapping[str, str], root: Path | None) -> DotEnv | None:
    """The ``.env`` file gemini loads (`dotenv.env_file`) and the values it gives GEMINI_MODEL and the
    endpoint variables (`DOTENV_NAMES`), None when it gives none of them."""
    from agentmake.runners.dotenv import env_file, env_values

    path = env_file(root, gemini_home(environ))
    data = None if path is None else read_config(path)
    if path is None or data is None:
        return None
    values = env_values(data.decode("utf-8", "replace"), DOTENV_NAMES)
    found = {name: value for name, raw in values.items() if (value := _string(raw)) is not None}
    return (path, found) if found else None


def config_values(preset: str, data: bytes, root: Path | None = None) -> dict[str, Any]:
    """What the keys read of a config file of `preset`'s CLI (`data`, as `read_config` read it), the values
    that name nothing left out: the model (codex: the file's, its sandbox mode and project root markers:
    `_codex_values`, and the trust it gives the project at `root` and the directories that may be its
    project's root: `_codex_trust_near`), of
    claude's ``env`` block its ANTHROPIC_MODEL (``env``) and endpoint variables (``endpoints``, as set:
    secrets and all), and whether the file lets the agent write files (``writes``: `WRITES`, which a
    path-free key asks). Never any other setting; {} for a file that cannot be read."""
    if preset == "codex":
        try:
            values = _codex_values(data)
        except (ValueError, TypeError, AttributeError, RecursionError):
            return {}
        values["trust"] = _codex_trust_near(values["trust"], root)  # (not every project's)
        return _nonempty(values)
    writes = _allows_writes(preset, data)  # (codex's: its sandbox mode, in its values)
    if preset != "claude":
        return _nonempty({"model": _parsed(CONFIGS[preset][1], data, None, None), "writes": writes})
    try:  # (parsed once, read as `_claude`, `_env_model`, `_env_endpoints` read it)
        settings = json_object(data)
    except (ValueError, TypeError, AttributeError, RecursionError):
        return {}
    block = settings.get("env")
    return _nonempty(
        {
            "model": _string(settings.get("model")),
            "env": _block_model(block),
            "endpoints": _block_endpoints(block),
            "writes": writes,
        }
    )


def dotenv_values(environ: Mapping[str, str], root: Path | None = None) -> dict[str, str]:
    """The values the ``.env`` file gemini loads gives GEMINI_MODEL and the endpoint variables (not blank),
    whatever gemini's environment holds: what the keys read of it (`DOTENV_NAMES`)."""
    found = _dotenv_found(environ, root)
    return {} if found is None else found[1]


def _nonempty(values: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value}


def llm_aliases(environ: Mapping[str, str]) -> dict[str, str]:
    """llm's own aliases: ``aliases.json`` in its user directory (`llm aliases set ALIAS MODEL`), a JSON
    object of alias -> model id, which ``llm -m ALIAS`` asks (llm ``get_models_with_aliases``); none for a
    file that is missing or invalid, nor an alias that names no string (llm asks the name as it is)."""
    data = read_config(llm_dir(environ) / ALIASES)
    try:
        aliases = {} if data is None else json_object(data)
    except (ValueError, TypeError, RecursionError):
        return {}
    return {alias: model for alias, value in aliases.items() if (model := _string(value)) is not None}


def _codex_trust_near(trust: dict[str, str], root: Path | None) -> dict[str, str]:
    """The entries of codex's project trust (`trust`: path -> level) that may decide whether it reads the
    project files at `root` or writes there: `root`'s, its real path's and its parents', its git project's
    (`authsettings` ``_codex_project_files``, `writesettings.codex_trust`)."""
    if not trust or root is None:
        return {}
    from agentmake.runners.writesettings import _git_project

    real = Path(os.path.realpath(root))
    near = {str(root), *(str(d) for d in (real, *real.parents)), str(_git_project(real))}
    return {path: level for path, level in trust.items() if path in near}


def _string(value: Any) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None
