"""The flags of claude's, gemini's and aider's commands that leave their agent no way to write a file
(`claude_blocking`, `gemini_blocking`, `aider_blocking`; codex's is `invocation.codex_read_only`), for
`unwritable.unwritable_outputs`."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["aider_blocking", "claude_blocking", "gemini_blocking"]


_CLAUDE_READ_ONLY_MODES = ("default", "plan", "dontAsk")  # (headless, each refuses what it would ask)
_CLAUDE_FILE_TOOLS = ("Write", "Edit", "MultiEdit")


def claude_blocking(argv: list[str]) -> list[str]:
    """The flags of claude's command `argv` that leave its agent no way to write a file, as shown; [] when it
    may write. Without ``--permission-mode`` agentmake adds ``acceptEdits``, which lets it use its file
    tools; a later ``--permission-mode`` beats an earlier one. ``--dangerously-skip-permissions`` (which
    claude takes over any ``--permission-mode``) and ``--permission-prompt-tool`` (an MCP tool that may
    approve a write) may let it write whatever the rest says. A tool is gone when ``--disallowedTools``
    names it bare (``Write``, not ``Write(/etc/**)``: claude's deny of ``Edit`` covers its other editing
    tools) or a ``--tools`` list leaves it out; an ``--allowedTools`` rule of a writing tool still there (a
    shell, a file tool, an MCP server's tool: `writesettings.CLAUDE_WRITING_TOOLS`) lets it write in any
    mode."""
    from agentmake.runners.argvflags import has_flag, last_value, list_values
    from agentmake.runners.writesettings import CLAUDE_WRITING_TOOLS

    if has_flag(argv, "--dangerously-skip-permissions", "--permission-prompt-tool"):
        return []
    mode = last_value(argv, "--permission-mode")
    edits = mode in (None, "acceptEdits")  # (None: agentmake adds acceptEdits)
    if not edits and mode not in _CLAUDE_READ_ONLY_MODES:
        return []  # (bypassPermissions, or a mode agentmake does not know)
    deny_flag = next((a.partition("=")[0] for a in argv if a.partition("=")[0] in _CLAUDE_DENY), None)
    denied = {t for t in list_values(argv, *_CLAUDE_DENY)}
    tools_flag = has_flag(argv, "--tools")
    tools = list_values(argv, "--tools") if tools_flag else []
    listed = None if not tools_flag or tools == ["default"] else set(tools)

    def there(tool: str) -> bool:
        covered = tool in denied or (tool == "MultiEdit" and "Edit" in denied)
        return not covered and (listed is None or tool in listed)

    for rule in list_values(argv, "--allowedTools", "--allowed-tools"):
        tool = rule.partition("(")[0]
        if any(w in tool for w in CLAUDE_WRITING_TOOLS) and (tool.startswith("mcp__") or there(tool)):
            return []
    file_tools = any(there(t) for t in _CLAUDE_FILE_TOOLS)
    if edits and file_tools:
        return []
    flags = [] if edits else [f"--permission-mode {mode}"]
    if not file_tools:
        gone = [t for t in ("Write", "Edit") if t in denied]
        if gone:
            flags.append(f"{deny_flag} {' '.join(gone)}")
        if listed is not None and not all(t in denied for t in ("Write", "Edit")):
            flags.append(f"--tools {','.join(tools) or chr(34) * 2}")
    return flags


_CLAUDE_DENY = ("--disallowedTools", "--disallowed-tools")
# gemini's tools that write nothing: any other one (an MCP server's, a shell) may write
_GEMINI_READING_TOOLS = frozenset(
    {"read_file", "read_many_files", "list_directory", "glob", "search_file_content", "grep_search"}
    | {"google_web_search", "web_fetch"}
)


def gemini_blocking(argv: list[str], root: Path | None) -> str | None:
    """``--approval-mode default`` when gemini's command `argv` gives it (every one it gives: a repeated one
    that differs is not read), and no allowed tools but reading ones: run headless in that mode, gemini
    takes away its tools that would ask (edit, write, shell) unless they are allowed, and writes nothing.
    The allowed tools are ``--allowed-tools``' or, without it, its settings files' ``tools.allowed``
    (gemini-cli ``config.ts``: ``argv.allowedTools || settings.tools?.allowed``; any file's, conservative).
    ``plan`` is not one: it may leave it by itself (`writesettings.GEMINI_WRITING_MODES`); with
    ``-y``/``--yolo`` too gemini refuses to start (unpaid)."""
    from agentmake.runners.argvflags import flag_values, has_flag, list_values

    if has_flag(argv, "-y", "--yolo") or set(flag_values(argv, "--approval-mode")) != {"default"}:
        return None
    flags = ("--allowed-tools", "--allowedTools")
    allowed = list_values(argv, *flags) if has_flag(argv, *flags) else _gemini_settings_allowed(root)
    if any(tool not in _GEMINI_READING_TOOLS for tool in allowed):
        return None
    return "--approval-mode default"


def _gemini_settings_allowed(root: Path | None) -> list[str]:
    """The tools gemini's settings files allow without asking (``tools.allowed``; older files: a top-level
    ``allowedTools``), every file's together; a file that cannot be read allows nothing, one whose list is
    not a list of names allows something unknown (conservative)."""
    from agentmake.runners.configfiles import files, read_config
    from agentmake.runners.configtext import json_object

    allowed: list[str] = []
    for path in files("gemini", os.environ, root):
        data = read_config(path)
        try:
            settings = {} if data is None else json_object(data, comments=True)
        except (ValueError, RecursionError):  # (not JSON or UTF-8, nested too deep: as `modelconfig`)
            continue
        tools = settings.get("tools")
        listed = tools.get("allowed") if isinstance(tools, dict) else None
        for names in (listed, settings.get("allowedTools")):
            if names is None:
                continue
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                return ["?"]  # (not a list of names: whatever it allows may write)
            allowed.extend(names)
    return allowed


def aider_blocking(argv: list[str]) -> list[str]:
    """The flags of aider's command `argv` that keep it from editing files: an ``ask`` or ``help`` chat mode
    (``--chat-mode`` and ``--edit-format`` are one option, ``--architect`` sets it too: the last given
    wins), ``--dry-run`` (unless a later ``--no-dry-run``)."""
    mode: tuple[str, str] | None = None
    dry = False
    for i, arg in enumerate(argv):
        name, eq, value = arg.partition("=")
        if name in ("--chat-mode", "--edit-format") and (eq or i + 1 < len(argv)):
            mode = (name, value if eq else argv[i + 1])
        elif arg == "--architect":
            mode = (arg, "architect")
        elif arg in ("--dry-run", "--no-dry-run"):
            dry = arg == "--dry-run"
    flags = [f"{mode[0]} {mode[1]}"] if mode is not None and mode[1] in ("ask", "help") else []
    return flags + (["--dry-run"] if dry else [])
