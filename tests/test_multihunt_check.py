"""`check = json` and check commands on what an attempt made: what passes is JSON any consumer reads."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from conftest import RunnerProject

from agentmake.model import Check
from agentmake.runners.check import run_check


def json_check(project: RunnerProject, text: str) -> str | None:
    task = project.agent("j", outputs=("o.json",), check=Check("json"))
    out = project.root / "o.json"
    out.write_text(text, encoding="utf-8")
    return run_check(
        Check("json"), task, {"o.json": out}, root=project.root, log_stem=project.root / "c",
        timeout=None, cancel=threading.Event(),
    )  # fmt: skip


@pytest.mark.parametrize("text", ['{"a": NaN}', "[Infinity]", "-Infinity", '{"a": [1, -Infinity]}'])
def test_check_json_rejects_what_python_alone_accepts(project: RunnerProject, text: str) -> None:
    # NaN and Infinity are not JSON (RFC 8259): jq, JSON.parse and most parsers refuse them
    problem = json_check(project, text)
    assert problem is not None and "o.json is not valid JSON" in problem, problem


@pytest.mark.parametrize("text", ['{"a": 1.5e300}', '["NaN", "Infinity"]', "null", ' {"a": -0}\n'])
def test_check_json_still_accepts_json(project: RunnerProject, text: str) -> None:
    assert json_check(project, text) is None


def test_the_outputs_in_place_are_checked_alike(tmp_path: Path) -> None:
    from agentmake.graph import Task
    from agentmake.model import Agentfile, AgentSpec, Prompt, Settings
    from agentmake.runners.check import check_in_place

    (tmp_path / "o.json").write_text('{"a": NaN}')
    spec = AgentSpec(name="j", inputs=(), outputs=("o.json",), prompt=Prompt(text="x"), check=Check("json"))
    agentfile = Agentfile(
        path=tmp_path / "Agentfile", root=tmp_path, settings=Settings(), variables={}, runners={},
        agents={"j": spec}, reports={},
    )  # fmt: skip
    problem = check_in_place(agentfile)(Task("j", "j", "agent", (), ("o.json",), spec, ()))
    assert problem is not None and "not valid JSON" in problem


@pytest.mark.parametrize(
    ("check", "said"),
    [("jsonlintt {output}", "not found"), ("./not-executable {output}", "Permission denied")],
)
def test_a_check_command_that_cannot_run_fails_the_task_without_another_call(
    project: RunnerProject, fake_agents, check: str, said: str
) -> None:  # type: ignore[no-untyped-def]
    # exit 127/126: the check cannot run, so every retry would pay for a call whose answer it cannot judge
    (project.root / "not-executable").write_text("#!/bin/sh\nexit 0\n")
    res = project.run(project.agent("a", check=Check("command", check)), "hello")
    assert res.outcome == "fatal", res.message
    assert "check cannot run" in res.message and said in res.message
    assert [e for e, *_ in fake_agents.log_lines() if e == "start"] == ["start"]


def test_a_changed_check_that_cannot_run_calls_no_agent(project: RunnerProject, fake_agents) -> None:  # type: ignore[no-untyped-def]
    from agentmake.plan import Decision

    (project.root / "out.md").write_text("made before\n")
    task = project.agent("a", check=Check("command", "jsonlintt {output}"))
    decision = Decision("a", "run", prompt="hello", recheck={"out.md": "x"})
    res = project.executor().execute(task, decision, 1, threading.Event())
    assert res.outcome == "fatal" and "check cannot run" in res.message, res.message
    assert fake_agents.log_lines() == []
    assert (project.root / "out.md").read_text() == "made before\n"
