"""Building an agent by name that makes no task (its wildcard input matches no file): the build said only
"0 ran" (make says "Nothing to be done for 'copy'"), and a second build, answered by the build stamp, the
same.
It names the cause, every time, also with -n."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.cli import main

COPY = """\
agent copy:
    inputs  = docs/{name}.md
    outputs = build/{name}.txt
    run     = "cp {input} {output}"

agent other:
    inputs  = seed.txt
    outputs = other.txt
    run     = "cp {input} {output}"
"""
SAID = "agentmake: warning: copy makes no task: no file matches docs/{name}.md"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "Agentfile").write_text(COPY)
    (tmp_path / "doc").mkdir()  # (the files are in doc/, the pattern says docs/)
    (tmp_path / "doc" / "a.md").write_text("a\n")
    (tmp_path / "seed.txt").write_text("s\n")
    return tmp_path


def test_building_an_agent_that_makes_no_task_says_why(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in range(2):  # (the second build may be answered by the build stamp: it must say it too)
        assert main(["-C", str(project), "copy"]) == 0
        out = capsys.readouterr()
        assert SAID in out.err, out.err
        assert "0 ran" in out.out


def test_a_dry_run_of_it_says_why(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-C", str(project), "-n", "copy"]) == 0
    assert SAID in capsys.readouterr().err


def test_an_agent_with_tasks_is_not_warned_of(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for _ in range(2):
        assert main(["-C", str(project), "other"]) == 0
        assert "makes no task" not in capsys.readouterr().err
    (project / "docs").mkdir()
    (project / "docs" / "a.md").write_text("a\n")
    assert main(["-C", str(project), "copy"]) == 0
    out = capsys.readouterr()
    assert "makes no task" not in out.err and "1 ran" in out.out, out
