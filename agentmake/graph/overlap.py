"""Whether two patterns can name a common path: decides which agents must be expanded before which.

Each pattern is a sequence of segments; a segment is a sequence of single-character tokens (a literal, `?`
for any character, `*` for any run; a `{wildcard}` is `?*`). Two segments overlap when the product of their
automata reaches both ends; two patterns overlap when their segments can be paired up, `**` absorbing any
number.
The leading-dot rule is ignored, so the answer may err towards True (which only costs a fixpoint round).
"""

from __future__ import annotations

from agentmake.graph.globs import GLOBSTAR, Pattern, Token


def _chars(seg: tuple[Token, ...]) -> list[str]:
    """A segment as single-character tokens: a literal char, '?' any char, '*' any run."""
    out: list[str] = []
    for t in seg:
        if t[0] == "lit":
            out.extend("L" + c for c in t[1])
        elif t[0] == "any":
            out.append("?")
        elif t[0] == "star":
            out.append("*")
        else:
            out.extend(("?", "*"))
    return out


def _segments_overlap(a: list[str], b: list[str]) -> bool:
    """Whether two segment patterns (from `_chars`) share a string: search the product automaton."""
    stack = [(0, 0)]
    seen = {(0, 0)}
    while stack:
        i, j = stack.pop()
        if i == len(a) and j == len(b):
            return True
        nxt = []
        if i < len(a) and a[i] == "*":
            nxt.append((i + 1, j))
        if j < len(b) and b[j] == "*":
            nxt.append((i, j + 1))
        if i < len(a) and j < len(b):
            x, y = a[i], b[j]
            if x[0] != "L" or y[0] != "L" or x == y:
                nxt.append((i if x == "*" else i + 1, j if y == "*" else j + 1))
        for s in nxt:
            if s not in seen:
                seen.add(s)
                stack.append(s)
    return False


def patterns_overlap(a: Pattern, b: Pattern) -> bool:
    """Whether some path matches both patterns (ignoring the leading-dot rule, so it may err towards True)."""
    sa = [None if s == GLOBSTAR else _chars(s) for s in a.segments]
    sb = [None if s == GLOBSTAR else _chars(s) for s in b.segments]
    stack = [(0, 0)]
    seen = {(0, 0)}
    while stack:
        i, j = stack.pop()
        if i == len(sa) and j == len(sb):
            return True
        nxt = []
        x = sa[i] if i < len(sa) else False
        y = sb[j] if j < len(sb) else False
        if x is None:
            nxt.append((i + 1, j))
            if j < len(sb):
                nxt.append((i, j + 1))
        if y is None:
            nxt.append((i, j + 1))
            if i < len(sa):
                nxt.append((i + 1, j))
        if isinstance(x, list) and isinstance(y, list) and _segments_overlap(x, y):
            nxt.append((i + 1, j + 1))
        for s in nxt:
            if s not in seen:
                seen.add(s)
                stack.append(s)
    return False
