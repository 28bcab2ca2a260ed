"""A prompt that indexes a list of paths past its end (`{{ inputs[5] }}` of one input) failed with "undefined
name: agentmake.template_lists.PathList object has no element 5": an internal class's name, and no undefined
name in sight. It now says which element and that it is past the list's end."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.errors import AgentfileError
from agentmake.model import Prompt
from agentmake.template_context import prompt_context
from agentmake.templates import render_prompt


@pytest.mark.parametrize("expr", ["inputs[5]", "outputs[3]", "files[2].path", "inputs[1:][4]"])
def test_an_index_past_the_end_is_said_plainly(tmp_path: Path, expr: str) -> None:
    (tmp_path / "a.md").write_text("a\n")
    ctx = prompt_context(tmp_path, {}, {}, ["a.md"], ["out.md"])
    with pytest.raises(AgentfileError) as caught:
        render_prompt(Prompt("x {{ " + expr + " }}"), ctx, "t")
    said = str(caught.value)
    assert "past the list's end" in said, said
    assert "PathList" not in said and "template_lists" not in said and "undefined name" not in said, said


@pytest.mark.parametrize(
    ("expr", "said"),
    [
        ("inputs[5]", "no element 5 in a list of paths: it is past the list's end"),
        ("files.content", "inputs, outputs and files are lists: a list has no '.content'"),  # (review12)
    ],
)
def test_a_build_names_the_element_not_a_class(
    tmp_path: Path, fake_agents: FakeAgents, expr: str, said: str
) -> None:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("x.txt", "x\n")
    e2e.write(
        "Agentfile", f'agent a:\n    prompt = "{{{{ {expr} }}}}"\n    inputs = x.txt\n    outputs = a.md\n'
    )
    run = e2e.am()
    assert run.code == 1, run
    assert said in run.err, run
    assert "template_lists" not in run.text, run
    assert e2e.calls() == []  # (and nothing was paid for)
