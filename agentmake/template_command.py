"""Shell command templates: `{input}`, `{outputs[1]}` and `{wildcard}` placeholders replaced by shell-quoted
values, and the placeholders a command uses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

from agentmake import shellwords
from agentmake.errors import AgentfileError, Loc, did_you_mean

_PATH_KEYS = ("input", "inputs", "output", "outputs")


_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


_INDEXED = re.compile(r"(input|output)s?\[(\d+)\]")  # {outputs[1]}, or Snakemake's {output[1]}


def command_indices(template: str, kind: str) -> list[int]:
    """The indices `template` uses of `kind` ("input" or "output"): `{inputs[2]}` and `{input[2]}` give 2."""
    found = (_INDEXED.fullmatch(m.group(1) or "") for m in _PLACEHOLDER.finditer(template))
    return [int(m.group(2)) for m in found if m is not None and m.group(1) == kind]


def render_command(template: str, values: Mapping[str, str | Sequence[str]], loc: Loc | None = None) -> str:
    """Replace `{input}`, `{inputs}`, `{output}`, `{outputs}`, `{wildcard}` in a shell command template with
    shell-quoted values (a sequence becomes space-separated quoted words); `{outputs[N]}` (or `{output[N]}`)
    is the Nth output alone, from 0, and likewise for inputs. `{{`/`}}` are literal braces.
    A path value starting with `-` gets a `./` prefix; a wildcard value starting with `-` at the start of a
    word (where it would read as an option), an unknown `{name}`, an index past the last path or a lone brace
    is an error."""

    if shellwords.MARK in template:  # (no program can be given one: an argument ends at a NUL)
        raise AgentfileError(f"a NUL character in command {template!r}", loc, [], "remove it")
    where = iter(_places(template))

    def repl(m: re.Match[str]) -> str:
        tok = m.group(0)
        if tok == "{{":
            return "{"
        if tok == "}}":
            return "}"
        name = m.group(1)
        if name is None:
            raise AgentfileError(
                f"unmatched '{tok}' in command {template!r}", loc, [], "write {{ or }} for a literal brace"
            )
        indexed = _INDEXED.fullmatch(name)
        if indexed is not None and indexed.group(1) + "s" in values:
            words = [_nth(name, values[indexed.group(1) + "s"], int(indexed.group(2)), loc)]
        elif name in values:
            val = values[name]
            words = [val] if isinstance(val, str) else list(val)
        else:
            raise AgentfileError(
                f"unknown placeholder '{{{name}}}' in command {template!r}",
                loc,
                sorted(f"{{{k}}}" for k in values),
                did_you_mean(name, values) or "write {{ and }} for literal braces",
            )
        if indexed is not None or name in _PATH_KEYS:  # a path starting with '-' must not read as an option
            words = ["./" + w if w.startswith("-") else w for w in words]
        elif words and words[0].startswith("-") and _starts_word(template, m.start()):
            raise AgentfileError(
                f"wildcard '{{{name}}}' has the value {words[0]!r}, which starts with '-': at the start of a "
                "word of the command it would read as an option",
                loc,
                [],
                f"use it inside a word (a path such as dir/{{{name}}}.txt), or rename the file that gave it",
            )
        place = next(where)
        if place not in (shellwords.WORD, shellwords.SINGLE, shellwords.DOUBLE):
            raise AgentfileError(
                f"placeholder '{{{name}}}' {place}: no quoting of a value there is known to be exact",
                loc,
                [],
                "put it where it is a word of its own, or inside '...' or \"...\" (a file name may hold any "
                "character, $(...) or a quote included)",
            )
        return shellwords.quote(place, words)

    return _PLACEHOLDER.sub(repl, template)


@lru_cache(maxsize=4096)  # (per distinct command of the Agentfile: each task renders its agent's twice)
def _places(template: str) -> tuple[str, ...]:
    """`shellwords.places` of each placeholder of `template`, read as the shell reads it (`{{` and `}}` as
    braces)."""
    mark = shellwords.MARK
    return shellwords.places(_PLACEHOLDER.sub(lambda m: mark if m.group(1) else m.group(0)[0], template))


@lru_cache(maxsize=64)
def refuses_some_values(template: str) -> bool:
    """Whether rendering `template` can refuse a task's values (an `{inputs[N]}` or `{outputs[N]}`, which a
    task's paths may not reach, or a wildcard starting a word, whose value may start with '-')."""
    if command_indices(template, "input") or command_indices(template, "output"):
        return True
    return bool(word_start_names(template) - set(_PATH_KEYS))


def command_names(template: str) -> set[str]:
    """The placeholder names of `template` (`{input}`, `{name}`, `{outputs[1]}`), without literal braces."""
    return {m.group(1) for m in _PLACEHOLDER.finditer(template) if m.group(1)}


def word_start_names(template: str) -> set[str]:
    """The placeholder names of `template` that begin a word of the command (`echo {name}`, not
    `docs/{name}.md`): where a value starting with '-' is refused (see `render_command`)."""
    return {
        m.group(1)
        for m in _PLACEHOLDER.finditer(template)
        if m.group(1) and _starts_word(template, m.start())
    }


def _starts_word(template: str, at: int) -> bool:
    """Whether a placeholder at `at` begins a word of the shell command that a program may take as an
    option: nothing before it but quotes since the start, a blank or an operator (`;`, `|`, `&`, `(`, a
    backquote). The target of a redirection (`> {name}`, `<{name}`, `>| {name}`) is a file name, never an
    option."""
    before = template[:at].rstrip("\"'")
    if before and not (before[-1].isspace() or before[-1] in ";|&()`"):
        return False  # (inside a word, or right after a redirection operator)
    operator = before.rstrip()
    return operator[-1:] not in ("<", ">") and not operator.endswith(">|")


def _nth(name: str, paths: str | Sequence[str], index: int, loc: Loc | None) -> str:
    paths = [paths] if isinstance(paths, str) else paths
    if index < len(paths):
        return paths[index]
    kind = name.split("[")[0].rstrip("s")  # input, output
    have = f"{len(paths)} {kind}" + ("" if len(paths) == 1 else "s")
    raise AgentfileError(
        f"'{{{name}}}' is past the last {kind}: this task has {have}, numbered from 0",
        loc,
        [f"{{{kind}s[{i}]}}" for i in range(len(paths))],
        None if paths else f"remove '{{{name}}}': there is no {kind} to name",
    )
