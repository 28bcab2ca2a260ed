"""Where the agent CLIs' own config files are (`runners.modelconfig` reads them): each CLI's user file
(`USER_FILES`: claude's ``settings.json`` in CLAUDE_CONFIG_DIR, else ``~/.claude``; codex's
``config.toml`` in CODEX_HOME, else ``~/.codex``; gemini's ``settings.json`` in ``.gemini`` of
GEMINI_CLI_HOME, else of ``~`` (`gemini_home`); llm's
``default_model.txt`` in LLM_USER_PATH, else its user directory), the project's (`PROJECT_FILES`, under
the root, the CLI's working directory), the system's that override them all (`OVER`: claude's managed
settings, gemini's system settings) or that they override (`UNDER`: gemini's system defaults), and all of
them in the order the CLI lets them win (`files`); of codex's, which it merges in layers
(`authsettings.codex_layers`), all those that may be one (`codex_files`). `read_config` reads one, never
waiting on a FIFO nor reading a file too big to be a config file. Paths only: what is read of them is
`modelconfig`'s."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

__all__ = [
    "CLAUDE_MANAGED",
    "CODEX_SYSTEM",
    "MAX_BYTES",
    "OVER",
    "PROJECT_FILES",
    "UNDER",
    "USER_FILES",
    "claude_dir",
    "codex_dir",
    "codex_files",
    "files",
    "gemini_home",
    "home",
    "llm_dir",
    "read_config",
    "shown_path",
]

MAX_BYTES = 1 << 20  # (a config file bigger than this is no config file: it names no model)

Locate = Callable[[Mapping[str, str]], Path]  # (a file's path, from the environment the CLI sees)


def home(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("HOME", "~")).expanduser()  # (as `invocation` finds ~/.claude, ~/.codex)


def gemini_home(environ: Mapping[str, str]) -> Path:
    """The directory gemini keeps its ``.gemini`` in (settings, login, ``.env``): GEMINI_CLI_HOME, else
    the home directory (gemini-cli ``packages/core/src/utils/paths.ts``, `homedir`)."""
    return Path(environ["GEMINI_CLI_HOME"]) if environ.get("GEMINI_CLI_HOME") else home(environ)


def shown_path(
    path: Path, environ: Mapping[str, str], root: Path | None, *, in_root: bool = True, gemini: bool = True
) -> str:
    """`path` as a message shows a config file (and `modelconfig` a model's file in a task's key: what it
    gives must not change): relative to `root` when under it (not `in_root`: only a file of a directory right
    under it, as ``.codex/config.toml``), then under GEMINI_CLI_HOME, when set, as ``$GEMINI_CLI_HOME/...``
    (`gemini`), then under the home directory as ``~/...``; else as it is."""
    if root is not None and (path.parent.parent == root or (in_root and path.is_relative_to(root))):
        return path.relative_to(root).as_posix()
    if gemini and environ.get("GEMINI_CLI_HOME") and path.is_relative_to(gemini_home(environ)):
        return "$GEMINI_CLI_HOME/" + path.relative_to(gemini_home(environ)).as_posix()
    if path.is_relative_to(home(environ)):
        return (Path("~") / path.relative_to(home(environ))).as_posix()
    return str(path)


def claude_dir(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("CLAUDE_CONFIG_DIR") or home(environ) / ".claude")


def codex_dir(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("CODEX_HOME") or home(environ) / ".codex")


CODEX_SYSTEM = Path("/etc/codex/config.toml")  # (codex's system layer on Unix; a test points it elsewhere)


def codex_files(environ: Mapping[str, str], root: Path | None) -> list[Path]:
    """Every file that may be a layer of codex's configuration in the working directory `root`
    (`authsettings.codex_layers`), whatever selects or trusts it: the system's, the user's, each profile
    file (``<NAME>.config.toml`` of CODEX_HOME), each ``.codex/config.toml`` of `root` and the directories
    above it; only those that exist. What the build stamp reads: more than a runner's key may."""
    home_dir = codex_dir(environ)
    found = [CODEX_SYSTEM, home_dir / "config.toml"]
    with contextlib.suppress(OSError):
        found += sorted(home_dir / n for n in os.listdir(home_dir) if n.endswith(".config.toml"))
    if root is not None:
        real = Path(os.path.realpath(root))
        found += [d / ".codex" / "config.toml" for d in (real, *real.parents)]
    return [path for path in dict.fromkeys(found) if os.path.isfile(path)]


