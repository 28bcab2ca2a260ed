"""The notices of a hand-edited output name its path as the Agentfile would write it (`pathwords.quote_path`):
`out fr/a b.md was edited by hand; keeping it` read as three paths; `list`, `explain` and `status` already
quoted it. Both the skip's notice and the saved-copy notice of a task that replaces the edit."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.cli import main
from agentmake.scheduler.commit import saved_notice
from agentmake.scheduler.events import saved_copy_line

AGENTFILE = """\
agent tr:
    run = "cat {inputs} > {outputs}"
    inputs = "in put.txt"
    outputs = "out fr/a b.md"
"""


def _build(root: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["-C", str(root)]) == 0
    said = capsys.readouterr()
    return said.out + said.err


def test_hand_edit_notices_quote_a_path_with_a_space(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Agentfile").write_text(AGENTFILE)
    (tmp_path / "in put.txt").write_text("a\n")
    _build(tmp_path, capsys)
    (tmp_path / "out fr" / "a b.md").write_text("edited by me\n")
    kept = _build(tmp_path, capsys)
    assert '"out fr/a b.md" was edited by hand; keeping it' in kept, kept
    assert (tmp_path / "out fr" / "a b.md").read_text() == "edited by me\n"
    (tmp_path / "in put.txt").write_text("b\n")
    replaced = _build(tmp_path, capsys)
    assert 'hand-edited output saved: "out fr/a b.md" → ' in replaced, replaced
    assert (tmp_path / "out fr" / "a b.md").read_text() == "b\n"


def test_saved_notice_quotes_both_paths_and_leaves_plain_ones_bare() -> None:
    said = saved_notice({"a b.md": Path(".agentmake/edited/1 a b.md"), "c.md": Path("x/c.md")}, ["c.md"])
    assert said == (
        'hand-edited output saved: "a b.md" → ".agentmake/edited/1 a b.md"; '
        "output agentmake did not make saved: c.md → x/c.md"
    )


def test_the_saved_copy_line_quotes_both_paths(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The line of its own a build's summary and `clean` say of a copy saved (`saved_copy_line`) quotes the
    output and the copy as the notices do: `out fr/a b.md was edited by hand ...; saved a copy to
    .agentmake/edited/…/a b.md` read as several paths."""
    (tmp_path / "Agentfile").write_text(AGENTFILE)
    (tmp_path / "in put.txt").write_text("a\n")
    _build(tmp_path, capsys)
    (tmp_path / "out fr" / "a b.md").write_text("edited by me\n")
    assert main(["-C", str(tmp_path), "clean"]) == 0
    said = capsys.readouterr()
    cleaned = said.out + said.err
    assert '"out fr/a b.md" was edited by hand or not made by agentmake; saved a copy to "' in cleaned, (
        cleaned
    )
    assert cleaned.splitlines()[0].endswith('/out fr/a b.md"'), cleaned
    assert not (tmp_path / "out fr" / "a b.md").exists()
    assert saved_copy_line("a b.md", Path(".agentmake/edited/1/a b.md")) == (
        '"a b.md" was edited by hand or not made by agentmake; saved a copy to ".agentmake/edited/1/a b.md"'
    )
    assert saved_copy_line("c.md", ".agentmake/edited/1/c.md").endswith(
        "saved a copy to .agentmake/edited/1/c.md"
    )
