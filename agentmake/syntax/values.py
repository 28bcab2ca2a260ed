"""Value handling for the loader: `${var}` substitution, dedented triple strings, and typed conversions.

`Source` is one Agentfile's text with its display name, so every error can quote the line it points at.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from agentmake.errors import AgentfileError, Loc, did_you_mean
from agentmake.syntax.statements import Item, Value

SETTINGS = ("jobs", "retries", "timeout", "runner", "model", "default", "budget", "cache_size", "backoff")
_VAR = re.compile(r"\$(\$?)\{([^}$\n]*)(\}?)")  # (no `$` or newline inside: one scan per `${`, not quadratic)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
_DURATION = re.compile(r"(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h)?")  # fullmatch of the stripped text (linear)
_UNITS = {None: 1.0, "ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


@dataclass
class Source:
    """One Agentfile: `name` as shown in messages, its lines for the caret display."""

    name: str
    lines: list[str]

    def loc(self, line: int, col: int) -> Loc:
        return Loc(self.name, line, col)

    def error(
        self, message: str, line: int, col: int, expected: list[str] | None = None, hint: str | None = None
    ) -> AgentfileError:
        src = self.lines[line - 1] if 0 < line <= len(self.lines) else None
        return AgentfileError(message, Loc(self.name, line, col), expected or [], hint, src)


_LITERAL_HINT = "write $${ for a literal '${' (in a shell command: $${{HOME}}, or $HOME)"


def dedent_triple(text: str) -> str:
    """Drop a leading newline and the common indentation (a closing `\"\"\"` on its own line ends the
    text)."""
    if text.startswith("\r\n"):
        text = text[2:]
    elif text.startswith("\n"):
        text = text[1:]
    import textwrap  # (here: importing it compiles its patterns, and most Agentfiles hold no triple string)

    return textwrap.dedent(text)


def item_start_line(item: Item) -> int:
    """The Agentfile line where a triple-quoted item's text starts, so that line N of an inline prompt is
    that line + N - 1 (for template error locations); 0 for any other item: its text is on one Agentfile
    line whatever lines its `\\n` escapes make."""
    if item.kind != "triple":
        return 0
    if item.text.startswith(("\n", "\r\n")):
        return item.line + 1
    return item.line


def _position(item: Item, offset: int) -> tuple[int, int]:
    """Line and column of character `offset` of an item's raw text."""
    quote = {"word": 0, "string": 1, "triple": 3}[item.kind]
    before = item.text[:offset]
    newlines = before.count("\n")
    if newlines == 0:
        return item.line, item.col + quote + offset
    return item.line + newlines, len(before) - before.rfind("\n")


def references(item: Item) -> Iterator[tuple[str, int, int]]:
    """Each `${name}` of the item's raw text that names a variable (not `$${`, nor a broken one: `substitute`
    says what is wrong with those), with its line and column."""
    if "$" not in item.text:
        return
    for m in _VAR.finditer(item.text):
        if not m.group(1) and m.group(3) and _NAME.match(m.group(2)):
            yield (m.group(2), *_position(item, m.start()))


def assigned_at(where: Loc, src: Source) -> str:
    """Where a variable is assigned, for a hint about a line of `src`: `line 7`, or `common.Agentfile:7` in
    another file (an include's line numbers are not the including file's)."""
    return f"line {where.line}" if where.file == src.name else f"{where.file}:{where.line}"


def _defined(variables: Mapping[str, str]) -> str:
    """What an unknown `${name}` should have been: a variable assigned above it (the first few named)."""
    if not variables:
        return "a variable assigned above this line (NAME = value), or on the command line (NAME=value)"
    names = sorted(variables)
    more = f" or {len(names) - 6} more" if len(names) > 6 else ""
    shown = ", ".join(f"${{{n}}}" for n in names[:6]) + more
    return f"a variable set above this line or on the command line: {shown}"


