"""A task the variable does not touch keeps its own reasons: built once with `lang=fr` (which only u's output
path names), t's record stays lang=fr's while later plain builds find it up to date. An input added to t since
is no consequence of lang: `-n` and `status` said only 'last built under another value of lang' (the reason
that made t stale, 'input src/b.md was added', hidden as if it followed from lang). The sentence stands in
place of the reasons that follow from the variable only where the variable names the task's outputs (an
`outputs-changed` reason among them: `plan.explain.beyond_otherwise`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.cli import main

AGENTFILE = """\
lang = es
agent u:
    outputs = out/${lang}/u.md
    run = "echo ${lang} > {output}"
agent t:
    inputs = src/*.md
    outputs = out/t.md
    run = "cat {inputs} > {output}"
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.md").write_text("a\n")
    (tmp_path / "Agentfile").write_text(AGENTFILE)
    assert main(["-C", str(tmp_path), "-s", "lang=fr"]) == 0
    assert main(["-C", str(tmp_path), "-s"]) == 0  # (t up to date: its record stays lang=fr's)
    (tmp_path / "src" / "b.md").write_text("b\n")
    return tmp_path


def test_dry_run_still_says_the_input_added(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["-C", str(root), "-n"]) == 0
    (line,) = [x for x in capsys.readouterr().out.splitlines() if x.startswith("would run t")]
    assert "src/b.md" in line, line


def test_status_still_says_the_input_added(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["-C", str(root), "status"]) == 0
    out = capsys.readouterr().out
    assert "src/b.md" in out, out
