"""An agent that makes no task (its wildcard input matches no file: a typo in the pattern, files not there
yet). Alone, `check` said "1 agent (0 tasks) — ok" and a build "0 ran"; with a fan-in reading its outputs,
the error blamed the fan-in ("'build/*.txt' matches no file") and said nothing of the cause upstream."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.cli import main

COPY = """\
agent copy:
    inputs  = docs/{name}.md
    outputs = build/{name}.txt
    run     = "cp {input} {output}"
"""
COUNT = """
agent count:
    inputs  = build/*.txt
    outputs = count.txt
    run     = "cat {inputs} | wc -l > {output}"
"""


def _project(tmp_path: Path, agentfile: str, docs: str) -> None:
    (tmp_path / "Agentfile").write_text(agentfile)
    (tmp_path / docs).mkdir()
    (tmp_path / docs / "a.md").write_text("a\n")


def test_an_agent_that_makes_no_task_is_named_by_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _project(tmp_path, COPY, "doc")  # (the files are in doc/, the pattern says docs/)
    assert main(["-C", str(tmp_path), "check"]) == 0  # (a warning: the files may come before the build)
    out = capsys.readouterr()
    assert "agentmake: warning: copy makes no task: no file matches docs/{name}.md" in out.err, out.err
    assert out.out.endswith("— ok\n")


def test_no_warning_once_its_files_are_there(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _project(tmp_path, COPY + COUNT, "docs")
    assert main(["-C", str(tmp_path), "check"]) == 0
    assert "makes no task" not in capsys.readouterr().err


def test_a_fan_in_over_what_it_makes_names_the_agent_upstream(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _project(tmp_path, COPY + COUNT, "doc")
    assert main(["-C", str(tmp_path), "check"]) == 2
    err = capsys.readouterr().err
    assert "agent 'count' inputs pattern 'build/*.txt' matches no file" in err
    hint = "agent 'copy', which would make build/{name}.txt, makes no task: no file matches docs/{name}.md"
    assert hint in err, err
