"""What a runner's command gives its flags: the values of a flag (``--flag V``, ``--flag=V``), and codex's
``-c``/``--config KEY=VALUE`` overrides. Read by `invocation` (whether the agent may write files) and by
`modelconfig` (the codex profile file a command's ``--profile NAME`` chooses, `codex_profile`, and a flag's
value as codex's parser reads it, `clap_value`), which `invocation` imports: so here, not in either;
and by `readonly` (the flags that keep an agent from writing: `has_flag`, `last_value`,
`list_values`)."""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = [
    "CODEX_PROFILE_NAME",
    "clap_value",
    "codex_overrides",
    "codex_profile",
    "flag_values",
    "has_flag",
    "last_given",
    "last_value",
    "list_values",
]

# codex's profile names (``--profile NAME``: its file ``$CODEX_HOME/NAME.config.toml``): a file name, no path
CODEX_PROFILE_NAME = re.compile(r"[A-Za-z0-9_-]+")


def has_flag(argv: list[str], *flags: str) -> bool:
    """Whether `argv` gives one of `flags` (alone or as ``--flag=V``)."""
    return any(a.partition("=")[0] in flags for a in argv)


def flag_values(argv: list[str], *flags: str) -> list[str]:
    """The values `argv` gives `flags` (``--flag=V`` or ``--flag V``), in no particular order."""
    found = [a.split("=", 1)[1] for a in argv if a.startswith(tuple(f + "=" for f in flags))]
    return found + [argv[i + 1] for i, a in enumerate(argv[:-1]) if a in flags]


def codex_overrides(argv: list[str], key: str, *, profiles: bool = False) -> list[str]:
    """The values codex's ``-c KEY=VALUE`` / ``--config KEY=VALUE`` overrides in `argv` give `key` (and,
    with `profiles`, a key ending in ``.key``: a legacy ``[profiles.NAME]`` table's, which codex 0.134 and
    later ignore, kept where a wrong "yes" costs nothing: `invocation.may_write_files`), each as codex reads
    it: a TOML string's quotes taken off."""
    found = []
    pairs = flag_values(argv, "-c", "--config") + [
        a[2:] for a in argv if a.startswith("-c") and a[2:3] != "="
    ]
    for pair in pairs:
        name, eq, value = pair.partition("=")
        name = name.strip()
        if eq and (name == key or (profiles and name.endswith("." + key))):
            found.append(value.strip().strip("\"'").strip())
    return found


def codex_profile(argv: list[str]) -> str | None:
    """The profile codex's command line `argv` chooses (`clap_value` of ``-p``/``--profile``): a file name
    (`CODEX_PROFILE_NAME`), else None (codex reads no such file)."""
    value = clap_value(argv, "-p", "--profile")
    return value if value is not None and CODEX_PROFILE_NAME.fullmatch(value) else None


def clap_value(argv: list[str], short: str, long: str) -> str | None:
    """The value the last of the options `short`/`long` in `argv` gives it, as codex's parser (clap) reads
    it: ``-p NAME``, ``--profile NAME``, ``--profile=NAME``, ``-pNAME`` and ``-p=NAME``; None when none
    does."""
    value = None
    for i, arg in enumerate(argv):
        if arg in (short, long) and i + 1 < len(argv):
            value = argv[i + 1]
        elif arg.startswith(long + "="):
            value = arg.partition("=")[2]
        elif arg.startswith(short) and len(arg) > 2 and not arg.startswith("--"):
            value = arg[3:] if arg[2] == "=" else arg[2:]
    return value


def last_value(argv: Sequence[str], *flags: str) -> str | None:
    """The value the last of `flags` in `argv` gives it (``--flag=V`` or ``--flag V``), None when none
    does: a repeated option's, as the parsers of claude (commander) and aider (argparse) keep it."""
    given = last_given(argv, *flags)
    return None if given is None else given[1]


def last_given(argv: Sequence[str], *flags: str) -> tuple[str, str] | None:
    """(the words that give it, as written: ``--flag=V`` or ``--flag V``; the value) of the last of `flags`
    in `argv` that gives a value (`last_value`), None when none does."""
    given = None
    for i, arg in enumerate(argv):
        name, eq, rest = arg.partition("=")
        if eq and name in flags:
            given = arg, rest
        elif arg in flags and i + 1 < len(argv):
            given = f"{arg} {argv[i + 1]}", argv[i + 1]
    return given


def list_values(argv: list[str], *flags: str) -> list[str]:
    """The names a list flag of `flags` gives, all its occurrences together: ``--flag=A,B``, or the words
    after ``--flag`` up to the next one starting with ``-`` (``--flag A B``, as commander's and yargs'
    variadic options take them), each split at commas and spaces outside parentheses (``Bash(git log:*)``
    is one name, as claude reads it)."""
    words = []
    for i, arg in enumerate(argv):
        name, eq, rest = arg.partition("=")
        if eq and name in flags:
            words.append(rest)
        elif arg in flags:
            for word in argv[i + 1 :]:
                if word.startswith("-"):
                    break
                words.append(word)
    return [name for word in words for name in _names(word)]


def _names(word: str) -> list[str]:
    """The names in one value of a list flag: split at commas and spaces outside parentheses."""
    names, current, depth = [], "", 0
    for ch in word:
        if ch in ", \t\n" and depth == 0:
            names.append(current)
            current = ""
            continue
        if ch == "(":
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        current += ch
    return [n for n in (*names, current) if n]
