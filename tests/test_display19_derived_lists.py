"""A list of paths a prompt derives from `inputs`, `outputs` or `files` prints as the list itself does, one
path a line: `{{ inputs[1:] }}`, `{{ inputs + outputs }}`, `{{ inputs|sort }}`, `{{ inputs|reverse|list }}`,
`{{ inputs|unique|list }}`, `{{ inputs|select(...)|list }}`, not Python's `['a.md', 'b.md']`; `{% for %}` and
`|join` are as they were. A project an agentmake built before (such lists printed as Python's) is not run
(paid for) again after the upgrade because a variable its prompt does not read changed (`plan.keyparts`).
Real CLI runs with the fake agents; the older agentmake is this one with the derived lists put back."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.model import Prompt
from agentmake.template_context import prompt_context
from agentmake.templates import render_prompt

AGENTFILE = '''\
tone = plain

agent summarize:
    inputs = docs/*.md
    outputs = out/all.md
    prompt = """
        FAKE: label=all
        All: {{ inputs }}
        Rest: {{ inputs[1:] }}
        Both: {{ inputs + outputs }}
        Sorted: {{ inputs|sort(reverse=true) }}
        Reversed: {{ inputs|reverse|list }}
        Unique: {{ inputs|unique|list }}
        Selected: {{ inputs|select('ne', 'docs/a.md')|list }}
        Joined: {{ inputs|reverse|join(', ') }}
        Loop:{% for f in files|sort(attribute='path') %} [{{ f }}]{% endfor %}
        """

agent other:
    inputs = docs/a.md
    outputs = out/other.md
    prompt = """
        FAKE: label=other
        In a {{ tone }} tone: {{ read(input) }}
        """
'''

# agentmake as it printed lists before this change: `inputs` one a line, a list derived from it as Python's
OLDER = (
    "import sys, agentmake.template_context as t, agentmake.template_lists as l; t.PathList = l.LinesList;"
    " l.keep_paths = lambda filters: None; from agentmake.launch import main;"
    " sys.argv[0] = 'agentmake'; sys.exit(main())"
)


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE)
    e2e.write("docs/a.md", "a\n")
    e2e.write("docs/b.md", "b\n")
    return e2e


def test_a_derived_list_of_paths_prints_one_path_a_line(e2e: E2E) -> None:
    run = e2e.am("-s", "summarize")
    assert run.code == 0, run
    out = e2e.read("out/all.md")
    assert "All: docs/a.md\ndocs/b.md\nRest: docs/b.md\n" in out, out
    assert "Both: docs/a.md\ndocs/b.md\nout/all.md\n" in out, out
    assert "Sorted: docs/b.md\ndocs/a.md\n" in out, out
    assert "Reversed: docs/b.md\ndocs/a.md\n" in out, out
    assert "Unique: docs/a.md\ndocs/b.md\n" in out, out
    assert "Selected: docs/b.md\n" in out, out
    assert "Joined: docs/b.md, docs/a.md\n" in out, out
    assert "Loop: [docs/a.md] [docs/b.md]" in out, out
    assert "['" not in out, out


def test_more_derivations_and_what_is_not_a_list_of_paths(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("alpha\n")
    (tmp_path / "b.md").write_text("beta\n")
    ctx = prompt_context(tmp_path, {}, {}, ["b.md", "a.md"], ["o.md"])
    text = (
        "{{ ['x.md'] + outputs }}|{{ inputs|reverse }}|{{ inputs|unique|sort }}|{{ outputs * 2 }}"
        "|{{ files|map(attribute='path')|list }}|{{ inputs[0] }}|{{ inputs|length }}"
        "|{{ files|map(attribute='content')|list }}|{{ ['x', 'y'] }}|{{ inputs|batch(1)|list }}"
    )
    assert render_prompt(Prompt(text), ctx, "t") == (
        "x.md\no.md|a.md\nb.md|a.md\nb.md|o.md\no.md|b.md\na.md|b.md|2"
        "|['beta\\n', 'alpha\\n']|['x', 'y']|[['b.md'], ['a.md']]"
    )


def test_a_derived_list_stays_in_the_sandbox(tmp_path: Path) -> None:
    from agentmake.errors import AgentfileError

    ctx = prompt_context(tmp_path, {}, {}, ["a.md"], ["o.md"])
    for text in (
        "{{ (inputs|reverse)._items }}",
        "{{ inputs[1:].__class__ }}",
        "{{ (inputs|unique).__next__ }}",
    ):
        with pytest.raises(AgentfileError, match=r"unsafe|undefined"):
            render_prompt(Prompt(text), ctx, "t")
    with pytest.raises(AgentfileError, match="would build"):
        render_prompt(Prompt("{{ inputs[0:] * 10**9 }}"), ctx, "t")


def test_a_project_built_before_does_not_run_again_when_a_variable_it_does_not_read_changes(e2e: E2E) -> None:
    older = subprocess.run(
        [sys.executable, "-c", OLDER], cwd=e2e.root, env=e2e.env(), capture_output=True, text=True, timeout=60
    )
    assert older.returncode == 0, older.stderr
    older_prompt = e2e.read("out/all.md")  # (the older form, as that build sent it: `inputs` one a line)
    assert "All: docs/a.md\ndocs/b.md\nRest: ['docs/b.md']" in older_prompt, older_prompt
    e2e.reset_calls()
    e2e.write("Agentfile", AGENTFILE.replace("tone = plain", "tone = formal"))
    dry = e2e.am("-n")
    assert "would run summarize" not in dry.out, dry
    run = e2e.am()
    assert run.code == 0 and e2e.calls() == ["other"], run  # (summarize ran again, paid for, before)
    assert e2e.am("-q").code == 0
    e2e.write("docs/c.md", "c\n")  # (an input added: run again, with the lists one path a line)
    run = e2e.am()
    assert run.code == 0 and e2e.calls() == ["other", "all"], run
    assert "Rest: docs/b.md\ndocs/c.md\n" in e2e.read("out/all.md")


def test_printing_a_derived_list_does_not_use_it_up(tmp_path: Path) -> None:
    # (`inputs|reverse` is an iterator: printed, it must still be there for what follows, as Jinja's own
    # reverse iterator was before it printed one path a line)
    ctx = prompt_context(tmp_path, {}, {}, ["b.md", "a.md"], ["o.md"])
    text = (
        "{% set r = inputs|reverse %}{{ r }}|{{ r }}|{{ r|join(',') }}"
        "|{% set u = inputs|unique %}{{ u }}|{% for f in u %}[{{ f }}]{% endfor %}"
    )
    assert render_prompt(Prompt(text), ctx, "t") == "a.md\nb.md|a.md\nb.md|a.md,b.md|b.md\na.md|[b.md][a.md]"


def test_a_report_templates_derived_lists_print_as_its_slices_do(tmp_path: Path) -> None:
    # (a report template's `inputs[1:]` printed one path a line, `inputs|sort(...)` and `inputs|reverse|list`
    # as Python's `['a.md', 'b.md']`: "rendered in a sandbox, as prompts are", grammar/README.md)
    from agentmake.report.builtin import Input
    from agentmake.report.template import render_template

    template = tmp_path / "t.j2"
    template.write_text(
        "{{ inputs[1:] }}|{{ inputs|sort(attribute='path') }}|{{ inputs|reverse|list }}"
        "|{{ inputs|join(',') }}"
    )
    inputs = [Input("b.md", "B"), Input("a.md", "A")]
    text = render_template(template, title="T", inputs=inputs, summary="", variables={})
    assert text == "a.md|a.md\nb.md|a.md\nb.md|b.md,a.md", text
