"""What an agent CLI's own settings say about the login it uses (`runners.authfix`), read where the CLI reads
them (`configfiles`); a missing, unreadable or unparsable file says nothing, and never raises.

- gemini: ``security.auth.selectedType`` (older: ``selectedAuthType``, top level) of its settings, the file
  that wins first (system settings, the project's ``.gemini/settings.json``, ``~/.gemini/settings.json``,
  system defaults). A type chosen there wins over the environment's (gemini-cli
  ``validateNonInterActiveAuth.ts``: ``configuredAuthType || getAuthTypeFromEnv()``): ``oauth-personal``
  after an interactive sign-in, ``gemini-api-key``, ``vertex-ai``, ...
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

from agentmake.runners.configfiles import USER_FILES, files, home, read_config
from agentmake.runners.configtext import json_object, toml_table

_KIND = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")  # (gemini's AuthType values: ``oauth-personal``, ...)

# codex's own providers: a [model_providers.NAME] table of the same name does not replace them
_BUILT_IN = frozenset({"openai", "oss", "ollama", "lmstudio"})

__all__ = ["codex_provider_key", "gemini_auth_type"]


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
    for path in files("gemini", environ, root):
        settings = _read(path, lambda data: json_object(data, comments=True))
        if settings is None:
            continue
        chosen = _get(settings, "security", "auth", "selectedType")
        if not isinstance(chosen, str) or not chosen:
            chosen = settings.get("selectedAuthType")
        if isinstance(chosen, str) and chosen:  # (shown in a message: a project's file says what it likes)
            kind = chosen if _KIND.fullmatch(chosen) else "an unknown auth type"
            return kind, _shown(path, environ, root)
    return None


def _shown(path: Path, environ: Mapping[str, str], root: Path | None) -> str:
    for base, prefix in ((root, ""), (home(environ), "~/")):
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
