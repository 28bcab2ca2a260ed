"""The command line a hint tells to run: this invocation's -C DIR, -f FILE and VAR=value words kept around
the hint's own words, so that copying it runs on the same project with the same values (`command_line`)."""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Invocation:
    """The words of the command line every hint repeats: -C DIR and -f FILE as given, the VAR=value words."""

    directory: str = "."
    agentfile: str | None = None
    overrides: Mapping[str, str] = field(default_factory=dict)


# The settings only a build's running reads (`model.Settings`): none enters a task's key (`plan.keys`), so a
# hint for a command that runs nothing (`clean`, `status`, `-t`, ...) leaves them out (`command_line`).
RUN_ONLY = frozenset({"jobs", "retries", "timeout", "budget", "backoff", "cache_size"})
_RUNS = ("build", "report", "watch")  # the commands that run tasks: `-t` aside, they read every setting

HIDDEN = "…"  # a value `command_line` leaves out (`VAR=…`): the CLI refuses it as a value (`cli.parse`)

_current = Invocation()  # this process's command line (`current`): set by the CLI for the command it runs


def given() -> Invocation:
    """This process's command line (`current`)."""
    return _current


@contextmanager
def current(invocation: Invocation) -> Iterator[None]:
    """Hints printed meanwhile (`command_line` without `invocation`) repeat `invocation`'s words; after it,
    those of a plain `agentmake` again (a test running `cli.main` twice sees none of the first's)."""
    global _current
    before, _current = _current, invocation
    try:
        yield
    finally:
        _current = before


def targets(*names: str) -> tuple[str, ...]:
    """The words that build `names` (targets: tasks, outputs, agents, reports): `build` before them when the
    first is a command's name (`agentmake check` runs the command, not the agent `check`), `--` when one
    starts with '-' (else an option)."""
    from agentmake.commandnames import COMMANDS

    words = ("--", *names) if any(name.startswith("-") for name in names) else names
    return ("build", *words) if names and names[0] in COMMANDS else words


def from_here(path: str, invocation: Invocation | None = None) -> str:
    """`path`, relative to the project's root, as the shell the user typed the command in names it: under
    -C DIR and the directory of -f FILE as they were given (the words `command_line` repeats are relative to
    that shell too), `./` before a path that starts with '-' (else a command takes it for an option)."""
    given = _current if invocation is None else invocation
    parts = [p for p in (given.directory, os.path.dirname(given.agentfile or "")) if p not in ("", ".")]
    said = os.path.join(*parts, path)
    return _not_an_option(said)


def _not_an_option(path: str) -> str:
    """`path`, with `./` before it if it starts with '-' (`--directory=-d` given: `-C -d` is refused, argparse
    takes `-d` for an option; `-C ./-d` names the same directory)."""
    return f"./{path}" if path.startswith("-") else path


def command_line(*words: str, invocation: Invocation | None = None, values: bool = True) -> str:
    """``agentmake [-C DIR] [-f FILE] WORDS... [VAR=value...]``, each word quoted for a POSIX shell, the
    directory and Agentfile as they were given (`invocation`, else this process's: `current`); `values`
    False: without the VAR=value words (`agentmake init` takes none); without the settings that only a
    build's running reads (`RUN_ONLY`: `budget=0.5`) when `words` run nothing (`runs_tasks`). A value is
    left out (``VAR=…``) when its variable's name looks secret, it holds a secret of the environment
    (`runners.redact.SecretValues`, as a prompt's memo keeps it out of the state) or a URL's password or
    secret parameter (`runners.urlsecrets.without_secrets`)."""
    given = _current if invocation is None else invocation
    said = ["agentmake"]
    if given.directory != ".":
        said += ["-C", shlex.quote(_not_an_option(given.directory))]
    if given.agentfile is not None:
        said += ["-f", shlex.quote(_not_an_option(given.agentfile))]
    said += [shlex.quote(word) for word in words]
    if values and given.overrides:
        from agentmake.runners.redact import environ_secrets
        from agentmake.runners.urlsecrets import without_secrets

        secret = environ_secrets()
        unread = () if runs_tasks(words) else RUN_ONLY
        for name, value in given.overrides.items():
            if name in unread:
                continue
            hidden = secret(name, value) or without_secrets(value) != value
            said.append(f"{shlex.quote(name)}={HIDDEN}" if hidden else shlex.quote(f"{name}={value}"))
    return " ".join(said)


def runs_tasks(words: Sequence[str]) -> bool:
    """Whether `words`, a hint's, are a command that runs tasks: a build (no command's name first), `report`
    or `watch`, but for `-t`/`--touch` before any `--` (it records outputs as built, calling nothing)."""
    from agentmake.commandnames import COMMANDS

    if words and words[0] in COMMANDS and words[0] not in _RUNS:
        return False
    options = words[: words.index("--")] if "--" in words else words
    return "-t" not in options and "--touch" not in options
