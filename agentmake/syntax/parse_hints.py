"""What a parse error says beyond lark's own words: the terminals and tokens named as a person reads them,
and hints for the usual mistakes (a block name that is no name, a line that lost its indentation, tabs
mixed with spaces, a '(' list left open).
"""

from __future__ import annotations

import re
from typing import Any

from agentmake.lazyre import LazyPattern

_TERMINALS = {
    "NAME": "a name",
    "EQUAL": "'='",
    "COLON": "':'",
    "LPAR": "'('",
    "RPAR": "')'",
    "WORD": "a value",
    "STRING": "a quoted string",
    "TRIPLE": "a value",
    "_NL": "end of line",
    "_INDENT": "an indented block of `key = value` lines",
    "_DEDENT": "end of the block",
    "$END": "end of file",
}


KEY = LazyPattern(r"[\t\f ]*[A-Za-z_][A-Za-z0-9_-]*[\t\f ]*")  # what can stand before the '=' of a key


# an unquoted path (with the blanks after it: `[^#]*?[\t\f ]*` would be quadratic on a long run of blanks)
UNQUOTED_INCLUDE = LazyPattern(r"([\t\f ]*include[\t\f ]+)([^\s\"#][^#]*)(?:#.*)?")


def left_list(lines: list[str], opened: int, line: int) -> bool:
    """Whether a line after line `opened` (a '(' list's first), up to `line`, is indented no deeper than it:
    the lines of a list are indented under it, the next statement is not."""

    def indent(text: str) -> int:
        text = text.expandtabs(8)
        return len(text) - len(text.lstrip(" \f"))

    base = indent(lines[opened - 1])
    return any(t.strip() and not t.lstrip().startswith("#") and indent(t) <= base for t in lines[opened:line])


_HEADER = LazyPattern(r"((?:agent|report|runner)[\t\f ]+)([^:#]*?)[\t\f ]*:[\t\f ]*(?:#.*)?")


_NAME = LazyPattern(r"[A-Za-z_][A-Za-z0-9_-]*")


NAME_RULE = "a name: one word of letters, digits, '_' and '-', not starting with a digit or '-'"


def bad_name(line_text: str) -> tuple[str, int, str] | None:
    """When `line_text` is a block header whose name is no NAME (`agent my agent:`, `agent 1st:`), the
    message, the name's column and a hint (a name that follows `NAME_RULE`, or why none is offered); else
    None."""
    m = _HEADER.fullmatch(line_text)
    if m is None or not m[2] or _NAME.fullmatch(m[2]):
        return None
    kind, name = m[1].rstrip(), m[2]
    fixed = re.sub(r"[^A-Za-z0-9_-]+", "_", name)
    if "${" in name:  # (`agent ${n}:`: a variable is not read in a block's name)
        hint = "a block's name is written as it is: variables are not read there"
    elif fixed.strip("_-"):  # (a name of other letters alone, `é`, has no such spelling to offer)
        hint = f"for example `{kind} {fixed if _NAME.fullmatch(fixed) else '_' + fixed}:`"
    else:
        hint = "name it with letters (a-z, A-Z), digits, '_' and '-'"
    return f"{kind} name {name!r} is not a valid name", len(m[1]) + 1, hint


_BLOCK_HEADER = LazyPattern(r"(agent|report|runner)[\t\f ]+([A-Za-z_][A-Za-z0-9_-]*)[\t\f ]*:")


_TOP_KEY = LazyPattern(r"([A-Za-z_][A-Za-z0-9_-]*)[\t\f ]*=")


def unindented_hint(lines: list[str], line: int) -> str | None:
    """For an unexpected indentation at `line`: when the line above it (blank lines and comments aside) is a
    `key = value` at column 1 below a block's lines, that line lost its indentation and ended the block,
    which left this one outside any: say so (the error itself is at the line after the mistake)."""
    above = [
        n
        for n in range(line - 1, 0, -1)
        if lines[n - 1].strip() and not lines[n - 1].lstrip().startswith("#")
    ]
    if len(above) < 2:
        return None
    key = _TOP_KEY.match(lines[above[0] - 1])
    if key is None:
        return None
    for n in above[1:]:
        text = lines[n - 1]
        if not text[:1].isspace():  # the first unindented line above: the block's header, or not a block
            header = _BLOCK_HEADER.match(text)
            if header is None or n == above[1]:
                return None
            return (
                f"line {above[0]} (`{key.group(1)} = …`) is not indented, so it ended {header.group(1)} "
                f"{header.group(2)} and this line is in no block: indent line {above[0]} as the block's lines"
            )
    return None


def tab_hint(lines: list[str], line: int) -> str | None:
    """For an indentation error at `line`: when its block (from the unindented line above it) indents some
    lines with a tab and others with spaces, say which line has the tab. A tab counts as 8 columns, whatever
    width an editor shows it at, so such a block reads as misaligned though it looks aligned."""
    start = line
    while start > 1:
        text = lines[start - 2] if start - 2 < len(lines) else ""
        start -= 1
        if text.strip() and not text[0].isspace() and not text.startswith("#"):
            break
    lead = {
        n: text[: len(text) - len(text.lstrip(" \t\f"))]
        for n, text in enumerate(lines[start - 1 : line], start)
        if text.strip() and not text.lstrip().startswith("#")
    }
    tabbed = [n for n, blanks in lead.items() if "\t" in blanks]
    if not tabbed or not any(" " in blanks for blanks in lead.values()):
        return None
    which = "this line is" if line in tabbed else f"line {tabbed[-1]} is"
    return f"{which} indented with a tab (8 columns), others with spaces: indent with spaces only"


def expected_words(names: set[str]) -> list[str]:
    """Human words for the terminals in `names` (anything else is dropped)."""
    out: list[str] = []
    for name in sorted(names):
        text = _TERMINALS.get(name)
        if text is not None and text not in out:
            out.append(text)
    return out


def state_expected(e: Any) -> set[str]:
    """The terminals the parser state accepts (the contextual lexer reports only what its own state could
    lex); the state's rule names (`assignment`, `__start_star_0`...) are left out."""
    try:
        names = set(e.state.parse_conf.states[e.state.position].keys())
    except AttributeError:
        names = set(e.expected)
    return {name for name in names if name.isupper()}  # lark: terminals are upper case, rules lower case


def describe(tok: Any) -> str:
    if tok.type == "_NL":
        return "end of line"
    if tok.type in ("_DEDENT", "_INDENT"):
        return "indentation"
    return repr(str(tok))
