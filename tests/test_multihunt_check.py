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
