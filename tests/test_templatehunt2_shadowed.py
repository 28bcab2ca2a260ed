"""A variable or a wildcard named like one of the names every prompt sees (`input`, `inputs`, `output`,
`outputs`, `files`, `read`): a prompt that reads the name would be given the task's value, never the
variable's or the wildcard's, unseen. It is an Agentfile error, located at the name in the prompt; a
variable of such a name that no prompt reads (used in `${...}` alone) is fine. Real CLI, fake claude."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e = E2E(tmp_path / "proj", fake_agents)
    e.write("docs/a.md", "alpha\n")
    return e


@pytest.mark.parametrize("name", ["files", "read", "input", "outputs"])
def test_a_variable_a_prompt_reads_under_a_prompt_name_is_refused(e2e: E2E, name: str) -> None:
    e2e.write(
        "Agentfile",
        f'{name} = "MINE"\n\nagent t:\n    prompt = "Value: {{{{ {name} }}}}"\n'
        "    inputs = docs/a.md\n    outputs = out/a.md\n",
    )
    for args in (("check",), ("-n",), ()):
        run = e2e.am(*args)
        assert run.code == 2, run
        assert f"'{name}' is both a variable and" in run.err, run
        assert "Agentfile:4:" in run.err, run
    assert e2e.calls() == []


def test_a_wildcard_a_prompt_reads_under_a_prompt_name_is_refused(e2e: E2E) -> None:
    """`{files}` in a prompt agent's inputs: `{{ files }}` gave the task's list of input files, never the
    wildcard's value, whatever `-n` and `check` said."""
    e2e.write(
        "Agentfile",
        "agent t:\n    prompt = p.md\n    inputs = docs/{files}.md\n    outputs = out/{files}.md\n",
    )
    e2e.write("p.md", "Summarise {{ files }}.\n", dedent=False)
    run = e2e.am("check")
    assert run.code == 2, run
    assert "'files' is both a wildcard of t and" in run.err and "p.md:1:" in run.err, run


def test_a_shell_agent_and_a_prompt_that_does_not_read_the_name_are_fine(e2e: E2E) -> None:
    """A shell agent's `{files}` is its wildcard (commands have no `files`); a variable `files` that only
    the Agentfile's values use is never confused with the prompt's."""
    e2e.write(
        "Agentfile",
        "files = docs/a.md\n\n"
        'agent s:\n    run = "echo {files} > {output}"\n    inputs = docs/{files}.md\n'
        "    outputs = out/{files}.txt\n\n"
        "agent t:\n    prompt = \"Say {{ read(input) }} about {{ inputs|join(', ') }}\"\n"
        "    inputs = ${files}\n    outputs = out/t.md\n",
    )
    run = e2e.am()
    assert run.code == 0 and run.summary.ran == 2, run
    assert e2e.read("out/a.txt") == "a\n"
    assert "alpha" in e2e.read("out/t.md")
