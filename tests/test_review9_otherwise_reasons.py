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


FAILING = AGENTFILE.replace('"cat {inputs} > {output}"', '"grep -q ok {inputs} && cat {inputs} > {output}"')


def test_a_failure_of_a_task_the_variable_does_not_touch_is_still_its_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """t, built plain, fails in a lang=fr build (its input edited: lang changes nothing of t). Plain `status`
    said it 'stale', 'last built under another value of lang', no time: the failure is t's, as it was
    before records named their configuration."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.md").write_text("ok\n")
    (tmp_path / "Agentfile").write_text(FAILING)
    assert main(["-C", str(tmp_path), "-s"]) == 0
    (tmp_path / "src" / "a.md").write_text("bad\n")
    assert main(["-C", str(tmp_path), "-s", "lang=fr"]) == 1
    capsys.readouterr()
    assert main(["-C", str(tmp_path), "status"]) in (0, 1)
    out = capsys.readouterr().out
    (line,) = [x for x in out.splitlines() if " t " in x]
    assert line.split()[0] == "failed", out
    assert "another value of lang" not in out.split(line)[1], out
    assert main(["-C", str(tmp_path), "explain", "t"]) in (0, 1)
    assert "another value" not in capsys.readouterr().out


def test_an_output_renamed_in_the_agentfile_still_gets_its_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """t's record is lang=fr's (built once with it, up to date since), but lang names no path of t: its
    output renamed in the Agentfile is a rename, and the hint that spares a paid call is said (s25 said
    none, efca24e did). lang=fr's own outputs are still not proposed for a move
    (test_configs25_other_config)."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.md").write_text("a\n")
    (tmp_path / "Agentfile").write_text(AGENTFILE)
    assert main(["-C", str(tmp_path), "-s", "lang=fr"]) == 0
    assert main(["-C", str(tmp_path), "-s"]) == 0
    (tmp_path / "Agentfile").write_text(AGENTFILE.replace("out/t.md", "out/t2.md"))
    capsys.readouterr()
    assert main(["-C", str(tmp_path), "-n"]) == 0
    err = capsys.readouterr().err
    assert "its output out/t.md is now out/t2.md" in err and "/out/t2.md && agentmake -C " in err, err
