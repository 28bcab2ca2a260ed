"""What a template builds step by step, bounded (`agentmake.sandbox`): each step that is bounded alone (a `+`,
a `~`, an `append`) can be repeated, and a loop or a macro that calls itself doubles what it builds at each
step: `{% set ns.s = ns.s ~ ns.s %}` sixty times asks for 2**60 characters before anything is output.

- `~`: compiled to `bounded_concat` (`BoundedCodeGenerator`), which adds up the strings it joins first;
- what a macro, a `call`, `filter` or `set` block outputs is gathered in a `BoundedBuffer`, and the rendered
  text itself is counted as it is made (`BoundedTemplate.render`): a loop that outputs without end stops;
- what a filter, a method or an operator returns (`checked`): one that makes its result several times its
  argument (`tojson`, `pprint`, `sum`, `%`, `format`) cannot be repeated past the bound;
- a list, dict or set made bigger by its own methods (`append`, `extend`, `insert`, `update`, `add`,
  `setdefault`): `growth_size`;
- calls that nest without end (a macro calling itself, a recursive loop over a list holding itself):
  `CallDepth`, before Python's own recursion limit (a RecursionError halfway through the render).

The bounds: `MAX_BUILT` characters (`sandbox_bounds.MAX_SIZE`, as `*` is bounded: 100 MB of text, some 25
million tokens, far more than any model reads), `MAX_ITEMS` items of a list, dict or set (no prompt lists
ten million things), and `MAX_DEPTH` nested calls. An output chunk counts as at least one character, so that
a loop outputting empty strings is bounded too. Not bounded: the time a template takes (a macro calling
itself twice on small output takes 2**N calls before its output reaches the bound).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from functools import wraps
from typing import Any

from jinja2 import Template
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.nodes import Concat
from jinja2.sandbox import SecurityError

from agentmake.sandbox_bounds import MAX_SIZE

MAX_BUILT = MAX_SIZE  # characters of one string, output buffer or rendered text
MAX_ITEMS = 10_000_000  # items of a list, dict or set (a pointer each, to an object of its own: 80 MB+)
MAX_DEPTH = 100  # calls nested in each other (macros, `caller()`, `loop()`): real templates nest a few
GROWING = frozenset(["append", "insert", "extend", "update", "add", "setdefault"])  # (list, dict, set)


def too_big(what: str, size: int, unit: str = "characters") -> SecurityError:
    """The error for a step that would build `size` characters (over `MAX_BUILT`) or items (`MAX_ITEMS`)."""
    bound = MAX_BUILT if unit == "characters" else MAX_ITEMS
    return SecurityError(f"{what} would build {size:,} {unit} (at most {bound:,})")


def over(size: int, unit: str) -> bool:
    """Whether `size` characters or items is over its bound."""
    return size > (MAX_BUILT if unit == "characters" else MAX_ITEMS)


def _cost(chunk: object) -> int:
    return max(len(chunk), 1) if isinstance(chunk, str) else 1


def bounded_concat(join: Callable[[Iterable[Any]], str], parts: tuple[Any, ...]) -> str:
    """`a ~ b ~ c`: `join(parts)` (Jinja's `str_join` or `markup_join`), refused when the strings among
    `parts` already add up to more than `MAX_BUILT` characters (the others, made strings by `join`, are
    counted once made)."""
    size = sum(len(p) for p in parts if isinstance(p, str))
    if size > MAX_BUILT:
        raise too_big("`~`", size)
    text = join(parts)
    if len(text) > MAX_BUILT:
        raise too_big("`~`", len(text))
    return text


def added_size(left: object, right: object) -> tuple[int, str]:
    """What `left + right` builds (characters of two strings or bytes, items of two lists or tuples),
    else 0."""
    if isinstance(left, (str, bytes, bytearray)) and isinstance(right, (str, bytes, bytearray)):
        return len(left) + len(right), "characters"
    if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        return len(left) + len(right), "items"
    return 0, "items"


def built_size(value: object) -> tuple[int, str]:
    """The size of what a step returned: characters of a string or bytes, items of a list, tuple, dict or
    set, else 0."""
    if isinstance(value, (str, bytes, bytearray)):
        return len(value), "characters"
    if isinstance(value, (list, tuple, dict, set, frozenset)):
        return len(value), "items"
    return 0, "items"


def checked(what: str, value: Any) -> Any:
    """`value`, which the step `what` built, refused when it is over its bound: a step that may make its
    result several times its argument (`tojson` doubling backslashes, `"%s%s" % (s, s)`, `"{0}{0}".format(s)`,
    `sum(start=[])`), repeated in a loop, would otherwise grow without end. Checked once built, so one step
    still builds what it builds once (a few times its arguments, each within the bound; not bounded before it
    is built: a `format` of many fields, `wordwrap` whose `wrapstring` is long)."""
    size, unit = built_size(value)
    if over(size, unit):
        raise too_big(what, size, unit)
    return value


def checked_filter(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
    """The filter `original`, its result `checked`."""

    @wraps(original)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        return checked(f"`{name}`", original(*args, **kwargs))

    return bounded


def growth_size(name: str, container: Any, args: Sequence[Any], kwargs: Mapping[str, Any]) -> int:
    """The size `container.<name>(*args, **kwargs)` would leave a list, dict or set at, at most (an
    iterable argument must be sized by now: `Sandbox.call` makes a list of one that is not)."""
    if name in ("extend", "update"):
        sizes = [len(a) for a in args if hasattr(a, "__len__")]
        named = [k for k in kwargs if k not in _JINJA_KWARGS]  # (`d.update(a=1)`)
        return len(container) + sum(sizes) + len(named)
    return len(container) + 1


_JINJA_KWARGS = frozenset(["_loop_vars", "_block_vars"])  # (Jinja passes them to every call: not arguments)


class BoundedBuffer(list[str]):
    """What a macro or a block outputs, gathered: refused past `MAX_BUILT` characters."""

    def __init__(self) -> None:
        super().__init__()
        self.size = 0

    def _add(self, cost: int) -> None:
        self.size += cost
        if self.size > MAX_BUILT:
            raise SecurityError(
                f"a macro or a `call`, `filter` or `set` block would output over {MAX_BUILT:,} characters"
            )

    def append(self, chunk: str) -> None:
        self._add(_cost(chunk))
        super().append(chunk)

    def extend(self, chunks: Iterable[str]) -> None:
        chunks = tuple(chunks)  # (a few: the parts of one output tag)
        self._add(sum(map(_cost, chunks)))
        super().extend(chunks)


def _counted(chunks: Iterator[str]) -> Iterator[str]:
    size = 0
    for chunk in chunks:
        size += _cost(chunk)
        if size > MAX_BUILT:
            error = SecurityError(f"the template would render over {MAX_BUILT:,} characters")
            if isinstance(chunks, Generator):  # (raised inside the template, where it output it: its line)
                chunks.throw(error)
            raise error
        yield chunk


class BoundedTemplate(Template):
    """A template whose rendered text is counted as it is made: refused past `MAX_BUILT` characters."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        ctx = self.new_context(dict(*args, **kwargs))
        try:
            return self.environment.concat(_counted(self.root_render_func(ctx)))
        except Exception:
            self.environment.handle_exception()


class BoundedCodeGenerator(CodeGenerator):
    """Jinja's code generator, but `~` is `environment.bounded_concat` and every output buffer (a macro's,
    a block's) is `environment.output_buffer()`, a `BoundedBuffer`."""

    def buffer(self, frame: Frame) -> None:
        frame.buffer = self.temporary_identifier()
        self.writeline(f"{frame.buffer} = environment.output_buffer()")

    @optimizeconst
    def visit_Concat(self, node: Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile:
            join = "(markup_join if context.eval_ctx.volatile else str_join)"
        elif frame.eval_ctx.autoescape:
            join = "markup_join"
        else:
            join = "str_join"
        self.write(f"environment.bounded_concat({join}, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class CallDepth(threading.local):
    """How deep the calls of the template rendering in this thread nest (each thread renders its own)."""

    depth = 0

    def enter(self) -> None:
        if self.depth >= MAX_DEPTH:
            raise SecurityError(
                f"calls nest over {MAX_DEPTH} deep (a macro, `caller()` or recursive `loop()` that calls"
                " itself without end?)"
            )
        self.depth += 1

    def leave(self) -> None:
        self.depth -= 1
