"""`{{`/`}}` are literal braces in every path pattern, outputs and report outputs too: the loader's checks
must not read `{{x}}` as a wildcard (grammar/README.md, "Input patterns")."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.cli import main
from agentmake.errors import AgentfileError
from agentmake.graph import build_graph
from agentmake.syntax.load import load_agentfile

CAT = 'agent a:\n    run = "cat {input} > {output}"\n'


def _write(root: Path, text: str) -> Path:
    (root / "Agentfile").write_text(text)
    return root / "Agentfile"


def test_literal_braces_in_an_agent_output(tmp_path: Path) -> None:
    (tmp_path / "in.txt").write_text("x\n")
    path = _write(tmp_path, CAT + '    inputs = in.txt\n    outputs = "o{{x}}.txt"\n')
    graph = build_graph(load_agentfile(path))
    assert graph.tasks["a"].outputs == ("o{x}.txt",)


def test_literal_braces_in_a_report_output(tmp_path: Path) -> None:
    (tmp_path / "in.txt").write_text("x\n")
    path = _write(tmp_path, 'report r:\n    inputs = in.txt\n    output = "R{{1}}.md"\n')
    graph = build_graph(load_agentfile(path))
    assert graph.tasks["r"].outputs == ("R{1}.md",)


def test_literal_braces_naming_a_reserved_word_are_not_a_wildcard(tmp_path: Path) -> None:
    (tmp_path / "in{input}.txt").write_text("x\n")
    path = _write(
        tmp_path,
        'agent a:\n    run = "cat {input} > {output}"\n    inputs = "in{{input}}.txt"\n    outputs = o.txt\n',
    )
    graph = build_graph(load_agentfile(path))
    assert graph.tasks["a"].inputs == ("in{input}.txt",)


def test_a_fan_out_output_with_literal_braces_builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("a\n")
    _write(
        tmp_path,
        CAT + '    inputs = docs/{n}.md\n    outputs = "out/{n}.{{v}}.md"\n',
    )
    monkeypatch.chdir(tmp_path)
    assert main(["-s"]) == 0
    assert (tmp_path / "out" / "a.{v}.md").read_text() == "a\n"


def test_a_real_unbound_wildcard_beside_literal_braces_is_still_an_error(tmp_path: Path) -> None:
    (tmp_path / "in.txt").write_text("x\n")
    path = _write(
        tmp_path,
        'agent a:\n    run = "cat {input} > {output}"\n    inputs = in.txt\n    outputs = "o{{x}}{y}.txt"\n',
    )

    with pytest.raises(AgentfileError, match=r"wildcard '\{y\}' in output"):
        load_agentfile(path)
