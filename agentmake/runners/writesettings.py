"""Whether an agent CLI's own settings let its agent write files, whatever its runner's flags say
(`modelconfig.ConfigReading.writes`, which `writing.agent_may_write` combines with the flags): read from
the files `modelconfig.config_reading` reads, and from the flags that choose or add settings.

- claude: ``permissions.defaultMode`` (`CLAUDE_WRITING_MODES`) or a tool that writes in
  ``permissions.allow`` (`CLAUDE_WRITING_TOOLS`), in each settings file claude counts: its managed settings
  always, the user's, the project's and the local one unless ``--setting-sources`` leaves their source out
  (`claude_sources`), and the settings a ``--settings FILE-OR-JSON`` flag adds (`claude_flag_settings`),
  which that flag never leaves out (code.claude.com/docs/en/settings: flag and policy settings always apply);
- codex: the ``sandbox_mode`` of its configuration, its layers merged as codex merges them (system, user,
  ``--profile`` file, trusted project files, ``-c`` overrides: `authsettings.codex_layers`), else, when
  none sets one, the trust the user gave the project (`codex_trust`): codex takes
  a project with a ``[projects."<path>"] trust_level`` as workspace-write (codex-rs config
  ``derive_sandbox_policy``: "trusted" since it has the table, "untrusted" too in later versions; both
  are taken as writing here, conservative). The project is the CLI's working directory (the root), or the
  main checkout of the git repository it is in (``resolve_root_git_project_for_trust``);
- gemini: ``general.defaultApprovalMode`` (`GEMINI_WRITING_MODES`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from agentmake.runners.argvflags import flag_values
from agentmake.runners.configtext import json_object

__all__ = [
    "CLAUDE_SOURCES",
    "CLAUDE_WRITING_MODES",
    "CLAUDE_WRITING_TOOLS",
    "CODEX_TRUST_WRITES",
    "CODEX_WRITING_SANDBOXES",
    "GEMINI_WRITING_MODES",
    "claude_flag_settings",
    "claude_sources",
    "claude_writes",
    "codex_trust",
    "codex_trust_levels",
    "codex_writes",
    "gemini_writes",
]

CLAUDE_WRITING_MODES = frozenset({"acceptEdits", "bypassPermissions"})
# claude's tools that write files: Write, Edit (MultiEdit, NotebookEdit), a shell (Bash, even one limited to
# some commands: ``Bash(npm test:*)`` runs a script that may write anything), and any MCP server's tool
# (``mcp__SERVER`` or ``mcp__SERVER__TOOL``): what a server's tool does is the server's, not its name's (a
# filesystem server's write_file, a git server's commit), and agentmake does not start servers to ask them;
# taken as writing, conservative. `--allowedTools` too (`invocation.may_write_files`)
CLAUDE_WRITING_TOOLS = ("Write", "Edit", "Bash", "mcp__")
CODEX_WRITING_SANDBOXES = frozenset({"workspace-write", "danger-full-access"})
# a project's trust that makes codex workspace-write when no sandbox mode is set (see the module's docstring)
CODEX_TRUST_WRITES = frozenset({"trusted", "untrusted"})
# (and "plan": read-only while it plans, but its exit_plan_mode tool, approved by itself without a terminal,
# leaves it for a mode that implements the plan: gemini-cli 0.64's headless plan mode; taken as writing)
GEMINI_WRITING_MODES = frozenset({"auto_edit", "autoEdit", "yolo", "plan"})
# claude's setting sources (``--setting-sources user,project,local``) -> the project's file of each (the
# user's is the rest); its managed settings and the ``--settings`` flag's are no source that flag names
CLAUDE_SOURCES = {"local": ".claude/settings.local.json", "project": ".claude/settings.json"}


def claude_writes(data: bytes, profile: str | None = None) -> bool:
    """Whether a claude settings file (`data`) lets the agent write: its ``permissions``."""
    return _claude_permissions_write(json_object(data))


def _claude_permissions_write(settings: Mapping[str, Any]) -> bool:
    permissions = settings.get("permissions")
    if not isinstance(permissions, dict):
        return False
    allow = permissions.get("allow")
    tools = [t for t in allow if isinstance(t, str)] if isinstance(allow, list) else []
    return permissions.get("defaultMode") in CLAUDE_WRITING_MODES or any(
        w in t for t in tools for w in CLAUDE_WRITING_TOOLS
    )


def claude_sources(argv: list[str]) -> frozenset[str] | None:
    """The setting sources claude's ``--setting-sources`` flags in `argv` leave it (``user``, ``project``,
    ``local``), None when no flag limits them (all count). The last flag wins, as a repeated option's value
    does."""
    value = None
    for i, arg in enumerate(argv):
        if arg.startswith("--setting-sources="):
            value = arg.partition("=")[2]
        elif arg == "--setting-sources" and i + 1 < len(argv):
            value = argv[i + 1]
    return None if value is None else frozenset(s.strip() for s in value.split(",") if s.strip())


def claude_counted(path: Path, root: Path | None, sources: frozenset[str] | None, always: list[Path]) -> bool:
    """Whether claude counts the settings file `path` given `sources` (`claude_sources`): its managed
    settings (`always`) whatever they say, the project's two files by theirs, the user's by ``user``."""
    if sources is None or path in always:
        return True
    for source, name in CLAUDE_SOURCES.items():
        if root is not None and path == root / name:
            return source in sources
    return "user" in sources


def claude_flag_settings(argv: list[str], root: Path | None) -> list[bytes]:
    """The settings each ``--settings`` flag of `argv` adds: a JSON object given inline (it starts with
    ``{``), else the file it names (relative to the CLI's working directory, the root); a file that cannot
    be read adds none (claude stops then, writing nothing)."""
    from agentmake.runners.configfiles import read_config

    found = []
    for value in flag_values(argv, "--settings"):
        if value.lstrip().startswith("{"):
            found.append(value.encode("utf-8", "surrogateescape"))
            continue
        path = Path(value).expanduser()
        data = read_config(path if path.is_absolute() or root is None else root / path)
        if data is not None:
            found.append(data)
    return found


def codex_writes(config: Mapping[str, Any], root: Path | None) -> bool:
    """Whether codex's configuration (its layers merged, the ``-c`` overrides too:
    `authsettings.codex_config`) lets the agent write in the working directory `root`: its
    ``sandbox_mode``, else the project's trust (`codex_trust`; codex-rs ``derive_sandbox_policy``, the
    ``-s`` flag aside). No ``[profiles.NAME]`` table nor ``profile`` selector: codex 0.134 and later read
    neither (its profile is the ``--profile`` file, a layer)."""
    mode = config.get("sandbox_mode")
    if isinstance(mode, str):
        return mode in CODEX_WRITING_SANDBOXES
    return codex_trust(codex_trust_levels(config), root) in CODEX_TRUST_WRITES


def codex_trust_levels(config: Mapping[str, Any]) -> dict[str, str]:
    """The ``trust_level`` of each of codex's ``[projects."<path>"]`` tables in `config`: path -> level."""
    projects = config.get("projects")
    return {
        path: table["trust_level"]
        for path, table in (projects.items() if isinstance(projects, dict) else ())
        if isinstance(table, dict) and isinstance(table.get("trust_level"), str)
    }


