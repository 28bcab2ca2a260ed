"""What a parser reads out of an agent's output (`Parsed`), and the small readings every parser shares."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Parsed:
    """An answer (None when there is none), whether the tool itself reported an error (its message and HTTP
    status when known), and the cost and tokens the format reports."""

    answer: str | None = None
    is_error: bool = False
    error: str | None = None  # the tool's own error message
    status: int | None = None  # HTTP status of an API error, when the tool says
    cost_usd: float | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    denied: list[str] = field(default_factory=list)  # tool calls the CLI refused (claude permission_denials)
    stopped: str | None = None  # the limit the CLI stopped at (claude's error subtype, e.g. error_max_turns)
    turns: int | None = None  # the agent's turns, when the format says (claude's num_turns)


def json_values(text: str) -> Iterator[Any]:
    """Every JSON value that starts at the beginning of a line (pretty-printed or one per line), in order."""
    decoder = json.JSONDecoder()
    pos, end = 0, len(text)
    while pos < end:
        line_end = text.find("\n", pos)
        line_end = end if line_end < 0 else line_end
        start = pos + (len(text[pos:line_end]) - len(text[pos:line_end].lstrip()))
        if start < line_end and text[start] in "{[":
            try:
                value, stop = decoder.raw_decode(text, start)
            except (ValueError, RecursionError):  # (a value nested beyond reason is not one a CLI means)
                pos = line_end + 1
                continue
            yield value
            pos = stop
            continue
        pos = line_end + 1


def int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def dollars_or_none(value: Any) -> float | None:
    """A cost a CLI reported, if it is one: a number, finite and not negative. Python's JSON reads `NaN`,
    `Infinity` and `-1` alike: a `NaN` spend never reaches a budget (every comparison false) and a negative
    one takes back what was spent; either read `$nan`/`$-1.00` in every table. Anything else is no cost."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    cost = float(value)
    return cost if math.isfinite(cost) and cost >= 0 else None


def sum_known(values: list[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""
