"""The lists of paths a template sees (`inputs`, `outputs`, `files`) and the lists it derives from them, as it
prints them: ``{{ inputs }}``, ``{{ inputs[1:] }}``, ``{{ inputs + outputs }}``, ``{{ inputs|sort }}``,
``{{ inputs|reverse|list }}``, ``{{ inputs|unique|list }}``, ``{{ inputs|select(...)|list }}`` are one path a
line, as a person writes a list of files in a prompt, never the Python repr (`['a.md', 'b.md']`). Everything
else is a list's: ``{% for %}``, ``inputs[0]``, ``|join(', ')``, ``|length``.

Worked example: with inputs `a.md`, `b.md` and output `o.md`, ``{{ inputs[1:] + outputs }}`` prints
``b.md`` and ``o.md`` on two lines; ``{{ inputs|reverse|join(', ') }}`` prints ``b.md, a.md``.

Limits: a list of something else made from one (``files|map(attribute='content')``, ``inputs|batch(2)``) is a
list of Python's; so is a list the template writes itself (``['x.md']``), unless added to one of these.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, MutableMapping
from functools import wraps
from typing import Any, SupportsIndex, TypeVar, overload

T = TypeVar("T")


class LinesList(list[T]):
    """A list printed one item a line (an empty one prints nothing), whose slices, sums and filtered copies
    are Python's lists: how agentmake printed `inputs`, `outputs` and `files` before the lists derived from
    them printed so too (`plan.keyparts` renders a prompt so to recognise one it recorded then)."""

    def __str__(self) -> str:
        return "\n".join(str(item) for item in self)


class PathList(LinesList[T]):
    """A list of paths (`inputs`, `outputs`), or of inputs shown as their paths (`files`), whose slices, sums,
    repetitions and copies are such lists too (and so are the results of the filters of `keep_paths`)."""

    @overload
    def __getitem__(self, index: SupportsIndex) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> PathList[T]: ...
    def __getitem__(self, index: SupportsIndex | slice) -> T | PathList[T]:
        if isinstance(index, slice):
            return PathList(list.__getitem__(self, index))
        return list.__getitem__(self, index)

    def __add__(self, other: list[T]) -> PathList[T]:  # type: ignore[override]
        return PathList(list.__add__(self, other))

    def __radd__(self, other: object) -> PathList[Any]:
        if not isinstance(other, list):
            return NotImplemented
        return PathList([*other, *self])

    def __mul__(self, n: SupportsIndex) -> PathList[T]:
        return PathList(list.__mul__(self, n))

    def __rmul__(self, n: SupportsIndex) -> PathList[T]:
        return self.__mul__(n)

    def copy(self) -> PathList[T]:
        return PathList(self)


class PathIter(Iterator[T]):
    """The paths a filter yields one by one from a `PathList` (``inputs|reverse``, ``inputs|unique``,
    ``inputs|select(...)``): ``|list`` makes a `PathList` of them, and printed whole they are one a line (not
    `<generator object ...>`), as many times as printed and still there to iterate after."""

    def __init__(self, items: Iterable[T]) -> None:
        self._items = iter(items)

    def __iter__(self) -> PathIter[T]:
        return self

    def __next__(self) -> T:
        return next(self._items)

    def __str__(self) -> str:
        """The paths one a line, left to come as they were: printing them (`{% set r = inputs|reverse %}{{ r
        }}`) does not use them up for what follows (`{{ r|join(', ') }}`, `{% for f in r %}`)."""
        items = PathList(self._items)
        self._items = iter(items)
        return str(items)


def _of_paths(value: object) -> bool:
    return isinstance(value, (PathList, PathIter))


# filter -> whether what it gives for a list of paths, with these keyword arguments, is paths too
_KEEPING: dict[str, Callable[[dict[str, Any]], bool]] = {
    "list": lambda kwargs: True,
    "sort": lambda kwargs: True,
    "reverse": lambda kwargs: True,
    "unique": lambda kwargs: True,
    "select": lambda kwargs: True,
    "reject": lambda kwargs: True,
    "selectattr": lambda kwargs: True,
    "rejectattr": lambda kwargs: True,
    "map": lambda kwargs: kwargs.get("attribute", "path") == "path",  # (`files|map(attribute='path')`)
}


def keep_paths(filters: MutableMapping[str, Callable[..., Any]]) -> None:
    """Wrap the filters of `_KEEPING` in `filters` (a Jinja environment's) so that, given a `PathList` or a
    `PathIter`, they give one back: a list (``|list``, ``|sort``) as a `PathList`, the rest as a `PathIter`.
    Given anything else they are Jinja's, unchanged."""
    for name, keeps in _KEEPING.items():
        filters[name] = _keeping(filters[name], keeps)


def _keeping(original: Callable[..., Any], keeps: Callable[[dict[str, Any]], bool]) -> Callable[..., Any]:
    passed = 1 if getattr(original, "jinja_pass_arg", None) else 0  # (a context Jinja passes it first)

    @wraps(original)
    def keeping(*args: Any, **kwargs: Any) -> Any:
        got = original(*args, **kwargs)
        if len(args) <= passed or not _of_paths(args[passed]) or not keeps(kwargs):
            return got
        if isinstance(got, list):
            return PathList(got)
        return PathIter(got) if isinstance(got, Iterator) else got

    return keeping
