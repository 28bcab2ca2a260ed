"""`claude -p --output-format stream-json --verbose` prints the whole session, one message a line
(RUNNERS.md; anthropics/claude-code stream-json): ``system``/``init`` (cwd, tools, model, permission mode, key
source, version), a ``system``/``api_retry`` per retry of a failing request, for each tool used an
``assistant`` ``tool_use`` and the ``user`` ``tool_result``, the assistant's answer (an API error: a synthetic
assistant message whose ``error`` names it), and the ``result`` last. The fake claude printed only an init,
the answer and the result (a failure: the result alone); agentmake takes the answer, the cost and the tokens
from the result event alone, whatever comes before it, and `-v` shows the events as they come
(as their text: heldux29)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.runners.parse import parse_output
from agentmake.scheduler.summary import usd

STREAM = ["claude", "-p", "--output-format", "stream-json", "--verbose"]


def _claude(fake_agents: FakeAgents, cwd: Path, prompt: str, *args: str, **env: str) -> list[dict]:
    cwd.mkdir(parents=True, exist_ok=True)
    run = subprocess.run(
        [str(fake_agents.bin / "claude"), *STREAM[1:], *args],
        input=prompt,
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    events = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    assert events, run
    return events


def test_a_session_that_writes_prints_every_message(fake_agents: FakeAgents, tmp_path: Path) -> None:
    events = _claude(
        fake_agents, tmp_path, "FAKE: write=a.md,b.md answer=done\n", "--permission-mode", "acceptEdits"
    )
    kinds = [(e["type"], e.get("subtype")) for e in events]
    assert kinds == [
        ("system", "init"),
        ("assistant", None),
        ("user", None),
        ("assistant", None),
        ("user", None),
        ("assistant", None),
        ("result", "success"),
    ], kinds
    init = events[0]
    assert init["cwd"] == str(tmp_path) and init["permissionMode"] == "acceptEdits", init
    assert "Write" in init["tools"] and init["apiKeySource"] == "ANTHROPIC_API_KEY", init
    assert {e["session_id"] for e in events} == {init["session_id"]}
    assert len({e["uuid"] for e in events}) == len(events)
    use = events[1]["message"]["content"][0]
    assert (use["type"], use["name"], use["input"]["file_path"]) == (
        "tool_use",
        "Write",
        str(tmp_path / "a.md"),
    )
    told = events[2]["message"]["content"][0]
    assert told["tool_use_id"] == use["id"] and told["content"].startswith("File created successfully"), told
    assert events[5]["message"]["content"] == [{"type": "text", "text": "done"}]
    assert events[-1]["result"] == "done"


def test_a_refused_write_is_a_tool_result_error(fake_agents: FakeAgents, tmp_path: Path) -> None:
    events = _claude(fake_agents, tmp_path, "FAKE: write=a.md answer=sorry\n")
    told = events[2]["message"]["content"][0]
    assert told["is_error"] is True and "requested permissions to write to" in told["content"], told
    assert events[-1]["permission_denials"][0]["tool_input"]["file_path"] == "a.md"
    assert not (tmp_path / "a.md").exists()


def test_an_api_error_is_retried_then_said_by_a_synthetic_message(
    fake_agents: FakeAgents, tmp_path: Path
) -> None:
    events = _claude(fake_agents, tmp_path, "FAKE: fail=529\n", CLAUDE_CODE_MAX_RETRIES="2")
    kinds = [(e["type"], e.get("subtype")) for e in events]
    assert kinds == [
        ("system", "init"),
        ("system", "api_retry"),
        ("system", "api_retry"),
        ("assistant", None),
        ("result", "success"),
    ], kinds
    retry = events[1]
    assert (retry["attempt"], retry["max_retries"], retry["error_status"]) == (1, 2, 529), retry
    said = events[3]
    assert said["message"]["model"] == "<synthetic>" and said["error"] == "overloaded", said
    assert events[-1]["is_error"] is True and events[-1]["api_error_status"] == 529
    parsed = parse_output("claude-json", "\n".join(json.dumps(e) for e in events), "")
    assert parsed.is_error and parsed.status == 529 and parsed.cost_usd == 0.0, parsed


def test_not_logged_in_is_not_retried(fake_agents: FakeAgents, tmp_path: Path) -> None:
    events = _claude(fake_agents, tmp_path, "FAKE: fail=noauth\n")
    assert [e["type"] for e in events] == ["system", "assistant", "result"]
    assert events[1]["error"] == "authentication_failed"


def test_the_answer_cost_and_tokens_come_from_the_result_event() -> None:
    """Whatever the assistant messages say (a draft, their own usage), the result event is the answer."""
    session = "s-1"
    events = [
        {"type": "system", "subtype": "init", "session_id": session, "model": "m"},
        {"type": "assistant", "session_id": session,
         "message": {"content": [{"type": "text", "text": "a draft"}],
                     "usage": {"input_tokens": 999, "output_tokens": 999}}},
        {"type": "user", "session_id": session,
         "message": {"content": [{"type": "tool_result", "tool_use_id": "t",
                                  "content": '{"type": "result"}'}]}},
        {"type": "system", "subtype": "api_retry", "attempt": 1, "error_status": 529},
        {"type": "assistant", "session_id": session,
         "message": {"content": [{"type": "text", "text": "final"}]}},
        {"type": "result", "subtype": "success", "is_error": False, "result": "final", "num_turns": 3,
         "total_cost_usd": 0.0123, "session_id": session,
         "usage": {"input_tokens": 10, "cache_creation_input_tokens": 5, "cache_read_input_tokens": 1,
                   "output_tokens": 7}},
    ]  # fmt: skip
    parsed = parse_output("claude-json", "\n".join(json.dumps(e) for e in events), "")
    assert (parsed.answer, parsed.cost_usd, parsed.turns) == ("final", 0.0123, 3), parsed
    assert (parsed.tokens_in, parsed.tokens_out, parsed.is_error) == (16, 7, False), parsed


def test_a_build_streams_the_events_and_keeps_the_result_s_answer_and_cost(
    fake_agents: FakeAgents, tmp_path: Path
) -> None:
    e2e = E2E(tmp_path / "p", fake_agents)
    e2e.write(
        "Agentfile",
        'runner s:\n    base = claude\n    command = "claude -p --output-format stream-json --verbose"\n\n'
        'agent a:\n    runner = s\n    outputs = a.md\n    prompt = "FAKE: answer=the answer"\n',
    )
    run = e2e.am("-v")
    assert run.code == 0, run
    # (told as their text, the raw events kept in the log: heldux29)
    assert "[a] the answer" in run.err.splitlines() and "[a] {" not in run.err, run.err
    logged = (e2e.root / ".agentmake" / "logs" / "a.1.out").read_text().splitlines()
    kinds = [json.loads(line)["type"] for line in logged]
    assert kinds == ["system", "assistant", "result"], logged
    assert e2e.read("a.md").strip() == "the answer"
    cost = json.loads(logged[-1])["total_cost_usd"]
    assert f"[a] (cost {usd(cost)}, 1 turn, " in run.err, run.err
    assert cost > 0 and run.summary.cost is not None and abs(run.summary.cost - cost) < 1e-6, run
