"""A path with a space, listed for a person, is written as the Agentfile would write it (`"out put.txt"`):
`list`, `-n`, `explain` and `status` said `outputs changed out put.txt → c.txt, out put.txt`, which reads as
three or four files. `status --json` gives the paths as they are (it is data)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from agentmake.cli import main
from agentmake.pathwords import quote_path, quote_paths, with_path_quoted
from agentmake.syntax.parser import unquote

AGENTFILE = """\
agent cp:
    run = "cat {inputs} > {outputs}"
    inputs = "in put.txt" b.txt
    outputs = "out put.txt"

report r:
    inputs = "out put.txt"
    output = "my report.md"
"""


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("docs/intro.md", "docs/intro.md"),
        ("out put.txt", '"out put.txt"'),
        ("a,b.md", '"a,b.md"'),
        ("x;y", "x;y"),  # (no space: not read as two reasons "x; y")
        ('say "hi".md', '"say \\"hi\\".md"'),
        ("back\\slash and space", '"back\\\\slash and space"'),
        ("line\nbreak", '"line\\nbreak"'),
        ("cost=${x}.md", '"cost=$${x}.md"'),
        ("(draft)#1.md", '"(draft)#1.md"'),
    ],
)
def test_a_path_is_quoted_as_the_agentfile_writes_it(path: str, shown: str) -> None:
    assert quote_path(path) == shown
    if shown.startswith('"'):  # the grammar's own reading of the quoted string gives the path back
        assert unquote(shown).replace("$${", "${") == path


def test_a_path_is_quoted_where_a_sentence_names_it() -> None:
    assert quote_paths(["out put.txt", "c.txt"]) == '"out put.txt", c.txt'
    assert with_path_quoted("input a b changed", "a b") == 'input "a b" changed'
    assert with_path_quoted("output a b.md is missing", "a b") == "output a b.md is missing"  # not a word
    assert (
        with_path_quoted("a b was edited by hand; keeping it", "a b")
        == '"a b" was edited by hand; keeping it'
    )


def build(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (root / "Agentfile").write_text(AGENTFILE)
    (root / "in put.txt").write_text("a\n")
    (root / "b.txt").write_text("b\n")
    assert main(["-C", str(root)]) == 0
    (root / "in put.txt").write_text("a2\n")
    (root / "Agentfile").write_text(
        AGENTFILE.replace('outputs = "out put.txt"', 'outputs = "out put.txt" c.txt')
    )
    capsys.readouterr()


def run(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["-C", str(root), *args]) == 0
    return capsys.readouterr().out


def test_list_dry_run_explain_and_status_quote_paths_with_spaces(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build(tmp_path, capsys)
    listed = run(tmp_path, capsys, "list")
    assert 'cp  -> "out put.txt", c.txt' in listed and '-> "my report.md"' in listed, listed
    changed = 'outputs changed "out put.txt" → c.txt, "out put.txt"'
    for args in (["-n"], ["-n", "-v"]):
        dry = run(tmp_path, capsys, *args)
        assert 'would run cp: input "in put.txt" changed' in dry and changed in dry, dry
        assert 'input "out put.txt" will be rebuilt by cp' in dry, dry
    told = run(tmp_path, capsys, "explain", "r")
    assert told.startswith('"out put.txt" (+1 more) [cp] is stale: input "in put.txt" changed'), told
    assert changed in told and '"my report.md" [r] may be stale' in told, told
    status = run(tmp_path, capsys, "status")
    assert re.search(r'cp  \d+\.\ds  "out put.txt", c\.txt', status), status  # (its time: as it ran)
    assert f"    - {changed}\n" in status and '    - input "in put.txt" changed' in status, status
    data = json.loads(run(tmp_path, capsys, "status", "--json"))
    cp = next(row for row in data if row["task"] == "cp")
    assert cp["outputs"] == ["out put.txt", "c.txt"]  # data: as they are
    assert "outputs changed out put.txt → c.txt, out put.txt" in cp["reasons"], cp
    assert any(r.startswith("input in put.txt changed") for r in cp["reasons"]), cp


def test_grouped_inputs_and_saved_copies_quote_paths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = [f"doc {i}.md" for i in range(5)]
    for name in names:
        (tmp_path / name).write_text("x\n")
    agent = 'agent a:\n    run = "cat {inputs} > {output}"\n    outputs = "a b.md"\n    inputs = '
    (tmp_path / "Agentfile").write_text(agent + f'"{names[0]}"\n')
    assert main(["-C", str(tmp_path)]) == 0
    (tmp_path / "a b.md").write_text("edited by hand\n")
    (tmp_path / "Agentfile").write_text(agent + " ".join(f'"{name}"' for name in names) + "\n")
    capsys.readouterr()
    dry = run(tmp_path, capsys, "-n")
    assert '4 inputs added: "doc 1.md", "doc 2.md" and 2 more' in dry, dry
    assert '"a b.md" was edited by hand: a copy is saved first' in dry, dry
    status = run(tmp_path, capsys, "status")
    assert '"a b.md" was edited by hand: a copy is saved first' in status, status
    data = json.loads(run(tmp_path, capsys, "status", "--json"))
    assert "a b.md was edited by hand: a copy is saved first" in data[0]["reasons"], data
