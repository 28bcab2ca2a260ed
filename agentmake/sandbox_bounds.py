"""How many characters a template operation would build before it builds them: the widths and precisions of
`%` and `str.format` fields, the width of a padding method or filter. Pure arithmetic on the operands, for
`agentmake.sandbox` to refuse what would exhaust the memory (`'%10000000000d' % 1` allocates 10 GB).

Each function returns an upper bound on what the operation builds (0: nothing it could make big), so
`'%5d' % 1` → 5, `'{:>{}}'` → the resolved width, `'x'.center(80)` → 80."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

MAX_SIZE = 100_000_000  # characters or items one step of a template may build (100 MB of prompt and more)
HUGE = 10**18  # stands for a number written with too many digits to convert (int() refuses over 4,300)

# after `%` and its optional `(key)`: flags, width, precision, length modifier, conversion
_PERCENT_SPEC = re.compile(r"[-#0 +]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?(.?)", re.DOTALL)
_DIGITS = re.compile(r"\d+")
# str methods that pad to a width given as their first argument (`zfill(width)`, `center(width, fill)`)
PADDING_METHODS = frozenset(["center", "ljust", "rjust", "zfill"])


def _number(digits: str) -> int:
    return int(digits) if len(digits) <= 18 else HUGE


def percent_size(fmt: str, args: Any) -> int:
    """The largest width or precision in `fmt % args` (a `*` takes its value from `args`, as `%` does)."""
    values: Sequence[Any] = args if isinstance(args, tuple) else (args,)
    return max(_percent_numbers(fmt, values), default=0)


def _percent_fields(fmt: str) -> Iterator[tuple[str | None, re.Match[str]]]:
    """Each field of `fmt` as `%` reads it: its mapping key (None without one; its parentheses may nest, as
    CPython counts them) and the match of the rest of its spec (`_PERCENT_SPEC`)."""
    start = fmt.find("%")
    while start != -1:
        at, key = start + 1, None
        if fmt.startswith("(", at):
            depth = 0
            while at < len(fmt):
                depth += {"(": 1, ")": -1}.get(fmt[at], 0)
                at += 1
                if depth == 0:
                    break
            key = fmt[start + 2 : at - 1]
        spec = _PERCENT_SPEC.match(fmt, at)
        assert spec is not None  # (every part of the pattern is optional)
        yield key, spec
        start = fmt.find("%", spec.end())


def _percent_numbers(fmt: str, values: Sequence[Any]) -> Iterator[int]:
    used = 0
    for _key, spec in _percent_fields(fmt):
        for part in spec.group(1, 2):
            if part == "*":
                value = values[used] if used < len(values) else 0
                used += 1
                yield abs(value) if isinstance(value, int) else 0
            elif part:
                yield _number(part)
        if spec.group(3) != "%":
            used += 1


def percent_built(fmt: str, args: Any) -> int:
    """What `fmt % args` builds, at least: `fmt` and each string it converts (a string of `args` once per
    field that takes it: `'%s%s' % (s, s)`, `'%(a)s%(a)s' % {'a': s}`); other values count nothing (their
    `str` is short unless it is a container's, which the result's own check catches)."""
    values: Sequence[Any] = args if isinstance(args, tuple) else (args,)
    size, used = len(fmt), 0
    for key, spec in _percent_fields(fmt):
        used += sum(part == "*" for part in spec.group(1, 2))
        if spec.group(3) != "%":
            if key is not None:
                value = args.get(key) if isinstance(args, Mapping) else None
            else:
                value, used = (values[used] if used < len(values) else None), used + 1
            size += len(value) if isinstance(value, str) else 0
    return size


def translate_size(text: str, table: Any) -> int:
    """What `text.translate(table)` builds, at most: each character it maps to a string, that string (of a
    dict table; a table of another kind, each character as its longest string)."""
    if isinstance(table, Mapping):
        longer = [(k, len(v)) for k, v in table.items() if isinstance(v, str) and len(v) > 1]
        if len(longer) <= 256:  # (counted exactly: a pass over `text` each)
            return len(text) + sum(
                text.count(chr(k)) * (n - 1) for k, n in longer if isinstance(k, int) and 0 <= k <= 0x10FFFF
            )
        return len(text) * max(n for _, n in longer)
    if isinstance(table, (list, tuple)):
        return len(text) * max((len(v) for v in table if isinstance(v, str)), default=1)
    return 0


def wordwrap_size(text: Any, width: Any, wrapstring: Any) -> int:
    """What the `wordwrap` filter builds, at most: `text` and a `wrapstring` at each break, a break at most
    at each whitespace character, hyphen or paragraph end, and each `width` characters of a long word."""
    if not isinstance(wrapstring, str) or len(wrapstring) <= 1 or not isinstance(width, int):
        return (
            0  # (a break of one character at most: twice the text at most, which the result's check bounds)
        )
    text = str(text)
    breaks = sum(text.count(ch) for ch in "\t\n\x0b\x0c\r -\x1c\x1d\x1e\x85\u2028\u2029")
    breaks = min(breaks + len(text) // max(width, 1) + 1, len(text) + 1)
    return len(text) + breaks * len(wrapstring)


def spec_size(format_spec: str) -> int:
    """The largest number in a `str.format` field's spec (its width or precision; a digit as the fill
    character counts too, which can only make the bound larger)."""
    return max((_number(d) for d in _DIGITS.findall(format_spec)), default=0)


def method_size(name: str, text: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> int:
    """What `text.<name>(*args, **kwargs)` builds, for the str methods that can build much from little (the
    iterable `join` is given must be a list, tuple or str by now: `Sandbox.call` makes it one)."""
    if name in PADDING_METHODS:
        width = args[0] if args else kwargs.get("width", 0)
        return width if isinstance(width, int) else 0
    if name == "join":
        items = args[0] if args else kwargs.get("iterable", ())
        return join_size(text, items) if isinstance(items, (list, tuple, str)) else 0
    if name == "replace" and len(args) >= 2:
        count = args[2] if len(args) > 2 else kwargs.get("count", -1)
        return replace_size(text, args[0], args[1], count)
    if name == "translate" and args:
        return translate_size(text, args[0])
    if name == "expandtabs":
        size = args[0] if args else kwargs.get("tabsize", 8)
        return len(text) + text.count("\t") * size if isinstance(size, int) else 0
    return 0


def indent_size(text: Any, width: Any) -> int:
    """What the `indent` filter builds: `width` (spaces, or a string) before each line."""
    pad = width if isinstance(width, int) else len(width) if isinstance(width, str) else 0
    lines = str(text).count("\n") + 1
    return len(str(text)) + pad * lines


def join_size(sep: Any, items: Sequence[Any]) -> int:
    """What joining `items` with `sep` builds: the separators, and the items that are strings already (the
    others become their `str`, which is short unless they are, as the filter's `attribute=` gives)."""
    if not isinstance(sep, str):
        return 0
    return len(sep) * max(len(items) - 1, 0) + sum(len(x) for x in items if isinstance(x, str))


def replace_size(text: Any, old: Any, new: Any, count: Any = None) -> int:
    """What `text.replace(old, new, count)` builds (an empty `old` matches before every character and at the
    end: `'ab'.replace('', '.')` is `.a.b.`)."""
    if not (isinstance(text, str) and isinstance(old, str) and isinstance(new, str)):
        return 0
    found = text.count(old)
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    return len(text) + found * max(len(new) - len(old), 0)


def lipsum_size(n: Any = 5, html: Any = True, min: Any = 20, max: Any = 100) -> int:
    """An upper bound on what Jinja's `lipsum(n, html, min, max)` builds: `n` paragraphs of at most `max`
    words (none of its words is over 15 characters), with their markup."""
    if not (isinstance(n, int) and isinstance(min, int) and isinstance(max, int)):
        return 0
    words = max if max > min else min
    return n * (words * 16 + 16)
