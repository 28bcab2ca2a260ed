"""`check`'s judgement of a prompt's `read(...)` calls (`templates.check_reads`): a read that every render
makes and rendering would refuse is an Agentfile error, located; one that only some renders make (in an
`{% if %}` branch, a loop, after `and`/`or`) is judged when its task renders, as a path built from names is.
Real builds with the fake claude, through the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

FANOUT = """\
agent t:
    prompt = p.md
    inputs = docs/{n}.md
    outputs = out/{n}.md
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e = E2E(tmp_path / "proj", fake_agents)
    e.write("docs/a.md", "alpha\n")
    e.write("docs/b.md", "beta\n")
    e.write("Agentfile", FANOUT)
    return e


@pytest.mark.parametrize(
    "prompt",
    [
        "{% if n == 'b' %}B says {{ read('docs/b.md') }}{% else %}Other: {{ read(input) }}{% endif %}\n",
        "{% if n != 'b' %}Other: {{ read(input) }}{% elif true %}B says {{ read('docs/b.md') }}{% endif %}\n",
        "Text: {{ read('docs/b.md') if n == 'b' else read(input) }}\n",
        "Text: {{ n == 'b' and read('docs/b.md') or read(input) }}\n",
        "{% for p in inputs if p == 'docs/b.md' %}B: {{ read('docs/b.md') }}{% endfor %}{{ read(input) }}\n",
        "{% macro b() %}{{ read('docs/b.md') }}{% endmacro %}{{ b() if n == 'b' else read(input) }}\n",
    ],
)
def test_a_read_in_a_branch_not_taken_does_not_refuse_the_agentfile(e2e: E2E, prompt: str) -> None:
    """Task t:a never takes the branch that reads docs/b.md: every task renders, so neither `check` nor a
    build may refuse the Agentfile (it did, exit 2, on a read it judged as if every render made it)."""
    e2e.write("p.md", prompt, dedent=False)
    check = e2e.am("check")
    assert check.code == 0, check
    run = e2e.am()
    assert run.code == 0 and run.summary.ran == 2, run
    assert "beta" in e2e.read("out/b.md") and "alpha" in e2e.read("out/a.md")


@pytest.mark.parametrize(
    "prompt",
    [
        "Text: {{ read('docs/b.md') }}\n",
        "{% if n == 'b' %}x{% endif %}Text: {{ read('docs/b.md') }}\n",  # (after a branch: every render)
        "{% if read('docs/b.md') %}B{% endif %} {{ n }}\n",  # (a branch's test is always evaluated)
        "Text: {{ read(path='docs/b.md') }}\n",  # (by keyword, as read() takes it)
    ],
)
def test_a_read_every_render_makes_is_still_refused(e2e: E2E, prompt: str) -> None:
    e2e.write("p.md", prompt, dedent=False)
    check = e2e.am("check")
    assert check.code == 2, check
    assert "read('docs/b.md'): not an input of task t:a" in check.err, check
    assert e2e.calls() == []


def test_read_input_of_an_agent_with_no_inputs_is_fine_when_guarded(e2e: E2E) -> None:
    """`read(input)` under `{% if inputs %}` is never made by a task with no inputs."""
    e2e.write("Agentfile", "agent t:\n    prompt = p.md\n    outputs = out/a.md\n")
    e2e.write("p.md", "Say hi.{% if inputs %} {{ read(input) }}{% endif %}\n", dedent=False)
    check = e2e.am("check")
    assert check.code == 0, check
    assert e2e.am().code == 0
