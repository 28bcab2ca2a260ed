"""The ``.env`` file gemini loads into its environment, and the value it gives one variable
(`runners.modelconfig`: GEMINI_MODEL there names the model gemini asks, and GOOGLE_GENAI_USE_VERTEXAI the
provider, when the environment sets neither).

gemini-cli (``packages/cli/src/config/settings.ts``, `findEnvFile` and `loadEnvironment`) looks in its
working directory (the project root), then in each directory above it up to the filesystem's root, for
``.gemini/.env`` and then ``.env``: the first that exists is the one; if none does, ``~/.gemini/.env``, then
``~/.env``. It loads that one file alone (the dotenv format: ``KEY=value`` lines, ``export`` allowed, quoted
values, ``#`` comments, the last of a name wins), and only the variables not already in its environment.

`env_file` finds the file as gemini does (a name that exists but is no regular file is still the one: it
names nothing); `env_value` reads one variable's value out of the file's text, `env_values` several.
"""

from __future__ import annotations

import os
from pathlib import Path

from agentmake.lazyre import LazyPattern

__all__ = ["env_file", "env_value", "env_values"]

GEMINI_DIR = ".gemini"


def env_file(start: Path | None, home: Path) -> Path | None:
    """The ``.env`` file gemini, started in `start`, loads (its `.gemini/.env` first, in each directory from
    `start` up; then `home`'s); None when there is none. `start` None: `home`'s alone. (Strings, not
    `Path`s: the build stamp's no-op answer walks these directories each time.)"""
    dirs: list[str] = []
    if start is not None:
        current = os.path.abspath(start)
        while True:
            dirs.append(current)
            parent = os.path.dirname(current)
            if parent == current:
                break
            current = parent
    dirs.append(str(home))
    for directory in dirs:
        for path in (os.path.join(directory, GEMINI_DIR, ".env"), os.path.join(directory, ".env")):
            if os.path.exists(path):
                return Path(path)
    return None


_ASSIGN = LazyPattern(r"\s*(?:export\s+)?([\w.-]+)\s*(?:=|:\s)(.*)$")


def env_value(text: str, name: str) -> str | None:
    """The value a dotenv text gives `name` (the last assignment of it wins; quotes taken off, an unquoted
    value ends at ``#``), None when it assigns none: ``GEMINI_MODEL="gemini-2.5-pro" # fast`` gives
    ``gemini-2.5-pro``."""
    value = None
    for line in text.splitlines():
        assign = _ASSIGN.match(line)
        if assign is not None and assign.group(1) == name:
            value = _unquoted(assign.group(2).strip())
    return value


def env_values(text: str, names: tuple[str, ...]) -> dict[str, str]:
    """`env_value` of each of `names` that the text assigns, in one reading of it."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        assign = _ASSIGN.match(line)
        if assign is not None and assign.group(1) in names:
            values[assign.group(1)] = _unquoted(assign.group(2).strip())
    return values


def _unquoted(raw: str) -> str:
    if raw[:1] in ("'", '"', "`"):
        end = raw.find(raw[0], 1)
        if end > 0:
            return raw[1:end]
    return raw.partition("#")[0].strip()
