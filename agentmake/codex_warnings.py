"""What `check` points out of codex runners (`check_warnings`): a legacy profile selector codex refuses to
start with (`codex_profile_selectors`, which every load says too), and a key in the project's ``.env`` that
codex never reads (`codex_dotenv_keys`)."""

from __future__ import annotations

import os

from agentmake.model import Agentfile, RunnerSpec

__all__ = ["codex_dotenv_keys", "codex_profile_selectors"]

# the variables `codex exec` logs in with (`authfix`): codex reads no project ``.env``, and from its own
# (``$CODEX_HOME/.env``) no ``CODEX_`` variable (codex-rs arg0 `load_dotenv`, ILLEGAL_ENV_VAR_PREFIX)
CODEX_KEYS = ("CODEX_API_KEY", "CODEX_ACCESS_TOKEN")


def codex_profile_selectors(af: Agentfile) -> list[str]:
    """codex runners whose command gives codex a legacy profile selector, ``-c profile=NAME`` (or
    ``--config``): codex 0.134 and later refuse to start with it (openai/codex#24051: "legacy profile
    selector"), so each of their tasks fails. The fix, ``--profile NAME``, layers
    ``$CODEX_HOME/NAME.config.toml`` over config.toml. One warning each."""
    from agentmake.runners.argvflags import codex_overrides

    said = []
    for runner in af.runners.values():
        if not _is_codex(runner):
            continue
        for name in dict.fromkeys(n for n in codex_overrides(list(runner.command), "profile") if n):
            said.append(
                f"runner {runner.name}: its command's `-c profile={name}` is a legacy profile selector, with"
                f" which codex 0.134 and later refuse to start: use `--profile {name}` (its settings in"
                f" $CODEX_HOME/{name}.config.toml, not a [profiles.{name}] table)"
            )
    return said


def codex_dotenv_keys(af: Agentfile) -> list[str]:
    """One warning when an agent runs on codex and the project's ``.env`` sets CODEX_API_KEY or
    CODEX_ACCESS_TOKEN: codex never reads that file (only ``$CODEX_HOME/.env``, and no ``CODEX_`` variable
    there), so the key is not its login, as a user of other tools' ``.env`` files may expect; it says how
    codex takes its key. Never the value."""
    from agentmake.model import agent_runner_users

    if not any(_is_codex(af.runners[n]) for n in agent_runner_users(af) if n in af.runners):
        return []
    from agentmake.runners.configfiles import read_config
    from agentmake.runners.dotenv import env_values

    data = read_config(af.root / ".env")
    values = {} if data is None else env_values(data.decode("utf-8", "replace"), CODEX_KEYS)
    named = [name for name in CODEX_KEYS if values.get(name)]
    if not named:
        return []
    from agentmake.errors import listed

    exported = [name for name in named if os.environ.get(name)]
    now = (
        f"the environment's {listed(exported, 'and')} is used"
        if exported
        else "codex is given no key from it"
    )
    return [
        f".env sets {listed(named, 'and')}, which codex never reads (it reads no project .env, and no CODEX_"
        f" variable from its own $CODEX_HOME/.env): {now}; export it in the environment agentmake runs in,"
        " or run `codex login` once"
    ]


def _is_codex(runner: RunnerSpec) -> bool:
    """Whether `runner` runs codex: on its preset, or its command's program."""
    from agentmake.runners.presets import preset_of

    return bool(runner.command) and (
        preset_of(runner) == "codex" or os.path.basename(runner.command[0]) == "codex"
    )
