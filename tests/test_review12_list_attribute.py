"""A prompt that reads an attribute of a whole list of paths (`{{ files.content }}`, `{{ inputs.content }}`:
one input, its text wanted) failed every task with "undefined name: 'agentmake.template_lists.PathList object'
has no attribute 'content'": an internal class's name, and no undefined name in sight (as an index past a
list's end did, `test_newuser26_index_past_end`). And an index that is not past the end (`inputs[-5]`,
`inputs[1.5]`) was said to be past it. (A build says it: `test_newuser26_index_past_end`.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.errors import AgentfileError
from agentmake.model import Prompt
from agentmake.template_context import prompt_context
from agentmake.templates import render_prompt


def _said(tmp_path: Path, expr: str) -> AgentfileError:
    (tmp_path / "a.md").write_text("a\n")
    ctx = prompt_context(tmp_path, {}, {}, ["a.md"], ["out.md"])
    with pytest.raises(AgentfileError) as caught:
        render_prompt(Prompt("x {{ " + expr + " }}"), ctx, "t")
    return caught.value


@pytest.mark.parametrize("expr", ["files.content", "inputs.content", "outputs.path", "inputs['x']"])
def test_an_attribute_of_a_list_is_said_of_the_list(tmp_path: Path, expr: str) -> None:
    err = _said(tmp_path, expr)
    said = str(err)
    assert "are lists: a list has no" in said, said
    assert "PathList" not in said and "template_lists" not in said and "undefined name" not in said, said
    assert err.hint is not None and "files[0].content" in err.hint, err.hint


@pytest.mark.parametrize(
    ("expr", "why"), [("inputs[-5]", "before its start"), ("inputs[1.5]", "whole number")]
)
def test_an_index_not_past_the_end_is_not_said_to_be(tmp_path: Path, expr: str, why: str) -> None:
    said = str(_said(tmp_path, expr))
    assert why in said and "past the list's end" not in said, said
    assert "PathList" not in said, said
