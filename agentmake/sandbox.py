"""The Jinja sandbox every template is rendered in (prompts and reports): Jinja's own, with operations that
cannot exhaust the memory. Imported where a template is compiled, not at start-up (it loads Jinja)."""

from __future__ import annotations

import types
from collections.abc import Callable, Iterable
from functools import update_wrapper, wraps
from typing import Any

from jinja2.sandbox import SandboxedEnvironment, SandboxedEscapeFormatter, SandboxedFormatter, SecurityError
from markupsafe import Markup

from agentmake import sandbox_growth
from agentmake.sandbox_bounds import (
    HUGE,
    MAX_SIZE,
    indent_size,
    join_size,
    lipsum_size,
    method_size,
    percent_built,
    percent_size,
    replace_size,
    spec_size,
    wordwrap_size,
)
from agentmake.sandbox_growth import (
    GROWING,
    BoundedBuffer,
    BoundedCodeGenerator,
    BoundedTemplate,
    CallDepth,
    added_size,
    checked,
    checked_filter,
    growth_size,
    over,
    too_big,
)

MAX_PRODUCT = MAX_SIZE  # characters or items a template may build with `*` (100 MB of prompt and more)
_METHODS = (
    types.BuiltinMethodType,
    types.MethodType,
)  # (`str.format`, `Markup.join`: what they return is checked)
MAX_POWER_BITS = 100_000  # bits of an integer a template may compute with `**`
MAX_WIDTH = MAX_PRODUCT  # a width or precision (`%N`, `{:N}`, `center(N)`...): characters it would build


class Sandbox(SandboxedEnvironment):
    """`{{ "x" * 10**10 }}`, `{{ 2 ** 10**10 }}`, `{{ 'x'|center(10**10) }}` or `{{ '%10000000000d' % 1 }}`
    is an error naming the operation, not a machine brought to a halt (Jinja's sandbox bounds only `range`).
    Bounded: `*`, `**`, the widths and precisions of `%` (and the `format` filter) and of `str.format`, the
    padding methods (`center`, `ljust`, `rjust`, `zfill`, `expandtabs`) and filters (`center`, `indent`),
    `join` and `replace` (filters and methods), `translate`, `wordwrap`, what the fields of `%` and
    `format` add up to, `lipsum`, and the fill of `batch` and `slice`. Intercepted
    operators are not folded at compile time either, so the check holds for constants too. What a loop or
    a macro calling itself repeats is bounded too (`sandbox_growth`): `+` and `~`, a list, dict or set made
    bigger by its methods, what a macro or block outputs, the rendered text, and how deep calls nest."""

    intercepted_binops = frozenset(["*", "**", "%", "+"])
    code_generator_class = BoundedCodeGenerator
    template_class = BoundedTemplate

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls = CallDepth()
        for name, size in _FILTER_SIZES.items():
            self.filters[name] = _bounded_filter(self.filters[name], name, size)
        for name, original in self.filters.items():  # (what every filter returns: `sandbox_growth.checked`)
            self.filters[name] = checked_filter(name, original)
        lipsum: Callable[..., Any] = self.globals["lipsum"]  # type: ignore[assignment]

        def bounded_lipsum(*args: Any, **kwargs: Any) -> Any:
            try:
                needed = lipsum_size(*args, **kwargs)
            except TypeError:  # (arguments lipsum itself refuses: let it say so)
                needed = 0
            _check_width("`lipsum`", needed)
            return lipsum(*args, **kwargs)

        self.globals["lipsum"] = update_wrapper(bounded_lipsum, lipsum)

    @staticmethod
    def bounded_concat(join: Callable[[Iterable[Any]], str], parts: tuple[Any, ...]) -> str:
        """`a ~ b` (`sandbox_growth.BoundedCodeGenerator` compiles it so)."""
        return sandbox_growth.bounded_concat(join, parts)

    @staticmethod
    def output_buffer() -> BoundedBuffer:
        """Where a macro or a block gathers what it outputs (`sandbox_growth.BoundedCodeGenerator`)."""
        return BoundedBuffer()

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "+" and over(*(added := added_size(left, right))):
            raise too_big("`+`", *added)
        if operator == "*" and (size := _product_size(left, right)) > MAX_PRODUCT:
            raise SecurityError(f"`*` would build {size:,} characters or items (at most {MAX_PRODUCT:,})")
        if operator == "**" and _huge_power(left, right):
            raise SecurityError(f"`**` would compute a number of over {MAX_POWER_BITS:,} bits")
        if operator == "%" and isinstance(left, str):
            _check_width("`%`", max(percent_size(left, right), percent_built(left, right)))
        result = super().call_binop(context, operator, left, right)
        # (`%` of a value that is no string, whose `str` a field takes: checked once built; `*` has its own
        # bound, 100,000,000 items as characters, and `+` is checked before)
        return checked("`%`", result) if operator == "%" else result

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        # (Jinja's own signature: its double underscores keep a keyword argument named `context` free)
        if isinstance(__obj, types.BuiltinMethodType) and isinstance(__obj.__self__, str):
            if __obj.__name__ == "join" and args and not isinstance(args[0], (list, tuple, str)):
                args = (list(args[0]), *args[1:])  # (measured, then joined: an iterator is read once)
            size = method_size(__obj.__name__, __obj.__self__, args, kwargs)
            _check_width(f"`{__obj.__name__}`", size)
        elif (
            isinstance(__obj, types.BuiltinMethodType)
            and isinstance(__obj.__self__, (list, dict, set))
            and __obj.__name__ in GROWING
        ):
            if __obj.__name__ in ("extend", "update"):  # (measured, then added: an iterator is read once)
                args = tuple(a if hasattr(a, "__len__") else list(a) for a in args)
            if over(size := growth_size(__obj.__name__, __obj.__self__, args, kwargs), "items"):
                raise too_big(f"`{__obj.__name__}`", size, "items")
        __self.calls.enter()  # (a macro calling itself without end: refused before Python's RecursionError)
        try:
            result = super().call(__context, __obj, *args, **kwargs)
        finally:
            __self.calls.leave()
        if isinstance(__obj, _METHODS):  # (not `read`, nor a macro, whose output is bounded as it is made)
            return checked(f"`{__obj.__name__}`", result)
        return result

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """Jinja's sandboxed `str.format` and `format_map`, whose fields' widths and precisions are bounded
        (`'{:>10000000000}'.format(1)`, `'{:>{}}'.format(1, 10**10)`), and so is what their fields add up to
        (`'{0}{0}{0}'.format(s)`)."""
        if self_wrapped := super().wrap_str_format(value):
            text: str = value.__self__
            formatter: _BoundedFormatter = (
                _BoundedEscapeFormatter(self, escape=text.escape)
                if isinstance(text, Markup)
                else _BoundedFormatter(self)
            )
            is_map = value.__name__ == "format_map"

            def wrapper(*args: Any, **kwargs: Any) -> str:
                formatter.built = 0
                if not is_map:
                    formatted = formatter.vformat(text, args, kwargs)
                elif kwargs or len(args) != 1:
                    return self_wrapped(*args, **kwargs)  # (Jinja's TypeError for these)
                else:
                    formatted = formatter.vformat(text, (), args[0])
                return checked(f"`{value.__name__}`", type(text)(formatted))  # (`'{0}{0}'.format(s)`)

            return update_wrapper(wrapper, value)
        return None


