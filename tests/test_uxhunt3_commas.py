"""`inputs = "my file.md", b.md`: a comma after a quoted path is a word of its own, so the comma check
(`a.md, b.md`) missed it and the error was `input ',' does not exist and no agent produces it`. It is the
comma error now, and its rewrite keeps the quotes a path with a space needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.cli import main


@pytest.mark.parametrize(
    ("value", "first", "written"),
    [
        ('"my file.md", b.md', "my file.md,", 'inputs = "my file.md" b.md'),
        ('"my file.md" , "x \\"y\\".md"', "my file.md,", 'inputs = "my file.md" "x \\"y\\".md"'),
        ("a.md, b.md", "a.md,", "inputs = a.md b.md"),
    ],
)
def test_a_comma_between_paths_is_refused_with_a_rewrite_that_loads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str, first: str, written: str
) -> None:
    for name in ("my file.md", "b.md", "a.md", 'x "y".md'):
        (tmp_path / name).write_text("x\n")
    agentfile = 'agent a:\n    run = "cat {inputs} > {output}"\n    inputs = %s\n    outputs = o.txt\n'
    (tmp_path / "Agentfile").write_text(agentfile % value)
    assert main(["-C", str(tmp_path), "check"]) == 2
    err = capsys.readouterr().err
    assert f"Agentfile:3:14: error: inputs are separated by spaces, not commas: '{first}'" in err, err
    assert f"\nwrite {written}\n" in err, err
    (tmp_path / "Agentfile").write_text(agentfile % written.removeprefix("inputs = "))
    assert main(["-C", str(tmp_path), "check"]) == 0, capsys.readouterr().err
