"""An agent never reads its own outputs (grammar/README.md, "Input patterns"), so an input pattern that is
also its output pattern (an "edit in place" fan-out, `docs/{n}.md` -> `docs/{n}.md`) could never make a task:
it is an Agentfile error located at the input, as a literal path listed as both is, not a silent no-op."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.cli import main
from agentmake.errors import AgentfileError
from agentmake.graph import build_graph
from agentmake.syntax.load import load_agentfile

IN_PLACE = (
    'agent fix:\n    run = "cat {input} > {output}"\n    inputs = docs/{n}.md\n    outputs = ./docs/{n}.md\n'
)


def _project(root: Path, text: str) -> Path:
    (root / "docs").mkdir()
    for n in ("a", "b"):
        (root / "docs" / f"{n}.md").write_text(f"{n}\n")
    (root / "Agentfile").write_text(text)
    return root / "Agentfile"


def test_an_input_pattern_that_is_its_own_output_pattern_is_a_located_error(tmp_path: Path) -> None:
    with pytest.raises(AgentfileError) as info:
        build_graph(load_agentfile(_project(tmp_path, IN_PLACE)))
    assert "both input and output" in info.value.message
    assert info.value.loc is not None and (info.value.loc.line, info.value.loc.col) == (3, 14)


def test_the_build_says_so_and_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _project(tmp_path, IN_PLACE)
    monkeypatch.chdir(tmp_path)
    assert main(["-s"]) == 2
    assert "Agentfile:3:14: error:" in capsys.readouterr().err


def test_an_output_beside_its_inputs_is_still_fine(tmp_path: Path) -> None:
    text = IN_PLACE.replace("outputs = ./docs/{n}.md", "outputs = docs/{n}.summary.md")
    graph = build_graph(load_agentfile(_project(tmp_path, text)))
    assert sorted(graph.tasks) == ["fix:a", "fix:b"]
