"""Whether a task's agent may write files: the one rule `plan.pathless` (such an agent keeps its output path
in its key) and `execute` (its output is set aside while it runs: `backups.set_aside`) both ask.

An agent may write files when its runner's flags let it (`invocation.may_write_files`), or when its CLI's own
settings do (`modelconfig.ConfigReading.writes`, by `writesettings`' rules: read once per runner in a build,
by the plan, whose decision to run a task carries the answer to its attempt: `Decision.settings_write`),
unless a flag of the command says otherwise where the CLI lets a flag beat those files: codex's ``-s
read-only`` or ``-c sandbox_mode="read-only"`` (its CLI flags and ``--config`` overrides come before its
profiles and config files). claude's and gemini's flags are not taken to beat their files (claude adds
the ``permissions.allow`` of its settings to any mode a flag sets): conservative.
"""

from __future__ import annotations

from agentmake.runners.invocation import codex_sandbox, may_write_files

__all__ = ["agent_may_write"]


def agent_may_write(preset: str | None, argv: list[str], settings_write: bool) -> bool:
    """Whether the agent CLI `argv` (of `preset`) may write files: by its flags, or by its settings files
    (`settings_write`: `ConfigReading.writes`) when no flag overrides them (see the module's docstring)."""
    if may_write_files(preset, argv):
        return True
    if not settings_write:
        return False
    return not (preset == "codex" and codex_sandbox(argv) == "read-only")
