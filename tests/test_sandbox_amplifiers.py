"""The template sandbox bounds the steps that build much from little (grammar/README.md: "each step is
bounded"): `join` (filter and method), `replace` (filter and method) and `lipsum` built 10**13 characters or
looped for ever from a short template, where `*` and the padding filters were already refused."""

from __future__ import annotations

import time

import pytest

from agentmake.errors import AgentfileError
from agentmake.model import Prompt
from agentmake.templates import render_prompt


@pytest.mark.parametrize(
    ("template", "said"),
    [
        ("{{ range(100000)|join('y' * 99999999) }}", "`join` would build"),
        ("{{ ('y' * 99999999).join(['a', 'b', 'c']) }}", "`join` would build"),
        ("{{ ('a' * 1000000)|replace('', 'x' * 100000000) }}", "`replace` would build"),
        ("{{ ('a' * 1000000).replace('a', 'x' * 1000) }}", "`replace` would build"),
        ("{{ lipsum(1000000000) }}", "`lipsum` would build"),
    ],
)
def test_a_step_that_builds_much_from_little_is_refused(template: str, said: str) -> None:
    started = time.monotonic()
    with pytest.raises(AgentfileError) as info:
        render_prompt(Prompt(f"line one\n{template}\n", "p.md"), {})
    assert said in info.value.message and "at most 100,000,000" in info.value.message, info.value.message
    assert info.value.loc is not None and info.value.loc.line == 2, info.value
    assert time.monotonic() - started < 30  # (refused before it is built: it hung, or took all the memory)


def test_the_same_steps_within_bounds_render_as_jinja_renders_them() -> None:
    text = (
        "{{ ['a', 'b', 'c']|join(', ') }}|{{ '-'.join(['x', 'y']) }}|{{ range(3)|join }}|"
        "{{ 'aXbX'|replace('X', '--') }}|{{ 'aaa'.replace('a', 'b', 2) }}|{{ 'ab'|replace('', '.') }}|"
        "{{ (lipsum(2, html=False)|length) > 0 }}|{{ [{'n': 'p'}, {'n': 'q'}]|join('+', attribute='n') }}"
    )
    assert render_prompt(Prompt(text, "p.md"), {}) == "a, b, c|x-y|012|a--b--|bba|.a.b.|True|p+q"
