"""`default` names targets as the command line takes them (grammar/README.md, Settings): a bare
`agentmake` with `default = X` builds what `agentmake X` builds, for an output spelled `./out.txt`, a file a
fan-out makes, a task id or a directory of outputs; a name no target could ever be is a located error at
load."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.cli import main
from agentmake.errors import AgentfileError, UsageError
from agentmake.graph import build_graph
from agentmake.syntax.load import load_agentfile

AGENTS = """\
agent t:
    run = "cat {input} > {output}"
    inputs = docs/{n}.md
    outputs = build/{n}.txt

agent w:
    run = "cat {inputs} > {output}"
    inputs = build/*.txt
    outputs = ./all.txt
"""


def _project(root: Path, default: str) -> Path:
    (root / "docs").mkdir(exist_ok=True)
    for n in ("a", "b"):
        (root / "docs" / f"{n}.md").write_text(f"{n}\n")
    (root / "Agentfile").write_text(AGENTS + f"\ndefault = {default}\n")
    return root / "Agentfile"


@pytest.mark.parametrize(
    ("default", "cli_target"),
    [
        ("./all.txt", "all.txt"),
        ("build/a.txt", "build/a.txt"),
        ("./build/b.txt", "build/b.txt"),
        ("t:a", "t:a"),
        ("build", "build"),
        ("build/", "build"),
    ],
)
def test_default_selects_what_the_same_command_line_target_does(
    tmp_path: Path, default: str, cli_target: str
) -> None:
    graph = build_graph(load_agentfile(_project(tmp_path, default)))
    assert list(graph.select([]).tasks) == list(graph.select([cli_target]).tasks)


def test_a_bare_build_with_a_fan_out_output_as_default_builds_only_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(tmp_path, "build/a.txt")
    monkeypatch.chdir(tmp_path)
    assert main(["-s"]) == 0
    assert (tmp_path / "build" / "a.txt").read_text() == "a\n"
    assert not (tmp_path / "build" / "b.txt").exists()


@pytest.mark.parametrize("default", ["nope", "build/a.md", "docs/a.md", "x:a", "w:a"])
def test_a_default_no_target_could_be_is_a_located_error(tmp_path: Path, default: str) -> None:
    with pytest.raises(AgentfileError) as info:
        load_agentfile(_project(tmp_path, default))
    assert f"default names unknown target '{default}'" in info.value.message
    assert info.value.loc is not None and info.value.loc.line == AGENTS.count("\n") + 2


def test_a_default_naming_an_output_pattern_says_to_name_the_agent(tmp_path: Path) -> None:
    with pytest.raises(AgentfileError) as info:
        load_agentfile(_project(tmp_path, "build/{n}.txt"))
    assert info.value.loc is not None and info.value.loc.line == AGENTS.count("\n") + 2
    assert info.value.hint is not None and "'t'" in info.value.hint


def test_a_default_fan_out_output_whose_source_is_gone_says_it_came_from_default(tmp_path: Path) -> None:
    graph = build_graph(load_agentfile(_project(tmp_path, "build/z.txt")))
    with pytest.raises(UsageError, match=r"default.*'build/z.txt'|'build/z.txt'.*default"):
        graph.select([])
