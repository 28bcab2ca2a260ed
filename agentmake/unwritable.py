"""Agents of several outputs whose runner's command keeps its CLI from writing them (`unwritable_outputs`),
which every load of the Agentfile and `agentmake check` warn of (`check_warnings.load_warnings`)."""

from __future__ import annotations

import os

from agentmake.model import Agentfile, RunnerSpec

__all__ = ["unwritable_outputs"]


def unwritable_outputs(af: Agentfile) -> list[str]:
    """Agents of several outputs (which they write themselves) whose runner's command explicitly keeps its
    CLI from writing files: agentmake keeps the user's choice (it adds its own writing flag only when the
    command chooses none: `invocation.llm_invocation`), so each of their tasks would pay for a call, then
    fail with its outputs unwritten. One warning per runner and flag, naming the agents, what to remove, and
    the other way out (one output, which agentmake writes). The flags, per CLI (`_blocking_flags`):

    - codex: ``-s read-only``, or a ``-c sandbox_mode="read-only"`` (the last given), the highest layer of
      its configuration, which no file beats, the ``--profile`` file included (`invocation.codex_read_only`,
      `modelconfig.config_reading`);
    - claude: ``--permission-mode default|plan|dontAsk`` (the last one given), or no writing tool left
      (``--disallowedTools Write Edit``, ``--tools Read``), with no ``--allowedTools`` rule of a writing tool
      still there (`readonly.claude_blocking`), and no settings file of claude's letting it write;
    - gemini: ``--approval-mode default``, which takes its writing tools away when it runs headless, with no
      ``--allowed-tools`` but reading ones (`readonly.gemini_blocking`);
    - aider: ``--chat-mode``/``--edit-format`` ``ask`` or ``help`` (the last given), ``--dry-run``.

    Conservative: whatever may let it write (``--dangerously-skip-permissions``, a mode or a tool agentmake
    does not know, settings that allow a writing tool) is no such case."""
    found: dict[tuple[str, str, str, str], list[str]] = {}  # (runner, cli, flag, fix) -> agents
    blocking: dict[str, tuple[str, str, str] | None] = {}  # runner -> (cli, flag, fix), once per runner
    for agent in af.agents.values():
        runner = af.runners.get(agent.runner)
        if agent.is_shell or runner is None or len(agent.outputs) < 2:
            continue
        if runner.name not in blocking:
            blocking[runner.name] = _blocking_flags(af, runner)
        said = blocking[runner.name]
        if said is not None:
            found.setdefault((runner.name, *said), []).append(agent.name)
    return [
        f"{', '.join(names)}: runner {runner} gives {cli} {flag}, so it cannot write the several outputs"
        f" the agent declares (each task would pay for a call, then fail): {fix}, or give the agent one"
        " output (its answer is written by agentmake)"
        for (runner, cli, flag, fix), names in found.items()
    ]


def _blocking_flags(af: Agentfile, runner: RunnerSpec) -> tuple[str, str, str] | None:
    """(its CLI, the flags as shown, what to do) when `runner`'s command keeps its CLI from writing files
    (`unwritable_outputs`), else None."""
    from agentmake.runners import readonly
    from agentmake.runners.invocation import codex_read_only
    from agentmake.runners.presets import preset_of

    preset, argv = preset_of(runner), list(runner.command)
    if preset == "codex":
        flag = codex_read_only(argv)
        if flag is None or (flag.startswith("-c") and _settings_write(af, runner)):
            return None
        return "codex", flag, _remove("it", "agentmake then runs codex with -s workspace-write")
    if preset == "claude":
        flags = readonly.claude_blocking(argv)
        if not flags or _settings_write(af, runner):  # (claude adds its settings' allow to any mode)
            return None
        them = "it" if len(flags) == 1 else "them"
        return (
            "claude",
            " and ".join(flags),
            _remove(them, "agentmake then runs claude with --permission-mode acceptEdits"),
        )
    if preset == "gemini":
        flag = readonly.gemini_blocking(argv, af.root)
        if flag is None:
            return None
        return "gemini", flag, _remove("it", "agentmake then runs gemini with --approval-mode auto_edit")
    if preset == "aider":
        flags = readonly.aider_blocking(argv)
        them = "it" if len(flags) == 1 else "them"
        fix = _remove(them, "aider then edits files, given --yes-always as its preset's command gives it")
        return ("aider", " and ".join(flags), fix) if flags else None
    return None


def _remove(them: str, then: str) -> str:
    """What to do: remove the flags (`them`: it or them), and what happens `then`."""
    return f"remove {them} from the runner's command ({then})"


def _settings_write(af: Agentfile, runner: RunnerSpec) -> bool:
    """Whether the settings files of `runner`'s CLI let it write (`modelconfig.config_reading`): read only
    for a runner whose flags keep it from writing. For codex, whether its configuration's layers merged
    (`authsettings.codex_layers`: the ``-c`` overrides over the files, the ``--profile`` file's included)
    let it write."""
    from agentmake.runners.modelconfig import config_reading
    from agentmake.runners.presets import preset_of

    return config_reading(preset_of(runner), runner, os.environ, af.root).writes
