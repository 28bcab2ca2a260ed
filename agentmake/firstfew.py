"""`a, b, c and 5 more`: the first few of a list of names and how many more, for one-line messages."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # (imports nothing at run time: graph/, report/ and error paths use it)
    from collections.abc import Callable, Sequence


def first_few(
    items: Sequence[str],
    shown: int = 3,
    *,
    whole: int | None = None,
    each: Callable[[str], str] | None = None,
) -> str:
    """`items` joined by `, ` when there are at most `whole` of them (default `shown`); past that the first
    `shown` and ` and N more` (N with thousands separators: `and 4,997 more`), so that a message about 5,000
    agents stays one short line. `whole` above `shown` names a list just over `shown` whole rather than
    saying `and 1 more` in place of the one name. `each` (e.g. quoting or `term_safe`) is applied to the
    names shown only."""
    named = items if len(items) <= (shown if whole is None else whole) else items[:shown]
    text = ", ".join(named if each is None else map(each, named))
    return text if len(named) == len(items) else f"{text} and {len(items) - len(named):,} more"
