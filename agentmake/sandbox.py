"""The Jinja sandbox every template is rendered in (prompts and reports): Jinja's own, with `*` and `**`
that cannot exhaust the memory. Imported where a template is compiled, not at start-up (it loads Jinja)."""

from __future__ import annotations

from typing import Any

from jinja2.sandbox import SandboxedEnvironment, SecurityError

MAX_PRODUCT = 100_000_000  # characters or items a template may build with `*` (100 MB of prompt and more)
MAX_POWER_BITS = 100_000  # bits of an integer a template may compute with `**`


class Sandbox(SandboxedEnvironment):
    """`{{ "x" * 10**10 }}` or `{{ 2 ** 10**10 }}` is an error naming the operation, not a machine brought
    to a halt (Jinja's sandbox bounds only `range`). Intercepted operators are not folded at compile time
    either, so the check holds for constants too."""

    intercepted_binops = frozenset(["*", "**"])

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*" and (size := _product_size(left, right)) > MAX_PRODUCT:
            raise SecurityError(f"`*` would build {size:,} characters or items (at most {MAX_PRODUCT:,})")
        if operator == "**" and _huge_power(left, right):
            raise SecurityError(f"`**` would compute a number of over {MAX_POWER_BITS:,} bits")
        return super().call_binop(context, operator, left, right)


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
