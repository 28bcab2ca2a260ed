"""A block's last line that lost its indentation (`check = json` at column 1 under an agent) is taken as a
top-level variable: the agent silently loses its check, its inputs... `check` and every load say so."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.cli import main

AGENTFILE = """\
agent security:
    prompt  = "Review the code."
    inputs  = src.py
    outputs = out.json
check = json

agent count:
    run     = "wc -c < {input} > {output}"
    inputs  = src.py
    outputs = count.txt
inputs  = other.py
"""


def write(root: Path, agentfile: str) -> None:
    (root / "Agentfile").write_text(agentfile)
    (root / "src.py").write_text("x = 1\n")


def test_a_block_key_left_unindented_is_pointed_out_by_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, AGENTFILE)
    assert main(["-C", str(tmp_path), "check"]) == 0  # (valid: the line does set a variable)
    err = capsys.readouterr().err
    agentfile = tmp_path / "Agentfile"  # (named as errors name it: relative to the working directory)
    assert f"warning: 'check' ({agentfile}:5) is taken as a top-level variable, and nothing reads it" in err
    assert "indent it" in err
    assert f"'inputs' ({agentfile}:11)" in err
    assert main(["-C", str(tmp_path), "-s", "count"]) == 0  # a build says so too, once
    assert capsys.readouterr().err.count(f"'check' ({agentfile}:5)") == 1


def test_a_variable_named_like_a_key_that_something_reads_is_meant(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    agentfile = """\
description = "a tool"
title = "Review"
summary = "short"

agent a:
    prompt  = "Describe {{ description }} in a {{ summary }} way."
    outputs = a.md

report r:
    title   = "${title}"
    inputs  = a.md
    output  = R.md
"""
    write(tmp_path, agentfile)
    assert main(["-C", str(tmp_path), "check"]) == 0
    assert "taken as a top-level variable" not in capsys.readouterr().err


def test_an_unindented_line_inside_a_block_is_named_by_the_error_on_the_next(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The error is at the line after it ('unexpected indentation'): the hint said only that block lines
    are indented under a header, which the line shown is; it names the line that lost its indentation."""
    agentfile = """\
agent scan:
    prompt  = "Inventory."
inputs  = src.py

    outputs = scan.md
"""
    write(tmp_path, agentfile)
    assert main(["-C", str(tmp_path), "check"]) == 2
    err = capsys.readouterr().err
    assert "Agentfile:5:5: error: unexpected indentation" in err
    assert "line 3 (`inputs = …`) is not indented" in err and "agent scan" in err


def test_an_indented_line_under_a_top_level_assignment_keeps_its_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, 'lang = "fr"\n    jobs = 2\n')  # (no block above: the indented line is the mistake)
    assert main(["-C", str(tmp_path), "check"]) == 2
    err = capsys.readouterr().err
    assert "only the lines of a block are indented" in err and "is not indented" not in err
