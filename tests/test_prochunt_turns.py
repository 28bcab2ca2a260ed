"""A run the CLI cut short is no success, and one that hit the runner's own limit is not paid for again.

claude's `error_max_turns` result (shared/RUNNERS.md) was retried: the same prompt with the same `--max-turns`
stops at the same wall, and every attempt is paid for. It fails at once now, saying to raise the limit
(`error_max_budget_usd` alike); so does gemini's exit 53, past its settings' `model.maxSessionTurns`, which it
retried as well. codex exiting 0 without the `turn.completed` event that ends a finished turn
in `--json` output had its last agent message taken as the answer: a turn cut short passed for a success."""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import FakeAgents, RunnerProject
from e2e_helpers import E2E

from agentmake.runners.parse import parse_output
from agentmake.runners.presets import PRESETS


def test_claude_at_its_turn_limit_fails_at_once_saying_to_raise_it(project: RunnerProject) -> None:
    cmd = (*PRESETS["claude"].command, "--max-turns", "3")
    project.runners["claude"] = replace(PRESETS["claude"], command=cmd)
    res = project.run(project.agent("a", runner="claude"), "q\nFAKE: stopped=error_max_turns")
    assert (res.outcome, res.error_type) == ("fatal", "usage"), res.message
    assert "Reached max turns (3)" in res.message and "--max-turns" in res.message, res.message
    assert res.cost_usd is not None and res.cost_usd > 0  # (the turns it took are paid for, and counted)


def test_claude_at_its_budget_limit_fails_at_once_saying_to_raise_it(project: RunnerProject) -> None:
    res = project.run(project.agent("a", runner="claude"), "q\nFAKE: stopped=error_max_budget_usd")
    assert (res.outcome, res.error_type) == ("fatal", "usage"), res.message
    assert "--max-budget-usd" in res.message, res.message


@pytest.mark.parametrize("mode", ["json", "stream-json", "text"])
def test_fake_gemini_at_its_turn_limit_exits_53_with_its_message(
    fake_agents: FakeAgents, tmp_path: Path, mode: str
) -> None:
    r = subprocess.run(
        [str(fake_agents.bin / "gemini"), "-o", mode, "--skip-trust"],
        input="q\nFAKE: stopped=error_max_turns", capture_output=True, text=True, cwd=tmp_path,
        env=fake_agents.env(), timeout=60,
    )  # fmt: skip
    assert r.returncode == 53, r
    said = "Reached max session turns for this session. Increase the number of turns by specifying"
    assert said in (r.stdout if mode == "stream-json" else r.stderr), r
    if mode == "json":
        assert json.loads(r.stderr)["error"]["code"] == 53


@pytest.mark.parametrize("mode", ["json", "stream-json", "text"])
def test_gemini_at_its_turn_limit_fails_at_once_saying_to_raise_it(project: RunnerProject, mode: str) -> None:
    cmd = ("gemini", "-o", mode) if mode != "text" else ("gemini",)
    fmt = {"json": "gemini-json", "stream-json": "gemini-json", "text": "text"}[mode]
    project.runners["gemini"] = replace(PRESETS["gemini"], command=cmd, format=fmt)
    res = project.run(project.agent("a", runner="gemini"), "q\nFAKE: stopped=error_max_turns")
    assert (res.outcome, res.error_type, res.exit_code) == ("fatal", "usage", 53), res.message
    assert "Reached max session turns" in res.message, res.message
    assert "raise model.maxSessionTurns in gemini's settings.json" in res.message, res.message


def test_gemini_at_its_turn_limit_is_called_once_whatever_the_retries(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e = E2E(tmp_path / "p", fake_agents)
    e.write("Agentfile", """
        backoff = 0
        agent a:
            runner = gemini
            retries = 3
            outputs = out.md
            prompt = "FAKE: label=a stopped=error_max_turns"
        """)  # fmt: skip
    run = e.am()
    assert run.code == 1 and len(e.calls("a")) == 1, run
    assert "maxSessionTurns" in run.out + run.err, run


def test_claude_s_turn_limit_with_token_counts_reading_401_is_no_auth_failure() -> None:
    obj = {"type": "result", "subtype": "error_max_turns", "is_error": True, "result": "",
           "usage": {"input_tokens": 401, "output_tokens": 7}}  # fmt: skip
    parsed = parse_output("claude-json", json.dumps(obj), "")
    assert parsed.is_error and parsed.stopped == "error_max_turns"


def test_codex_exiting_0_without_turn_completed_is_no_success(project: RunnerProject) -> None:
    res = project.run(project.agent("a", runner="codex"), "q\nFAKE: cut-short answer=half of it")
    assert res.outcome == "retry" and not res.staged, res
    assert "turn.completed" in res.message, res.message
    assert not list(project.root.glob(".out*agentmake-tmp*"))


def test_codex_jsonl_without_turn_completed_is_an_error_and_with_it_an_answer() -> None:
    message = {"type": "item.completed", "item": {"type": "agent_message", "text": "x"}}
    events = [{"type": "turn.started"}, message]
    cut = "\n".join(json.dumps(e) for e in events)
    parsed = parse_output("codex-jsonl", cut, "")
    assert parsed.is_error and parsed.answer is None and "turn.completed" in (parsed.error or "")
    usage = {"input_tokens": 3, "output_tokens": 1}
    done = cut + "\n" + json.dumps({"type": "turn.completed", "usage": usage})
    parsed = parse_output("codex-jsonl", done, "")
    assert not parsed.is_error and parsed.answer == "x" and parsed.tokens_in == 3


def test_a_turn_limit_whose_token_counts_read_401_is_the_turn_limit(
    project: RunnerProject, tmp_path: Path
) -> None:
    obj = {"type": "result", "subtype": "error_max_turns", "is_error": True, "result": "",
           "usage": {"input_tokens": 401, "output_tokens": 403},
           "errors": ["Reached max turns (2)"]}  # fmt: skip
    stub = tmp_path / "stub"
    stub.write_text(f"#!/bin/sh\ncat >/dev/null\necho '{json.dumps(obj)}'\nexit 1\n")
    stub.chmod(0o755)
    project.runners["claude"] = replace(PRESETS["claude"], command=(str(stub),))
    res = project.run(project.agent("a", runner="claude"), "q")
    assert (res.outcome, res.error_type) == ("fatal", "usage") and "--max-turns" in res.message, res.message
