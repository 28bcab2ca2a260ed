"""A gemini runner told `-o stream-json` (JSONL events, the answer in assistant message deltas, a `result`
event last): its answer is read from the events, not taken for a failure retried (and paid for) again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.runners.classify import classify_failure
from agentmake.runners.parse import delivered, parse_output


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


STREAM_RUNNER = """\
backoff = 0.01

runner g:
    base = gemini
    command = "gemini -o stream-json"
    retries = 2

agent a:
    runner = g
    prompt = \"\"\"
        FAKE: label=a{extra}
        Say hello
        \"\"\"
    outputs = out/a.md
"""


def test_stream_json_answer_is_the_output_in_one_call(e2e: E2E) -> None:
    e2e.write("Agentfile", STREAM_RUNNER.format(extra=""))
    run = e2e.am("a")
    assert run.code == 0, run
    assert e2e.read("out/a.md").strip() == "ANSWER:\nSay hello"  # the answer, not the JSONL events
    assert e2e.calls("a") == ["a"]  # no retry of an answer taken for a failure
    assert "tokens in" in run.text  # the result event's stats


def test_stream_json_rate_limit_is_told_and_retried(e2e: E2E) -> None:
    e2e.write("Agentfile", STREAM_RUNNER.format(extra=" fail=429 times=1"))
    run = e2e.am("a")
    assert run.code == 0, run
    assert "rate limited: [API Error: Resource exhausted" in run.text
    assert e2e.calls("a") == ["a", "a"]


def _events(*events: dict[str, object]) -> str:
    return "\n".join(json.dumps(e) for e in events) + "\n"


def test_stream_json_parse_error_result_and_cut_short_stream() -> None:
    start = {"type": "init", "session_id": "s", "model": "m"}
    error = {"type": "result", "status": "error", "error": {"type": "Error", "message": "Quota exceeded"}}
    parsed = parse_output("gemini-json", _events(start, error), "")
    assert parsed.is_error and parsed.error == "Quota exceeded"
    verdict = classify_failure("gemini", 1, parsed, "", "")
    assert (verdict.outcome, verdict.error_type) == ("fatal", "quota")
    # killed mid-answer: no result event, so neither an answer nor delivered
    cut = _events(start, {"type": "message", "role": "assistant", "content": "half", "delta": True})
    assert parse_output("gemini-json", cut, "").is_error
    assert delivered("gemini-json", cut, "") is None
    done = cut + _events({"type": "result", "status": "success", "stats": {"input_tokens": 7}})
    found = delivered("gemini-json", done, "")
    assert found is not None and found.answer == "half" and found.tokens_in == 7
