"""Whether a task's agent may write files: the one rule `plan.pathless` (such an agent keeps its output path
in its key) and `execute` (its output is set aside while it runs: `backups.set_aside`) both ask.

An agent may write files when its runner's flags let it (`invocation.may_write_files`), or when its CLI's own
settings files do (`modelconfig.ConfigReading.writes`, read once per runner in a build by whoever asks).
"""

from __future__ import annotations

from agentmake.runners.invocation import may_write_files

__all__ = ["agent_may_write"]


def agent_may_write(preset: str | None, argv: list[str], settings_write: bool) -> bool:
    """Whether the agent CLI `argv` (of `preset`) may write files: by its flags, or by its settings files
    (`settings_write`: `ConfigReading.writes`)."""
    return settings_write or may_write_files(preset, argv)
