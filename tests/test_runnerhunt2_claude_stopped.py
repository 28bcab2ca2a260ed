"""claude's error results (`subtype` error_max_turns, error_during_execution, error_max_budget_usd, …) carry
no `result`: what went wrong is in their `errors` list (the Agent SDK's SDKResultMessage). It was left unread,
so every such failure was told as 'claude stopped: error_during_execution', whatever the cause, and an API
error reported there was never classified (shared/RUNNERS.md)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from conftest import FakeAgents, RunnerProject

from agentmake.runners.parse import parse_output


def test_fake_claude_stops_with_an_error_subtype_and_its_errors(
    fake_agents: FakeAgents, tmp_path: Path
) -> None:
    r = subprocess.run(
        [str(fake_agents.bin / "claude"), "-p", "--output-format", "json", "--max-turns", "3"],
        input="q\nFAKE: stopped=error_max_turns", capture_output=True, text=True, cwd=tmp_path,
        env=fake_agents.env(), timeout=60,
    )  # fmt: skip
    assert r.returncode == 1
    obj = json.loads(r.stdout)
    assert (obj["type"], obj["subtype"], obj["is_error"]) == ("result", "error_max_turns", True)
    assert "result" not in obj and obj["errors"] == ["Reached max turns (3)"]
    assert obj["total_cost_usd"] > 0  # (the turns it took are paid for)


def test_the_errors_of_a_stopped_claude_are_its_message(project: RunnerProject) -> None:
    task = project.agent("a", runner="claude")
    res = project.run(task, "q\nFAKE: stopped=error_max_turns")
    assert res.outcome == "fatal" and "error_max_turns" in res.message, res.message  # (test_prochunt_turns)
    assert "Reached max turns" in res.message, res.message
    assert res.cost_usd is not None and res.cost_usd > 0
    res = project.run(task, "q\nFAKE: stopped=error_during_execution answer=Tool crashed: spawn ENOMEM")
    assert "Tool crashed: spawn ENOMEM" in res.message, res.message


def test_an_api_error_in_a_stopped_claude_s_errors_is_classified(project: RunnerProject) -> None:
    task = project.agent("a", runner="claude")
    res = project.run(task, "q\nFAKE: stopped=error_during_execution answer=Credit balance is too low")
    assert (res.outcome, res.error_type) == ("fatal", "quota"), res.message
    res = project.run(task, "q\nFAKE: stopped=error_during_execution answer=API Error: 529 Overloaded")
    assert (res.outcome, res.error_type) == ("retry", "overloaded"), res.message


def test_every_error_of_the_list_is_told() -> None:
    obj = {"type": "result", "subtype": "error_during_execution", "is_error": True,
           "errors": ["tool crashed", "stream lost"], "total_cost_usd": 0.01}  # fmt: skip
    parsed = parse_output("claude-json", json.dumps(obj), "")
    assert parsed.is_error and parsed.answer is None
    assert parsed.error == "claude stopped (error_during_execution): tool crashed; stream lost"
