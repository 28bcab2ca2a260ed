"""Targets that name an agent making no task (its wildcard input matches no file): `explain` printed nothing
at all and exited 0, as if the agent did not exist; it says why there is nothing to explain."""

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


def test_explain_of_an_agent_that_makes_no_task_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Agentfile").write_text(COPY)
    (tmp_path / "doc").mkdir()  # (the files are in doc/, the pattern says docs/)
    (tmp_path / "doc" / "a.md").write_text("a\n")
    assert main(["-C", str(tmp_path), "explain", "copy"]) == 0
    out = capsys.readouterr().out
    assert out == "copy makes no task: no file matches docs/{name}.md\n", out


def test_explain_of_an_agent_with_tasks_is_unchanged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Agentfile").write_text(COPY)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("a\n")
    assert main(["-C", str(tmp_path), "explain", "copy"]) == 0
    out = capsys.readouterr().out
    assert out == "build/a.txt [copy:a] is stale: never built\n", out
