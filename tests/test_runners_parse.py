"""Output parsers and the retry/fatal classifier on real-shaped text (no processes)."""

from __future__ import annotations

import json

import pytest

from agentmake.runners.classify import classify_failure, gemini_status
from agentmake.runners.parse import Parsed, json_values, parse_output


def test_json_values_finds_pretty_and_line_json() -> None:
    text = 'noise\n{\n  "a": 1\n}\n{"b": 2}\nnot {json}\n[1, 2]\n'
    assert list(json_values(text)) == [{"a": 1}, {"b": 2}, [1, 2]]


def test_claude_result_error_subtype_and_usage() -> None:
    usage = {"input_tokens": 10, "cache_read_input_tokens": 5, "output_tokens": 3}
    obj = {
        "type": "result",
        "subtype": "error_max_turns",
        "result": "",
        "total_cost_usd": 0.5,
        "usage": usage,
    }
    p = parse_output("claude-json", json.dumps(obj), "")
    assert p.is_error and "error_max_turns" in (p.error or "")
    assert (p.cost_usd, p.tokens_in, p.tokens_out) == (0.5, 15, 3)


def test_claude_without_result_object_is_an_error() -> None:
    p = parse_output("claude-json", "Error: something broke\n", "")
    assert p.is_error and p.error == "Error: something broke"


def test_codex_takes_last_usage_and_last_message() -> None:
    # (turn.completed's usage is the thread's running total: the last one is what the exec spent)
    events = [
        {"type": "item.completed", "item": {"type": "agent_message", "text": "first"}},
        {"type": "turn.completed", "usage": {"input_tokens": 4, "output_tokens": 1}},
        {"type": "item.completed", "item": {"type": "agent_message", "text": "second"}},
        {"type": "turn.completed", "usage": {"input_tokens": 6, "output_tokens": 2}},
    ]
    p = parse_output("codex-jsonl", "\n".join(json.dumps(e) for e in events), "")
    assert (p.answer, p.tokens_in, p.tokens_out, p.is_error) == ("second", 6, 2, False)


def test_gemini_error_on_stderr_wins() -> None:
    err = 'Loaded cached credentials.\n{\n  "error": {"type": "Error", "message": "boom", "code": 503}\n}\n'
    p = parse_output("gemini-json", "", err)
    assert (p.is_error, p.error, p.status) == (True, "boom", 503)


def test_gemini_status_from_exit_code() -> None:
    assert (gemini_status(173), gemini_status(247), gemini_status(144), gemini_status(41)) == (
        429,
        503,
        400,
        None,
    )


@pytest.mark.parametrize(
    ("preset", "exit_code", "text", "expected"),
    [
        ("claude", 1, "API Error: Request rejected (429) · rate limited", ("retry", "rate-limit")),
        ("claude", 1, "API Error: 529 Overloaded", ("retry", "overloaded")),
        ("claude", 1, "Invalid API key · Fix external API key", ("fatal", "auth")),
        ("claude", 1, "Not logged in · Please run /login", ("fatal", "auth")),
        ("codex", 1, "Quota exceeded. Check your plan and billing details.", ("fatal", "quota")),
        ("codex", 1, "Reconnecting... waiting for network", ("retry", "exit")),
        ("codex", 1, "error: database is locked", ("retry", "exit")),
        ("codex", 2, "error: unexpected argument", ("fatal", "usage")),
        ("gemini", 41, "Please set an Auth method", ("fatal", "auth")),
        ("gemini", 52, "bad settings", ("fatal", "usage")),
        ("gemini", 173, "", ("retry", "rate-limit")),
        ("gemini", 1, "API_KEY_INVALID", ("fatal", "auth")),
        ("gemini", 1, "Quota exceeded for quota metric requests per minute", ("retry", "rate-limit")),
        ("llm", 1, "Error: Error code: 429 - {'code': 'insufficient_quota'}", ("fatal", "quota")),
        # the same request refused every time: not retried (a retry costs the same wait, for nothing)
        ("llm", 1, "Error: 'Unknown model: x'", ("fatal", "usage")),
        ("gemini", 144, "", ("fatal", "usage")),  # json mode: HTTP 400 exits 144
        (
            "codex",
            1,
            "Not inside a trusted directory and --skip-git-repo-check was not specified.",
            ("fatal", "usage"),
        ),
        (
            "claude",
            1,
            'API Error: 404 {"type":"error","error":{"type":"not_found_error","message":"model: claude-x"}}',
            ("fatal", "usage"),
        ),
        (
            "ollama",
            1,
            "Error: 503 Service Unavailable: server busy, please try again",
            ("retry", "overloaded"),
        ),
        ("shell", 1, "HTTP 401 from curl", ("retry", "exit")),
        # the rest of RUNNERS.md's lists
        ("gemini", 1, "The model is experiencing high demand", ("retry", "rate-limit")),
        ("gemini", 42, "No input provided via stdin.", ("fatal", "usage")),
        ("gemini", 55, "not running in a trusted directory", ("fatal", "usage")),
        (
            "claude",
            1,
            'API Error: 403 {"type":"error","error":{"type":"permission_error"}}',
            ("fatal", "auth"),
        ),
        ("claude", 1, "Credit balance is too low", ("fatal", "quota")),
        ("codex", 1, "Your account has a billing issue", ("fatal", "quota")),
        ("llm", 1, "Error: No key found - add one using 'llm keys set openai'", ("fatal", "auth")),
        ("ollama", 1, "Error: could not connect to ollama server, run 'ollama serve'", ("retry", "exit")),
        ("claude", 1, "error: unknown option '--x'", ("fatal", "usage")),
        ("llm", 2, "Error: No such option: --x", ("fatal", "usage")),
    ],
)
def test_classification_table(preset: str, exit_code: int, text: str, expected: tuple[str, str]) -> None:
    v = classify_failure(preset, exit_code, Parsed(), "", text)
    assert (v.outcome, v.error_type) == expected
    assert "\n" not in v.message and v.message