def substitute(item: Item, variables: Mapping[str, str], src: Source, later: Mapping[str, Loc]) -> str:
    """The item's text with `${name}` replaced (`$${` is a literal `${`); an unknown name is an error. A
    triple-quoted item is dedented before its values go in."""
    raw = item.text
    if "$" not in raw:
        return dedent_triple(raw) if item.kind == "triple" else raw

    def repl(m: re.Match[str]) -> str:
        if m.group(1):
            return "${" + m.group(2) + m.group(3)
        name = m.group(2)
        if m.group(3) and name in variables:
            return variables[name]
        line, col = _position(item, m.start())
        if not m.group(3):
            raise src.error("'${' is never closed", line, col, ["${name}"], _LITERAL_HINT)
        if not _NAME.match(name):
            raise src.error(
                f"'${{{name}}}' is not a variable reference",
                line,
                col,
                ["${name}"],
                _LITERAL_HINT,
            )
        hint = did_you_mean(name, variables)
        where = later.get(name)
        if where is not None and where.file == src.name and where.line == item.line:
            hint = f"'{name}' refers to itself: it has no value yet on its own line"
        elif where is not None:
            at = assigned_at(where, src)
            hint = f"'{name}' is assigned later ({at}); variables must be assigned before use"
        elif name in SETTINGS:
            hint = f"'{name}' is a setting, not a variable: settings cannot be used in values"
        elif hint is None and name.isupper():  # most likely the shell's, as in `run = "ls ${HOME}"`
            shell = f"${name} (or $${{{{{name}}}}})"
            hint = f"Agentfile variables only: write {shell} for the environment's {name} in a command"
        raise src.error(f"unknown variable '{name}'", line, col, [_defined(variables)], hint)

    if item.kind != "triple":
        return _VAR.sub(repl, raw)
    for m in _VAR.finditer(raw):  # every reference checked in the raw text: an error is located as written
        repl(m)
    # then put in: the indentation removed is that of the lines as written, not of the values put in (a
    # multi-line value at column 0 would otherwise leave every written line indented)
    return _VAR.sub(repl, dedent_triple(raw))


def words(value: Value, variables: Mapping[str, str], src: Source, later: Mapping[str, Loc]) -> list[str]:
    """A value as a list of words: bare words split on whitespace after substitution, strings kept whole."""
    out: list[str] = []
    for item in value.items:
        text = substitute(item, variables, src, later)
        if item.kind == "word":
            out.extend(text.split())
        else:
            out.append(text)
    return out


def to_int(text: str, key: str, src: Source, line: int, col: int, minimum: int | None = None) -> int:
    try:
        n = int(text.strip())
    except ValueError:
        shown = repr(text) if len(text) <= 40 else repr(text[:40]) + f"… ({len(text)} characters)"
        if text.strip().isdigit():  # (Python refuses to convert over 4,300 digits)
            raise src.error(f"{key} is too large: {shown}", line, col, ["an integer"]) from None
        raise src.error(f"{key} must be an integer, not {shown}", line, col, ["an integer"]) from None
    if minimum is not None and n < minimum:
        raise src.error(f"{key} must be at least {minimum}, not {n}", line, col, [f"an integer >= {minimum}"])
    return n


def to_float(text: str, key: str, src: Source, line: int, col: int) -> float:
    try:
        x = float(text.strip())
    except ValueError:
        raise src.error(f"{key} must be a number, not {text!r}", line, col, ["a number"]) from None
    if not x >= 0 or x == float("inf"):
        raise src.error(f"{key} must be a non-negative number, not {text!r}", line, col, ["a number"])
    return x


@functools.lru_cache(maxsize=256)
def parse_duration(text: str) -> float | None:
    """Seconds of a duration (`250ms`, `30s`, `5m`, `2h`, or a plain number of seconds); None if not one.
    Memoised: the agents of an Agentfile mostly share a few texts (`timeout = 5m` in each of 5,000)."""
    m = _DURATION.fullmatch(text.strip())
    return None if m is None else float(m.group(1)) * _UNITS[m.group(2)]


def to_duration(text: str, key: str, src: Source, line: int, col: int, limit: bool = False) -> float:
    """Seconds. `limit`: the duration is a limit (a timeout), which 0 would make meaningless."""
    seconds = parse_duration(text)
    if seconds is None:
        raise src.error(
            f"{key} must be a duration, not {text!r}",
            line,
            col,
            ["a duration such as 250ms, 30s, 5m, 2h or a number of seconds"],
        )
    if limit and seconds == 0:
        why = f"{key} must be longer than 0 (to have no limit, leave {key} out)"
        raise src.error(why, line, col, ["a duration above 0"])
    return seconds


def to_bool(text: str, key: str, src: Source, line: int, col: int) -> bool:
    low = text.strip().lower()
    if low in ("true", "yes", "on", "1"):
        return True
    if low in ("false", "no", "off", "0"):
        return False
    raise src.error(f"{key} must be true or false, not {text!r}", line, col, ["true", "false"])
