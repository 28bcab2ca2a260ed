"""A list of paths in a template prints as one path a line: `{{ inputs }}`, `{{ files }}` and `{{ outputs }}`
in a prompt, `{{ inputs }}` in a report template, not Python's `['a.md', 'b.md']`; `{% for f in files %}`,
`inputs[0]` and `|join` are as they were, so a prompt that does not print a list renders (and is keyed) the
same."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.model import Prompt
from agentmake.template_context import prompt_context
from agentmake.templates import render_prompt

AGENTFILE = """
agent gather:
    runner = claude
    prompt = prompts/all.md
    inputs = docs/*.md
    outputs = all.md

report r:
    inputs = docs/*.md
    output = r.md
    template = r.j2
"""
PROMPT = """\
Inputs:
{{ inputs }}
Files:
{{ files }}
Outputs:
{{ outputs }}
Loop:{% for f in files %} [{{ f.path }}]{% endfor %}
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    project = E2E(tmp_path / "proj", fake_agents)
    project.write("Agentfile", AGENTFILE)
    project.write("prompts/all.md", PROMPT)
    project.write("r.j2", "Sections:\n{{ inputs }}\nFirst: {{ inputs[0] }}\n")
    project.write("docs/a.md", "alpha\n")
    project.write("docs/b c.md", "beta\n")
    return project


def test_a_list_of_paths_prints_one_path_a_line_in_a_prompt_and_a_report_template(e2e: E2E) -> None:
    run = e2e.am("-s", "gather", "r")
    assert run.code == 0, run
    assert e2e.exists("all.md"), (run, e2e.files())
    prompt = next((e2e.root / ".agentmake" / "tasks").glob("gather*.prompt")).read_text()
    assert "Inputs:\ndocs/a.md\ndocs/b c.md\nFiles:\ndocs/a.md\ndocs/b c.md\n" in prompt, prompt
    assert "Outputs:\nall.md\nLoop" in prompt, prompt
    assert "Loop: [docs/a.md] [docs/b c.md]" in prompt, prompt
    assert "[" not in prompt.replace("[docs/", ""), prompt  # (no list repr anywhere)
    assert e2e.read("r.md") == "Sections:\ndocs/a.md\ndocs/b c.md\nFirst: docs/a.md\n"


def test_a_prompt_that_does_not_print_a_list_renders_as_before(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("alpha\n")
    ctx = prompt_context(tmp_path, {}, {}, ["a.md", "b.md"], ["out.md"])
    text = (
        "{{ inputs|join(', ') }} {{ inputs[1] }} {{ inputs|length }} {{ input }} {{ output }}"
        "{% for f in files %} {{ f }}{% endfor %} {{ read(files[0]) }}"
    )
    assert render_prompt(Prompt(text), ctx, "t") == "a.md, b.md b.md 2 a.md out.md a.md b.md alpha\n"
    assert ctx["inputs"] == ["a.md", "b.md"] and ctx["outputs"] == ["out.md"]
    assert render_prompt(Prompt("[{{ inputs }}]"), prompt_context(tmp_path, {}, {}, [], []), "t") == "[]"
