"""check's warning of a report input pattern that matches nothing (d407a00) said "its report will say
`_(no file matches)_` there" of every report; only the built-in document says so: a merge report's agent,
and a template, are given the files that matched, and nothing of the pattern."""

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
    inputs = out/*.md outs/*.md
    output = R.md
    %s
"""


@pytest.mark.parametrize("how", ['merge = "Summarise them"', "template = r.md.j2"])
def test_a_merge_or_template_report_is_not_said_to_say_no_file_matches(
    tmp_path: Path, how: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.txt").write_text("a\n")
    (tmp_path / "r.md.j2").write_text("# {{ title }}\n")
    (tmp_path / "Agentfile").write_text(AGENTFILE % how)
    main(["-C", str(tmp_path), "check"])
    err = capsys.readouterr().err
    assert "report r: inputs pattern outs/*.md matches no file and no agent's output" in err, err
    assert "no file matches)_" not in err, err
    assert "(its report is made without it)" in err, err
