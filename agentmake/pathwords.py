"""A path as a person reads it in a line of text: written as the Agentfile would write it (grammar/README.md,
"Values"), so that a list of paths says where each one ends.

    quote_path("docs/intro.md")   ->  docs/intro.md          (a bare word)
    quote_path("out put.txt")     ->  "out put.txt"          (a quoted string)
    quote_paths(["out put.txt", "c.txt"])  ->  "out put.txt", c.txt

A path is left bare when the Agentfile could write it as a bare word and a list shown as `a, b` could not
be misread: no whitespace (which also keeps `a; b`, the reasons of a line, apart), none of `" # ( ) =` (which
end a bare word), no `,` (the Agentfile refuses a word ending in one) and no `${` (a variable). Else it is a
quoted string with the grammar's escapes (`\\" \\\\ \\n \\t`, and `$${` for a literal `${`). Only for people:
`--json` gives paths as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_BARE = re.compile(r"[^\s\"#()=,]+")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t"}


def quote_path(path: str) -> str:
    """`path` as a bare word when it reads as one, else as a quoted string (the module's docstring)."""
    if _BARE.fullmatch(path) is not None and "${" not in path:
        return path
    text = "".join(_ESCAPES.get(ch, ch) for ch in path).replace("${", "$${")
    return f'"{text}"'


def quote_paths(paths: Iterable[str], sep: str = ", ") -> str:
    """`paths` joined by `sep`, each one `quote_path`ed."""
    return sep.join(quote_path(p) for p in paths)


def with_path_quoted(message: str, path: str | None) -> str:
    """`message`, a sentence that names `path` once, whole and unquoted (a `Reason`'s: "input out put.txt
    changed …", "a b.md was edited by hand"), with `path` quoted where it stands if it needs it: its first
    appearance as a word of its own (after the start or a space, before the end, a space or `:`)."""
    if not path:
        return message
    quoted = quote_path(path)
    if quoted == path:
        return message
    start = 0
    while (at := message.find(path, start)) >= 0:
        end = at + len(path)
        if (at == 0 or message[at - 1] == " ") and (end == len(message) or message[end] in " :"):
            return message[:at] + quoted + message[end:]
        start = at + 1
    return message