class _BoundedFormatter(SandboxedFormatter):
    built = 0  # (characters of the fields formatted so far: `'{0}{0}{0}'.format(s)` takes `s` thrice)

    def format_field(self, value: Any, format_spec: str) -> Any:
        _check_width("a `format` field", spec_size(format_spec))
        field = super().format_field(value, format_spec)
        self.built += len(field) if isinstance(field, str) else 0
        _check_width("`format`", self.built)
        return field


class _BoundedEscapeFormatter(_BoundedFormatter, SandboxedEscapeFormatter):
    pass


def _check_width(what: str, size: int, unit: str = "characters") -> None:
    if size > MAX_WIDTH:
        shown = f"{size:,}" if size < HUGE else f"over {HUGE:,}"
        raise SecurityError(f"{what} would build {shown} {unit} (at most {MAX_WIDTH:,})")


# filter name -> what it would build, from the filter's own arguments
_FILTER_SIZES: dict[str, Callable[..., int]] = {
    "center": lambda value, width=80: width if isinstance(width, int) else 0,
    "indent": lambda s, width=4, first=False, blank=False: indent_size(s, width),
    "format": lambda value, *args, **kwargs: max(
        percent_size(str(value), kwargs or args), percent_built(str(value), kwargs or args)
    ),
    "wordwrap": lambda s, width=79, break_long_words=True, wrapstring=None, break_on_hyphens=True: (
        wordwrap_size(s, width, wrapstring)
    ),
    "batch": lambda value, linecount, fill_with=None: linecount if fill_with is not None else 0,  # (fill)
    "slice": lambda value, slices, fill_with=None: slices if isinstance(slices, int) else 0,  # (lists)
    "join": lambda value, d="", attribute=None: join_size(d, value),
    "replace": lambda s, old, new, count=None: replace_size(s, old, new, -1 if count is None else count),
}
_LISTED = frozenset({"join"})  # filters whose value is read twice (measured, then used): made a list first


def _bounded_filter(original: Callable[..., Any], name: str, size: Callable[..., int]) -> Callable[..., Any]:
    passed = 1 if getattr(original, "jinja_pass_arg", None) else 0  # (a context Jinja passes it first)

    @wraps(original)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        if name in _LISTED and len(args) > passed and not isinstance(args[passed], (list, tuple, str)):
            args = (*args[:passed], list(args[passed]), *args[passed + 1 :])
        try:
            needed = size(*args[passed:], **kwargs)
        except TypeError:  # (arguments the filter itself refuses: let it say so)
            needed = 0
        _check_width(f"`{name}`", needed, "items" if name in ("batch", "slice") else "characters")
        return original(*args, **kwargs)

    return bounded


def _product_size(left: object, right: object) -> int:
    """The length of `left * right` when it repeats a string or a sequence, else 0."""
    for seq, n in ((left, right), (right, left)):
        if isinstance(seq, (str, bytes, list, tuple)) and isinstance(n, int):
            return len(seq) * n
    return 0


def _huge_power(base: object, exponent: object) -> bool:
    if not (isinstance(base, int) and isinstance(exponent, int)) or exponent <= 0 or abs(base) <= 1:
        return False
    return exponent * abs(base).bit_length() > MAX_POWER_BITS
