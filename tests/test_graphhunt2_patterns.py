"""Mistakes in one input pattern among several: the error pointed at the first input of the line (a bad or
reserved wildcard in the second was shown with a caret under the first), and a malformed brace in an input
(`docs/{n.md`, `docs/n}.md`, `docs/{ n }.md`, which bare words split) was reported as the output's
wildcard being "bound by no input", saying nothing of the input that is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.errors import AgentfileError
from agentmake.graph import build_graph
from agentmake.syntax.load import load_agentfile


@pytest.fixture(autouse=True)
def _in_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.txt").write_text("a\n")


def _error(root: Path, inputs: str, outputs: str = "out/{n}.md") -> AgentfileError:
    text = f"agent sum:\n    inputs = {inputs}\n    outputs = {outputs}\n"
    text += '    run = "cp {input} {output}"\n'
    (root / "Agentfile").write_text(text)
    with pytest.raises(AgentfileError) as info:
        build_graph(load_agentfile(root / "Agentfile"))
    return info.value


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("docs/{n:x}.md", "bad wildcard '{n:x}'"),
        ("docs/{input}.md", "'{input}' is reserved"),
        ("docs/{n.md", "bad wildcard in 'docs/{n.md'"),
        ("docs/n}.md", "unmatched '}' in 'docs/n}.md'"),
    ],
)
def test_an_error_in_the_second_input_points_at_it(tmp_path: Path, pattern: str, message: str) -> None:
    err = _error(tmp_path, f"a.txt docs/{{n}}.md {pattern}")
    assert message in err.message, err.message
    col = len("    inputs = a.txt docs/{n}.md ") + 1
    assert err.loc is not None and (err.loc.line, err.loc.col) == (2, col), err


@pytest.mark.parametrize("pattern", ["docs/{n.md", "docs/n}.md", "docs/{ n }.md"])
def test_a_malformed_input_is_named_not_the_output_it_leaves_unbound(tmp_path: Path, pattern: str) -> None:
    err = _error(tmp_path, f"a.txt {pattern}")
    assert "bound by no input" not in err.message, err.message
    assert "docs/{" in err.message or "docs/n}" in err.message, err.message
    assert err.loc is not None and (err.loc.line, err.loc.col) == (2, len("    inputs = a.txt ") + 1), err


def test_a_malformed_output_among_several_is_located_at_it(tmp_path: Path) -> None:
    err = _error(tmp_path, "docs/{n}.md", "out/{n}.md out/{n.txt")
    assert "bad wildcard in 'out/{n.txt'" in err.message, err.message
    assert err.loc is not None and (err.loc.line, err.loc.col) == (3, len("    outputs = out/{n}.md ") + 1)


def test_a_malformed_report_input_among_several_is_located_at_it(tmp_path: Path) -> None:
    (tmp_path / "Agentfile").write_text("report r:\n    inputs = a.txt build/{x.md\n    output = R.md\n")
    with pytest.raises(AgentfileError) as info:
        build_graph(load_agentfile(tmp_path / "Agentfile"))
    err = info.value
    assert "report 'r' inputs: bad wildcard in 'build/{x.md'" in err.message, err.message
    assert err.loc is not None and (err.loc.line, err.loc.col) == (2, len("    inputs = a.txt ") + 1), err


def test_an_output_already_declared_is_located_at_that_output(tmp_path: Path) -> None:
    text = 'agent a:\n    inputs = a.txt\n    outputs = x.txt\n    run = "cp {input} {output}"\n'
    text += 'agent b:\n    inputs = a.txt\n    outputs = y.txt x.txt\n    run = "cat {input} > {output}"\n'
    (tmp_path / "Agentfile").write_text(text)
    with pytest.raises(AgentfileError) as info:
        load_agentfile(tmp_path / "Agentfile")
    err = info.value
    assert "output 'x.txt' is already declared by 'a'" in err.message, err.message
    assert err.loc is not None and (err.loc.line, err.loc.col) == (7, len("    outputs = y.txt ") + 1), err
