"""`agentmake check` with the agents' CLIs missing from PATH: its summary line said `— ok` (the warnings
naming each runner went to stderr, out of sight of `2>/dev/null` or a CI log's summary). It now ends
`— not buildable here: PROGRAMS not found`, the warnings still name each runner and the agents that use it,
and the exit code stays 0 (`project.check_report`: a lint where the build may not run)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents

from agentmake.cli import main

AGENTFILE = """\
agent a:
    outputs = a.md
    prompt = "say a"
    runner = claude
agent b:
    outputs = b.md
    prompt = "say b"
    runner = codex
agent c:
    outputs = c.md
    prompt = "say c"
    runner = claude
agent s:
    outputs = s.md
    run = "echo s > {output}"
"""


def test_check_says_not_buildable_when_runner_programs_are_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Agentfile").write_text(AGENTFILE)
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert main(["-C", str(tmp_path), "check"]) == 0
    out, err = capsys.readouterr()
    said = "Agentfile: 4 agents (4 tasks), 0 reports, 3 of 8 runners in use"
    said += " — not buildable here: claude, codex not found"
    assert out == said + "\n"
    assert "runner claude: claude is not found on PATH, and every task of a, c would fail" in err
    assert "runner codex: codex is not found on PATH, and every task of b would fail" in err


def test_check_says_ok_when_the_runner_programs_are_there(
    tmp_path: Path, fake_agents: FakeAgents, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Agentfile").write_text(AGENTFILE)
    assert main(["-C", str(tmp_path), "check"]) == 0
    out, err = capsys.readouterr()
    assert out == "Agentfile: 4 agents (4 tasks), 0 reports, 3 of 8 runners in use — ok\n"
    assert "not found" not in err


def test_a_missing_program_used_by_many_agents_names_three_and_counts_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # (the 5,000-agent Agentfile of benchmarks/bench_parse.py printed one line naming all 5,000 agents)
    agents = "".join(f'agent step{i}:\n    outputs = s{i}.md\n    prompt = "say {i}"\n' for i in range(1200))
    (tmp_path / "Agentfile").write_text('runner = "claude"\n' + agents)
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert main(["-C", str(tmp_path), "check"]) == 0
    err = capsys.readouterr().err
    said = "claude is not found on PATH, and every task of step0, step1, step2 and 1,197 more would fail"
    assert said in err
    assert "step3," not in err and len(max(err.splitlines(), key=len)) < 200
