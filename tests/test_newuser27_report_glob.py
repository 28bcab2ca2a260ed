"""A report input pattern that matches no file, and no agent's output: a typo (`outs/*.md` for `out/*.md`)
gave a report of one empty section, `_(no file matches)_`, while `check` said "— ok" (an agent's pattern
that matches nothing is an error). `check` now names it, as it names an agent that makes no task."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.cli import main

AGENTFILE = """\
agent copy:
    inputs  = a.txt
    outputs = out/a.md
    run     = "cp {input} {output}"

report r:
    inputs = %s
    output = R.md
"""


def _check(tmp_path: Path, inputs: str, capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    (tmp_path / "a.txt").write_text("a\n")
    (tmp_path / "Agentfile").write_text(AGENTFILE % inputs)
    assert main(["-C", str(tmp_path), "check"]) == 0  # (a warning: the files may come before the build)
    out = capsys.readouterr()
    return out.out, out.err


def test_a_report_pattern_that_matches_nothing_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, err = _check(tmp_path, "out/*.md outs/*.md", capsys)
    said = "agentmake: warning: report r: inputs pattern outs/*.md matches no file and no agent's output"
    assert said in err, err
    assert "out/*.md matches" not in err, err
    assert out.endswith("— ok\n"), out


def test_no_warning_for_a_pattern_an_agent_makes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, err = _check(tmp_path, "out/*.md", capsys)
    assert "matches no file" not in err, err
