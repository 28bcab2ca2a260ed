"""The syntax of a report template, and of the prompts, is checked when a build loads the project, as `check`
does: an error is located (`file:line:col`, the line, a caret), exits 2 and comes before any agent is paid;
an error found while rendering names the template by its project-relative path."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENT_T = '''\
agent t:
    inputs = docs/a.md
    outputs = build/a.md
    prompt = """
        FAKE: label=t
        {{ read(input) }}
        """
'''


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("docs/a.md", "hello\n")
    e2e.write(
        "Agentfile",
        AGENT_T + "report r:\n    inputs = build/a.md\n    output = R.md\n    template = t.md.j2\n",
    )
    return e2e


SYNTAX_ERROR = """\
t.md.j2:2:1: error: report template: syntax error: unexpected '}'
    {{ inputs[0].path }
    ^
"""


@pytest.mark.parametrize("args", [(), ("report",), ("r",), ("-n",)])
def test_a_template_syntax_error_stops_the_build_before_any_agent_is_paid(e2e: E2E, args: tuple[str]) -> None:
    e2e.write("t.md.j2", "# {{ title }}\n{{ inputs[0].path }\n")
    run = e2e.am(*args)
    assert run.code == 2, run
    assert e2e.calls() == [], f"paid for agents before the template error was reported\n{run}"
    assert SYNTAX_ERROR in run.err, run
    assert e2e.am("check").err == run.err  # (what `check` says)


def test_a_build_without_the_report_does_not_check_its_template(e2e: E2E) -> None:
    e2e.write("t.md.j2", "# {{ title }}\n{{ inputs[0].path }\n")
    run = e2e.am("t")
    assert run.code == 0 and e2e.calls() == ["t"], run


def test_a_template_error_found_while_rendering_names_the_file_as_the_project_does(e2e: E2E) -> None:
    # (a name no report template sees is refused before the build, as `check` does: a variable's is not)
    e2e.write("t.md.j2", "# {{ title }}\n{{ variables.no_such_name }}\n")
    run = e2e.am()
    assert run.code == 1 and e2e.calls() == ["t"], run
    assert "t.md.j2:2:1: report template: 'dict object' has no attribute 'no_such_name'" in run.text, run
    assert str(e2e.root) not in run.text, run


def test_a_report_template_cannot_exhaust_memory(e2e: E2E) -> None:
    e2e.write("t.md.j2", '# {{ title }}\n{{ "x" * 100000001 }}\n')
    run = e2e.am()
    assert run.code == 1 and e2e.calls() == ["t"], run
    assert "t.md.j2:2:1: report template: `*` would build 100,000,001 characters" in run.text, run
    assert not e2e.exists("R.md"), run


def test_a_prompt_syntax_error_downstream_stops_the_build_before_the_agents_before_it_are_paid(
    e2e: E2E,
) -> None:
    e2e.write("t.md.j2", "# {{ title }}\n")
    e2e.write(
        "Agentfile",
        AGENT_T + "agent u:\n    inputs = build/a.md\n    outputs = build/u.md\n    prompt = p.md\n",
    )
    e2e.write("p.md", "FAKE: label=u\nAnd {{ foo( }}\n")
    for args in [(), ("u",), ("-n",)]:
        run = e2e.am(*args)
        assert run.code == 2 and e2e.calls() == [], run  # t, before u, was not paid for
        assert "p.md:2:5: error: template syntax error" in run.err, run
    assert e2e.am("t").code == 0 and e2e.calls() == ["t"]  # (a build without u does not need its prompt)
    e2e.write("p.md", "FAKE: label=u\nAnd {{ read(input) }}\n")
    assert e2e.am().code == 0 and e2e.calls() == ["t", "u"]
