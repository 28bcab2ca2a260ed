"""A report's run summary, through real builds: its `tasks run` line counted the tasks before the report
(the build's own line counts the report too: `5 ran` beside `tasks run | 4`), so it now says so
(`tasks run before this report`); and its cost was a blank cell when only shell agents ran, which reads as
a cost not known: it says `$0.00 (no LLM call)`. A run with an LLM call keeps its sum."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents

from agentmake.cli import main

SHELL = """\
agent a:
    outputs = a.md
    run = "echo a > {output}"
agent b:
    inputs = a.md
    outputs = b.md
    run = "cat {input} > {output}"
report r:
    inputs = a.md b.md
    output = R.md
"""


def _time_table(root: Path) -> list[str]:
    text = (root / "R.md").read_text()
    part = text.split("### Time", 1)[1].split("\n\n")[1]
    return part.splitlines()[2:]


def test_a_shell_only_run_says_its_cost_and_what_it_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Agentfile").write_text(SHELL)
    assert main(["-C", str(tmp_path), "report"]) == 0
    assert "3 ran" in capsys.readouterr().out  # (the build counts the report; its summary cannot)
    rows = _time_table(tmp_path)
    assert "| tasks run before this report | 2 |" in rows, rows
    assert "| cost | $0.00 (no LLM call) |" in rows, rows


def test_a_run_with_an_llm_call_keeps_its_cost(
    tmp_path: Path, fake_agents: FakeAgents, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Agentfile").write_text(
        SHELL.replace('    run = "echo a > {output}"', '    prompt = "say a"\n    runner = claude')
    )
    assert main(["-C", str(tmp_path), "report"]) == 0, capsys.readouterr().err
    rows = _time_table(tmp_path)
    cost = next(row for row in rows if row.startswith("| cost |"))
    assert cost.startswith("| cost | $") and "no LLM call" not in cost, rows
