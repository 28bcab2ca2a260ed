"""What an agent CLI's own settings say about the login it uses (`runners.authfix`), read where the CLI reads
them (`configfiles`); a missing, unreadable or unparsable file says nothing, and never raises.

- gemini: ``security.auth.selectedType`` (older: ``selectedAuthType``, top level) of its settings, the file
  that wins first (system settings, the project's ``.gemini/settings.json``, the user's
  ``settings.json`` in ``.gemini`` of GEMINI_CLI_HOME, else of ``~``, system defaults). A type chosen
  there wins over the environment's (gemini-cli ``validateNonInterActiveAuth.ts``: ``configuredAuthType
  || getAuthTypeFromEnv()``): ``oauth-personal`` after an interactive sign-in, ``gemini-api-key``,
  ``vertex-ai``, ...; ``security.auth.enforcedType``, the same way, is the one type it accepts.
  The environment it reads them in holds what its ``.env`` file (`dotenv.env_file`) gives the variables
  it lacks (`gemini_env`: gemini-cli ``settings.ts``, `loadEnvironment`, in a trusted folder: agentmake
  sets GEMINI_CLI_TRUST_WORKSPACE), a key there as good as one set.
- codex: the ``env_key`` of the custom provider its configuration chooses with ``model_provider``:
  ``[model_providers.NAME]`` ``env_key = "OPENAI_API_KEY"`` makes ``codex exec`` read that variable (a table
  named as one of codex's own providers, ``openai``, replaces nothing). Its configuration is its layers
  merged, each over the ones before (codex-rs ``config_loader`` `load_config_layers_state`; docs
  "Config basics", "Advanced configuration"): ``/etc/codex/config.toml``; ``config.toml`` of CODEX_HOME,
  else ``~/.codex``; the profile file ``<NAME>.config.toml`` there of a ``--profile NAME`` (``-p``) (codex
  0.134 and later read no ``[profiles.NAME]`` table nor ``profile`` selector); each ``.codex/config.toml``
  from the project's root (the nearest directory up holding a ``project_root_markers`` entry, ``.git``
  unless they say otherwise) down to the working directory (the ``-C``/``--cd DIR`` of its command line,
  else the project root agentmake starts it in: `codex_cwd`), of a trusted project only (``[projects."<dir>"]
  trust_level = "trusted"`` of that directory, of the root, or of the git repository's main checkout); the
  ``-c KEY=VALUE`` overrides of its command line, in order. Python 3.10 reads no such table
  (`configtext.toml_strings`): nothing is known there.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from agentmake.runners import configfiles
from agentmake.runners.argvflags import clap_value, codex_profile
from agentmake.runners.configfiles import codex_dir, files, gemini_home, read_config, shown_path
from agentmake.runners.configtext import json_object, toml_table

_KIND = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")  # (gemini's AuthType values: ``oauth-personal``, ...)

# codex's own providers: a [model_providers.NAME] table of the same name does not replace them
_BUILT_IN = frozenset({"openai", "oss", "ollama", "lmstudio"})


__all__ = [
    "GEMINI_AUTH_NAMES",
    "CodexLayer",
    "codex_config",
    "codex_cwd",
    "codex_layers",
    "codex_merged",
    "codex_project_root",
    "codex_provider_key",
    "gemini_auth_type",
    "gemini_enforced_type",
    "gemini_env",
]

# the variables that choose gemini's login or carry it (`getAuthTypeFromEnv`, `validateAuthMethod`,
# `createContentGeneratorConfig`): what of its ``.env`` file is read
GEMINI_AUTH_NAMES = (
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "GOOGLE_CLOUD_PROJECT",
    "GOOGLE_CLOUD_LOCATION",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "GOOGLE_GENAI_USE_VERTEXAI",
    "GOOGLE_GENAI_USE_GCA",
    "CLOUD_SHELL",
    "GEMINI_CLI_USE_COMPUTE_ADC",
)


def _read(path: Path, parse: Any) -> dict[str, Any] | None:
    data = read_config(path)
    if data is None:
        return None
    try:
        value = parse(data)
    except (ValueError, RecursionError):  # (bad JSON or TOML, not UTF-8, nested beyond reason)
        return None
    return value if isinstance(value, dict) else None


def _get(table: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(table, dict):
            return None
        table = table.get(key)
    return table


def gemini_auth_type(environ: Mapping[str, str], root: Path | None) -> tuple[str, str] | None:
    """(the auth type gemini's settings choose, the file as shown: ``~/.gemini/settings.json``), or None."""
    return _gemini_setting(environ, root, ("security", "auth", "selectedType"), "selectedAuthType")


def gemini_enforced_type(environ: Mapping[str, str], root: Path | None) -> tuple[str, str] | None:
    """(the auth type gemini's settings enforce, ``security.auth.enforcedType``, the file as shown), or
    None: gemini refuses any other (``validateNonInterActiveAuth.ts``)."""
    return _gemini_setting(environ, root, ("security", "auth", "enforcedType"), None)


def _gemini_setting(
    environ: Mapping[str, str], root: Path | None, keys: tuple[str, ...], legacy: str | None
) -> tuple[str, str] | None:
    for path in files("gemini", environ, root):
        settings = _read(path, lambda data: json_object(data, comments=True))
        if settings is None:
            continue
        chosen = _get(settings, *keys)
        if (not isinstance(chosen, str) or not chosen) and legacy is not None:
            chosen = settings.get(legacy)
        if isinstance(chosen, str) and chosen:  # (shown in a message: a project's file says what it likes)
            kind = chosen if _KIND.fullmatch(chosen) else "an unknown auth type"
            return kind, shown_path(path, environ, root)
    return None


def gemini_env(environ: Mapping[str, str], root: Path | None) -> tuple[dict[str, str], dict[str, str]]:
    """(gemini's environment once it loaded its ``.env`` file: `environ` and what the file gives the
    `GEMINI_AUTH_NAMES` it lacks, the names it gave -> the file as shown). gemini loads a variable only when
    its environment has none of the name (set, even empty: ``Object.hasOwn(process.env, key)``)."""
    from agentmake.runners.dotenv import env_file, env_values

    env = dict(environ)
    path = env_file(root, gemini_home(environ))
    data = None if path is None else read_config(path)
    if path is None or data is None:
        return env, {}
    given = {
        name: value
        for name, value in env_values(data.decode("utf-8", "replace"), GEMINI_AUTH_NAMES).items()
        if name not in environ
    }
    env.update(given)
    shown = shown_path(path, environ, root)
    return env, dict.fromkeys(given, shown)


def codex_provider_key(
    environ: Mapping[str, str], root: Path | None = None, argv: Sequence[str] = ()
) -> tuple[str, str] | None:
    """(the custom model provider codex's configuration chooses, the variable it reads the key of), or None:
    its layers merged (`codex_config`) as ``codex exec`` started in `root` with the command line `argv`
    merges them."""
    config = codex_config(environ, root, argv)
    name = config.get("model_provider")
    if not isinstance(name, str) or name in _BUILT_IN:
        return None
    key = _get(config, "model_providers", name, "env_key")
    return (name, key) if isinstance(key, str) and key else None


class CodexLayer(NamedTuple):
    """One layer of codex's configuration (`codex_layers`)."""

    path: Path | None  # the file; None for the ``-c`` overrides of the command line
    table: dict[str, Any]  # what it sets (a file that cannot be read or parsed is no layer)


def codex_layers(
    environ: Mapping[str, str], root: Path | None = None, argv: Sequence[str] = ()
) -> list[CodexLayer]:
    """The layers of codex's configuration as ``codex exec`` started in `root` with the command line `argv`
    reads them, the lowest first: its system, user and profile files, the trusted project's ``.codex``
    files from the project's root down to `root`, the ``-c`` overrides of `argv`."""
    home_dir = codex_dir(environ)
    paths = [configfiles.CODEX_SYSTEM, home_dir / "config.toml"]
    profile = codex_profile(list(argv))
    if profile is not None:
        paths.append(home_dir / f"{profile}.config.toml")
    layers = [CodexLayer(path, table) for path in paths if (table := _read(path, toml_table)) is not None]
    overrides = _codex_overrides(argv)
    cwd = codex_cwd(root, argv)
    if cwd is not None:
        before = codex_merged([*layers, CodexLayer(None, overrides)])  # (says the project's root and trust)
        for path in _codex_project_files(before, Path(os.path.realpath(cwd)), home_dir):
            table = _read(path, toml_table)
            if table is not None:
                layers.append(CodexLayer(path, table))
    return [*layers, CodexLayer(None, overrides)] if overrides else layers


def codex_cwd(root: Path | None, argv: Sequence[str]) -> Path | None:
    """The working directory of ``codex exec`` started in `root` with the command line `argv`: the directory
    its ``-C``/``--cd DIR`` names (relative to `root`), where it looks for the project's ``.codex`` files
    (codex-rs exec: the flag is the config loader's ``cwd``), else `root`."""
    chosen = clap_value(list(argv), "-C", "--cd")
    return root if root is None or not chosen else root / chosen


def codex_merged(layers: Sequence[CodexLayer]) -> dict[str, Any]:
    """codex's configuration: its `layers`, each merged over the ones before."""
    merged: dict[str, Any] = {}
    for layer in layers:
        _merge(merged, layer.table)
    return merged


def codex_config(
    environ: Mapping[str, str], root: Path | None = None, argv: Sequence[str] = ()
) -> dict[str, Any]:
    """codex's configuration as ``codex exec`` started in `root` with the command line `argv` merges it
    (`codex_layers`, `codex_merged`)."""
    return codex_merged(codex_layers(environ, root, argv))


def codex_project_root(markers: Sequence[str], cwd: Path) -> Path:
    """The project root codex finds for the working directory `cwd`: the nearest directory up holding one of
    its `markers` (``project_root_markers``, ``.git`` unless they say otherwise), else `cwd` itself (none
    found, or no markers)."""
    if markers:
        for directory in (cwd, *cwd.parents):
            if any(os.path.lexists(directory / marker) for marker in markers):
                return directory
    return cwd


def _codex_project_files(config: dict[str, Any], cwd: Path, home_dir: Path) -> list[Path]:
    """The ``.codex/config.toml`` files codex reads in the working directory `cwd`, the first first: from the
    project's root down to `cwd`, each of a trusted directory (codex-rs `load_project_layers`,
    `ProjectTrustContext.decision_for_dir`), but CODEX_HOME's."""
    # (`_git_project`: codex's `resolve_root_git_project_for_trust`)
    from agentmake.runners.writesettings import _git_project, codex_trust_levels

    markers = config.get("project_root_markers", [".git"])
    if not isinstance(markers, list) or not all(isinstance(m, str) for m in markers):
        return []  # (codex refuses to start: "project_root_markers must be an array of strings")
    top = codex_project_root(markers, cwd)
    dirs = [cwd, *cwd.parents][: [cwd, *cwd.parents].index(top) + 1]
    trust = codex_trust_levels(config)
    repo = _git_project(cwd)
    keys_after = [str(top)] + ([str(repo)] if repo is not None else [])
    home_real = os.path.realpath(home_dir)
    found = []
    for directory in reversed(dirs):  # (the root first: the files nearer the working directory win)
        dot = directory / ".codex"
        if not dot.is_dir() or os.path.realpath(dot) in (str(home_dir), home_real):
            continue
        level = next((trust[k] for k in (str(directory), *keys_after) if k in trust), None)
        if level == "trusted":
            found.append(dot / "config.toml")
    return found


def _codex_overrides(argv: Sequence[str]) -> dict[str, Any]:
    """The table codex's ``-c KEY=VALUE`` / ``--config KEY=VALUE`` overrides in `argv` make, in their order
    (a dotted KEY sets a nested key; VALUE is TOML, else a string)."""
    table: dict[str, Any] = {}
    words = list(argv)
    for i, word in enumerate(words):
        if word in ("-c", "--config") and i + 1 < len(words):
            pair = words[i + 1]
        elif word.startswith("--config="):
            pair = word.partition("=")[2]
        elif word.startswith("-c") and not word.startswith("--") and len(word) > 2:
            pair = word[2:]
        else:
            continue
        key, eq, raw = pair.partition("=")
        parts = _dotted(key)
        if not eq or not parts:
            continue
        node = table
        for part in parts[:-1]:
            child = node.get(part)
            node[part] = child = child if isinstance(child, dict) else {}
            node = child
        node[parts[-1]] = _toml_value(raw.strip())
    return table


def _dotted(key: str) -> list[str]:
    """The parts of a dotted key, a quoted part kept whole: ``projects."/a.b".trust_level``."""
    parts, current, quote = [], "", ""
    for c in key.strip():
        if quote:
            if c == quote:
                quote = ""
            else:
                current += c
        elif c in "\"'":
            quote = c
        elif c == ".":
            parts.append(current.strip())
            current = ""
        else:
            current += c
    parts.append(current.strip())
    return [] if quote or not all(parts) else parts


def _toml_value(raw: str) -> Any:
    try:
        import tomllib
    except ImportError:  # (Python 3.10: a quoted string's quotes taken off)
        return raw.strip("\"'")
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except (ValueError, RecursionError):  # (codex: a value that is no TOML is a string)
        return raw


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """`over` merged into `base` (codex's `merge_toml_values`: tables merged key by key, any other value
    replaced, a table copied); `base`, changed. Without recursion: a ``-c`` key of 1,500 dotted parts, or a
    file's table as deep, is merged as any other (Python's stack would not hold it)."""
    pending = [(base, over)]
    while pending:
        into, table = pending.pop()
        for key, value in table.items():
            if not isinstance(value, dict):
                into[key] = value
                continue
            if not isinstance(into.get(key), dict):
                into[key] = {}
            pending.append((into[key], value))
    return base
