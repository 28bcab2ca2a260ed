"""Natural order: how agentmake orders a list of tasks or files a person reads (`list`, `status`, `-n`,
`explain`, `graph`, the build's summary lists), digits compared as numbers.

    sorted(["notes/10.md", "notes/2.md", "notes/1.md"], key=natural_key)
        ->  ["notes/1.md", "notes/2.md", "notes/10.md"]
    in_natural_order(["sum:10", "sum:2", "all", "sum:1"])  ->  ["sum:1", "sum:2", "sum:10", "all"]
    in_natural_order(["in/10.md", "in/2.md", "extra.md"], group=directory)
        ->  ["in/2.md", "in/10.md", "extra.md"]

Deterministic: names whose numbers are equal but written differently (`a01`, `a1`) are ordered by their
text, so any two different names have one order. Only for display: the graph, the inputs a prompt lists
and everything a key hashes keep their own (plain string) order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

__all__ = ["agent", "directory", "in_natural_order", "natural_key"]

T = TypeVar("T")
_DIGITS = re.compile(r"([0-9]+)")
NaturalKey = tuple[tuple[str | tuple[int, str], ...], str]


def natural_key(text: str) -> NaturalKey:
    """The sort key of `text` in natural order: its runs of ASCII digits as numbers, the text between them as
    text (`notes/2.md` before `notes/10.md`), then the text itself (`a01` and `a1` apart, always in the same
    order). Any two keys compare: the runs alternate text, number, text... in every key alike."""
    parts = _DIGITS.split(text)  # (text, digits, text, ...: odd places hold the digits)
    return tuple(_number(p) if i % 2 else p for i, p in enumerate(parts)), text


def _number(digits: str) -> tuple[int, str]:
    """A run of digits as its number compares (its length, then its text, leading zeros aside): not `int`,
    which refuses a run of more than 4,300 digits (`sys.get_int_max_str_digits`), a name agentmake takes
    (an agent's), where `list`, `status` and `graph` stopped with a traceback."""
    number = digits.lstrip("0")
    return len(number), number


def agent(task_id: str) -> str:
    """The agent (or report) of a task id: `sum` of `sum:10`."""
    return task_id.partition(":")[0]


def directory(path: str) -> str:
    """The directory of a path as written: `notes` of `notes/10.md`, `` of `extra.md`."""
    return path.rpartition("/")[0]


def in_natural_order(
    items: Iterable[T],
    name: Callable[[T], str] = str,
    group: Callable[[str], str] = agent,
    *,
    by: Callable[[T], Hashable] | None = None,
) -> list[T]:
    """`items` (task ids, or anything named by one: `name` gives it) in natural order of their names within
    each group (`group`: an agent's tasks, `sum:2` before `sum:10`; with `directory`, the files of one
    directory), each group where its first item was: the order between agents (dependencies first, as the
    graph has them) or between the patterns of an `inputs` line is kept. `by`: an item's group when its name
    alone does not tell it (`plan.explain.in_order`: a reason's kind and the directory of its path)."""
    items = list(items)
    of = by if by is not None else (lambda item: group(name(item)))
    first: dict[Hashable, int] = {}
    for i, item in enumerate(items):
        first.setdefault(of(item), i)
    return sorted(items, key=lambda item: (first[of(item)], natural_key(name(item))))