def test_gemini_thinking_tokens_count_as_output() -> None:
    # gemini bills its thoughts as output tokens: a count without them understates what a call cost
    tokens = {"input": 12, "prompt": 12, "candidates": 50, "total": 1862, "cached": 0, "thoughts": 1800}
    out = json.dumps({"response": "hi", "stats": {"models": {"gemini-2.5-pro": {"tokens": tokens}}}})
    parsed = parse_output("gemini-json", out, "")
    assert (parsed.answer, parsed.tokens_in, parsed.tokens_out) == ("hi", 12, 1850)


def test_gemini_input_tokens_count_cached_ones_too() -> None:
    # gemini's stats: `prompt` is every input token, `input` only the uncached ones (prompt - cached); a
    # version that prints only {input, cached, ...} (as RUNNERS.md lists) must not lose the cached part
    both = {"input": 40, "prompt": 100, "candidates": 5, "total": 105, "cached": 60, "thoughts": 0}
    only = {k: v for k, v in both.items() if k != "prompt"}
    for tokens in (both, only):
        out = json.dumps({"response": "hi", "stats": {"models": {"gemini-2.5-pro": {"tokens": tokens}}}})
        assert parse_output("gemini-json", out, "").tokens_in == 100, tokens


def test_text_tokens_reads_ollama_verbose_and_llm_usage_lines() -> None:
    from agentmake.runners.parse import parse_output, text_tokens

    ollama = (  # `ollama run --verbose`, as ollama's api.Metrics.Summary prints it on stderr
        "total duration:       753.50525ms\nload duration:        1.031375ms\n"
        "prompt eval count:    36 token(s)\nprompt eval duration: 75.311ms\n"
        "prompt eval rate:     212.45 tokens/s\neval count:           34 token(s)\n"
        "eval duration:        674.9ms\neval rate:            50.38 tokens/s\n"
    )
    assert text_tokens(ollama) == (36, 34)
    assert text_tokens("total duration: 1s\neval count:           34 token(s)\n") == (0, 34)  # 0 is left out
    assert text_tokens("Token usage: 1,204 input, 56 output\n") == (1204, 56)
    assert text_tokens("\x1b[33m\x1b[1mToken usage: 12 output\x1b[0m\n") == (None, 12)  # (coloured, on a tty)
    assert text_tokens('Token usage: 10 input, 3 output, {"cached_tokens": 2}\n') == (10, 3)
    assert text_tokens("warning: eval count: many\nToken usage is high\n") == (None, None)
    parsed = parse_output("text", "the answer\n", "x" * 100_000 + "\n" + ollama)  # a long stderr: its tail
    assert (parsed.answer, parsed.tokens_in, parsed.tokens_out) == ("the answer\n", 36, 34)


def test_a_line_nested_beyond_the_recursion_limit_is_passed_over_and_the_answer_kept() -> None:
    # (review29b: a CLI line of JSON nested deeper than Python's recursion limit raised RecursionError out of
    # the parser: the task failed with "internal error" and the answer beside it, paid for, was thrown away)
    deep = "[" * 100_000 + "]" * 100_000
    result = {"type": "result", "subtype": "success", "result": "the answer", "total_cost_usd": 0.01}
    stdout = f"{deep}\n{json.dumps(result)}\n"
    assert list(json_values(stdout)) == [result]
    p = parse_output("claude-json", stdout, "")
    assert (p.is_error, p.answer, p.cost_usd) == (False, "the answer", 0.01)
