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
- codex: the ``env_key`` of the custom provider its config.toml (CODEX_HOME, else ``~/.codex``) chooses
  with ``model_provider`` (the active ``profile``'s first): ``[model_providers.NAME]`` ``env_key =
  "OPENAI_API_KEY"`` makes ``codex exec`` read that variable (a table named as one of codex's own
  providers, ``openai``, replaces nothing). Python 3.10 reads no such table
  (`configtext.toml_strings`): nothing is known there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from agentmake.runners.configfiles import USER_FILES, files, gemini_home, home, read_config
from agentmake.runners.configtext import json_object, toml_table

_KIND = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")  # (gemini's AuthType values: ``oauth-personal``, ...)

# codex's own providers: a [model_providers.NAME] table of the same name does not replace them
_BUILT_IN = frozenset({"openai", "oss", "ollama", "lmstudio"})

__all__ = [
    "GEMINI_AUTH_NAMES",
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
            return kind, _shown(path, environ, root)
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
    shown = _shown(path, environ, root)
    return env, dict.fromkeys(given, shown)


def _shown(path: Path, environ: Mapping[str, str], root: Path | None) -> str:
    bases = [(root, ""), (home(environ), "~/")]
    if environ.get("GEMINI_CLI_HOME"):  # (gemini's home: after the project, which it may hold)
        bases.insert(1, (gemini_home(environ), "$GEMINI_CLI_HOME/"))
    for base, prefix in bases:
        if base is not None and path.is_relative_to(base):
            return prefix + path.relative_to(base).as_posix()
    return str(path)


def codex_provider_key(environ: Mapping[str, str]) -> tuple[str, str] | None:
    """(the custom model provider codex's config.toml chooses, the variable it reads the key of), or None."""
    config = _read(USER_FILES["codex"](environ), toml_table)
    if config is None:
        return None
    profile = config.get("profile")
    name = _get(config, "profiles", profile, "model_provider") if isinstance(profile, str) else None
    if not isinstance(name, str):
        name = config.get("model_provider")
    if not isinstance(name, str) or name in _BUILT_IN:
        return None
    key = _get(config, "model_providers", name, "env_key")
    return (name, key) if isinstance(key, str) and key else None
