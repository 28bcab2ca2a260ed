"""Errors a person can act on: every user-facing failure is one of these, never a traceback.

`AgentfileError` renders as ``path:line:col: error: message``, the source line, a caret, what was
expected and a "did you mean" hint; one without a location, and every other error, as
``agentmake: error: message``. The CLI maps `UsageError`/`AgentfileError` to exit 2.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from unicodedata import combining, east_asian_width

from agentmake.safetext import term_safe


@dataclass(frozen=True)
class Loc:
    """A place in an Agentfile (1-based line and column)."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class AgentmakeError(Exception):
    """Base of every error agentmake reports to the user; `exit_code` is what the CLI returns."""

    exit_code = 2

    def render(self) -> str:
        # one line: a file name or task id quoted in the message cannot start a line of its own
        return term_safe(f"agentmake: error: {self}")


class UsageError(AgentmakeError):
    """Bad command line or bad request (unknown target, locked state...)."""


@dataclass
class AgentfileError(AgentmakeError):
    """A mistake in an Agentfile, located at `loc`."""

    message: str
    loc: Loc | None = None
    expected: list[str] = field(default_factory=list)
    hint: str | None = None
    source_line: str | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def render(self) -> str:
        message = self.message
        if len(message) > 2 * SHOWN + 200:  # (a value quoted whole: a command, a duration of 30,000 blanks)
            message = f"{message[: SHOWN + 100]} … {message[-SHOWN:]}"
        # each part one line, escaped: a file name or a wildcard value quoted in the message, expected or
        # hint (a newline in its name) cannot start a line of its own
        # located, as compilers say it (editors jump to it); else as agentmake's other errors begin
        head = f"{self.loc}: error: {message}" if self.loc else f"agentmake: error: {message}"
        lines = [term_safe(head)]
        src = self.source_line
        if src is None and self.loc is not None:
            src = read_line(self.loc.file, self.loc.line)
        if src is not None and self.loc is not None:
            src, col = _window(src.rstrip("\r\n").translate(_BLANKS), max(self.loc.col - 1, 0))
            before = src[:col]  # the caret's indent: tabs expanded and controls escaped as in the line
            indent = _width(term_safe(before.expandtabs(4))) + col - len(before)  # (past its end: plain)
            lines.append("    " + term_safe(src.expandtabs(4)))
            lines.append("    " + " " * indent + "^")
        if self.expected:
            lines.append(term_safe("expected: " + ", ".join(self.expected)))
        if self.hint:
            lines.append(term_safe(self.hint))
        return "\n".join(lines)


SHOWN = 160  # characters of a quoted Agentfile line, at most: a longer one is shown around the caret


def _width(text: str) -> int:
    """How many terminal columns `text` takes: two for a wide character (CJK, most emoji), none for a
    combining mark, one for the rest."""
    return sum(0 if combining(ch) else 2 if east_asian_width(ch) in "WF" else 1 for ch in text)


def _window(line: str, col: int) -> tuple[str, int]:
    """(`line`, or at most `SHOWN` characters of it around 0-based column `col` with a "…" where it was cut,
    and the caret's column in that text): a line of a megabyte is not printed whole, nor is the caret's
    padding."""
    if len(line) <= SHOWN:
        return line, col
    start = max(0, min(col, len(line)) - SHOWN // 2)
    end = min(len(line), start + SHOWN)
    cut = ("…" if start else "") + line[start:end] + ("…" if end < len(line) else "")
    return cut, col - start + (1 if start else 0)


class BuildFailed(AgentmakeError):
    """The build ran and at least one task failed."""

    exit_code = 1


def plural(n: int, word: str, many: str | None = None) -> str:
    """`n` and `word`, with an s unless `n` is 1: "1 task", "2 tasks", "0 outputs"; `many`: the plural when
    it is not `word` + s ("2 directories")."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def did_you_mean(word: str, candidates: Iterable[str], most: int = 1) -> str | None:
    """Return ``did you mean 'x'?`` for the closest candidate (``'x' or 'y'?``, ``'x', 'y' or 'z'?``: the
    `most` closest, closest first), or None."""
    close = close_names(word, candidates, most)
    return f"did you mean {either(close)}?" if close else None


def close_names(word: str, candidates: Iterable[str], most: int = 1) -> list[str]:
    """The `most` candidates closest to `word` (`difflib.get_close_matches`, cutoff 0.6), closest first."""
    import difflib  # (only when there is a misspelling to explain)

    return difflib.get_close_matches(word, list(dict.fromkeys(candidates)), n=most, cutoff=0.6)


def either(names: list[str], quote: bool = True) -> str:
    """``'a'``, ``'a' or 'b'``, ``'a', 'b' or 'c'`` (without `quote`: ``--jobs or --json``)."""
    return listed([f"'{name}'" if quote else name for name in names], "or")


def listed(names: list[str], last: str) -> str:
    """``a``, ``a LAST b``, ``a, b LAST c``: `names` as a sentence lists them (`last`: "or", "and")."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {last} {names[-1]}"


# characters a terminal does not draw as one column, quoted as a space so that the caret stays aligned
_BLANKS = dict.fromkeys(map(ord, "\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"), " ")


def read_line(file: str, line: int) -> str | None:
    """Line `line` of `file`, counted as the loader counts the lines of what it reads (`decode_text`: a BOM
    dropped, a CR, LF or CRLF ends a line): the location it is asked for was numbered that way."""
    try:
        with Path(file).open(encoding="utf-8-sig", errors="replace", newline=None) as fh:
            for i, text in enumerate(fh, 1):
                if i == line:
                    return text
    except OSError:
        return None
    return None


def located(exc: AgentmakeError) -> str:
    """`exc`'s message, after its place in the Agentfile when it has one (an `AgentfileError`'s `loc`)."""
    loc = exc.loc if isinstance(exc, AgentfileError) else None
    return f"{loc}: {exc}" if loc else str(exc)