def llm_dir(environ: Mapping[str, str]) -> Path:
    if environ.get("LLM_USER_PATH"):
        return Path(environ["LLM_USER_PATH"])
    if sys.platform == "darwin":
        return home(environ) / "Library" / "Application Support" / "io.datasette.llm"
    return home(environ) / ".config" / "io.datasette.llm"


# preset -> the user's file its CLI takes its default model from
USER_FILES: dict[str, Locate] = {
    "claude": lambda env: claude_dir(env) / "settings.json",
    "codex": lambda env: codex_dir(env) / "config.toml",
    "gemini": lambda env: gemini_home(env) / ".gemini" / "settings.json",
    "llm": lambda env: llm_dir(env) / "default_model.txt",
}


def _gemini_system(environ: Mapping[str, str]) -> Path:
    if environ.get("GEMINI_CLI_SYSTEM_SETTINGS_PATH"):
        return Path(environ["GEMINI_CLI_SYSTEM_SETTINGS_PATH"])
    if sys.platform == "darwin":
        return Path("/Library/Application Support/GeminiCli/settings.json")
    return Path("/etc/gemini-cli/settings.json")


def _gemini_defaults(environ: Mapping[str, str]) -> Path:
    return Path(
        environ.get("GEMINI_CLI_SYSTEM_DEFAULTS_PATH")
        or _gemini_system(environ).parent / "system-defaults.json"
    )


# claude's managed settings file (the system's; the policy that MDM, the registry or claude.ai's console
# deliver is not read), which beats every other settings file (code.claude.com/docs/en/settings, "Settings
# precedence"); a test points this at another file
CLAUDE_MANAGED = Path(
    "/Library/Application Support/ClaudeCode/managed-settings.json"
    if sys.platform == "darwin"
    else "/etc/claude-code/managed-settings.json"
)


def _claude_managed(environ: Mapping[str, str]) -> Path:
    return CLAUDE_MANAGED


# preset -> the files outside the user's directory and the project that name a model before every other
# (`OVER`: system settings that override) or after (`UNDER`: system defaults), the first first; the build
# stamp holds the digest of each that exists
OVER: dict[str, tuple[Locate, ...]] = {
    "claude": (_claude_managed,),
    "gemini": (_gemini_system,),
}
UNDER: dict[str, tuple[Locate, ...]] = {"gemini": (_gemini_defaults,)}


# preset -> the files of the project (its root is the CLI's working directory) that name a model before the
# user's file does, the first first
PROJECT_FILES: dict[str, tuple[str, ...]] = {
    "claude": (".claude/settings.local.json", ".claude/settings.json"),
    "gemini": (".gemini/settings.json",),
}


def files(preset: str, environ: Mapping[str, str], root: Path | None) -> list[Path]:
    """The files `preset`'s CLI reads its settings from, the one that wins first."""
    user = USER_FILES.get(preset)
    project = [root / name for name in PROJECT_FILES.get(preset, ())] if root is not None else []
    over = [where(environ) for where in OVER.get(preset, ())]
    under = [where(environ) for where in UNDER.get(preset, ())]
    return over + project + ([] if user is None else [user(environ)]) + under


def read_config(path: Path) -> bytes | None:
    """The bytes of a regular file (not a FIFO or a device a link may name: a project's file could be one,
    and reading it would wait for good); None for anything else, or a file too big."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except (OSError, ValueError):
        return None
    return data if len(data) <= MAX_BYTES else None
