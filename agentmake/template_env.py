"""The sandboxed Jinja environment prompts render in, and template texts compiled and parsed in it (cached).

jinja2 (and the sandbox) are imported when a template is first compiled or parsed, not before.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

INLINE = "<inline prompt>"  # the file name Jinja is told for a prompt written in the Agentfile


@lru_cache(maxsize=1)
def environment() -> Any:
    """The one sandboxed environment: strict undefined names, no autoescaping, a trailing newline kept, the
    filters that derive a list of paths from one giving a list of paths (`template_lists`)."""
    from jinja2 import StrictUndefined

    from agentmake.sandbox import Sandbox
    from agentmake.template_lists import keep_paths

    env = Sandbox(undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False)
    keep_paths(env.filters)  # (`{{ inputs|sort }}` prints as `{{ inputs }}` does)
    return env


@lru_cache(maxsize=256)
def compiled(text: str, filename: str) -> Any:
    """`text` compiled as the template `filename` (cached by text); raises `TemplateSyntaxError`, also for
    what nests too deeply to compile."""
    env = environment()
    try:
        code = env.compile(text, name=filename, filename=filename)
    except RecursionError:
        raise _too_deep(text, filename) from None
    return env.template_class.from_code(env, code, env.make_globals(None))


def parsed(text: str, filename: str) -> Any:
    """`text`'s Jinja syntax tree; raises `TemplateSyntaxError`, also for what nests too deeply to parse."""
    try:
        return environment().parse(text, filename, filename)
    except RecursionError:
        raise _too_deep(text, filename) from None


def _too_deep(text: str, filename: str) -> Exception:
    """The syntax error for a template whose brackets nest deeper than Jinja's recursive parser can follow
    (`{{ ((((...)))) }}`: a RecursionError, not a syntax error, out of Jinja), at the line where the nesting
    is deepest."""
    from jinja2 import TemplateSyntaxError

    depth = deepest = 0
    line = where = 1
    for ch in text:
        if ch == "\n":
            line += 1
        elif ch in "([{":
            depth += 1
            if depth > deepest:
                deepest, where = depth, line
        elif ch in ")]}":
            depth = max(depth - 1, 0)
    message = f"brackets nest too deeply ({deepest} levels)"
    return TemplateSyntaxError(message, where, filename, filename)
