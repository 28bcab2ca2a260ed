"""Command-line options that a command took and ignored: `agentmake init -f FILE` wrote `Agentfile` (and
said to run `agentmake check`), so the `agentmake -f FILE` that follows said "no such Agentfile"."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.cli import main


def test_init_writes_the_agentfile_that_f_names_and_its_prompt_beside_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["-C", "p", "-f", "other.af", "init"]) == 2  # (-C: no such directory)
    (tmp_path / "p").mkdir()
    capsys.readouterr()
    assert main(["-C", "p", "-f", "other.af", "init"]) == 0
    out = capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == ["notes", "other.af", "prompts"]
    assert "next: edit p/prompts/summarize.md, then run `agentmake -f p/other.af check`" in out, out
    assert main(["-f", "p/other.af", "check"]) == 0
    assert "other.af: 2 agents (2 tasks), 1 report" in capsys.readouterr().out
    assert main(["-C", "p", "-f", "other.af", "init"]) == 2  # (nothing is replaced)
    assert "init: other.af, prompts/summarize.md, notes/example.md already exist" in capsys.readouterr().err


def test_init_f_in_a_directory_still_to_make_makes_it_the_projects_root(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["-f", "sub/dir/Agentfile", "init"]) == 0
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()) == [
        "sub/dir/Agentfile",
        "sub/dir/notes/example.md",
        "sub/dir/prompts/summarize.md",
    ]
    assert "`agentmake -f sub/dir/Agentfile check`" in capsys.readouterr().out
    assert main(["-f", "sub/dir/Agentfile", "check"]) == 0


@pytest.mark.parametrize("name", ["notes", "prompts"])
def test_init_f_naming_a_directory_the_starter_makes_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    assert main(["-C", str(tmp_path), "-f", name, "init"]) == 2
    assert f"an Agentfile named {name} would stand where the directory {name} goes" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