def codex_trust(trust: Mapping[str, str], root: Path | None) -> str | None:
    """The ``trust_level`` codex's ``[projects."<path>"]`` tables (`trust`: path -> level) give the project
    at `root` (codex's working directory): its own entry (as given, or its real path: codex asks the
    working directory the system gives it), else that of the git repository it is in (the main checkout's,
    for a linked worktree). None when none has one, or no `root`."""
    if not trust or root is None:
        return None
    real = Path(os.path.realpath(root))
    for path in (root, real, _git_project(real)):
        if path is not None and str(path) in trust:
            return trust[str(path)]
    return None


def _git_project(cwd: Path) -> Path | None:
    """The git project codex asks the trust of for `cwd`: the nearest directory up holding ``.git``, or,
    when that ``.git`` is a linked worktree's file (``gitdir: <main>/.git/worktrees/<name>``), the main
    checkout's directory (codex-rs git_info ``resolve_root_git_project_for_trust``)."""
    for directory in (cwd, *cwd.parents):
        dot_git = directory / ".git"
        try:
            if dot_git.is_dir():
                return directory
            if not dot_git.is_file():
                continue
            text = dot_git.read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            return None
        if not text.startswith("gitdir:"):
            return None
        gitdir = Path(os.path.realpath(directory / text[len("gitdir:") :].strip()))
        return gitdir.parent.parent.parent if gitdir.parent.name == "worktrees" else None
    return None


def gemini_writes(data: bytes, profile: str | None = None) -> bool:
    """Whether a gemini settings file (`data`) lets the agent write: its ``general.defaultApprovalMode``."""
    general = json_object(data, comments=True).get("general")
    return isinstance(general, dict) and general.get("defaultApprovalMode") in GEMINI_WRITING_MODES
