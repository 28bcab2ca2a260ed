"""A JSON-format CLI that fails printing one huge line that is no JSON (a proxy's error page on one line, a
dump): its first line is the attempt's error, and the failure's classification searched every character of
it with a dozen patterns, about 3 s a megabyte, on a worker thread that a Ctrl-C then waited for (a gigabyte
kept agentmake busy, deaf to SIGTERM, for most of an hour). Only its start is searched now, as only the ends
of stdout and stderr were."""

from __future__ import annotations

import pytest

from agentmake.runners.classify import classify_failure
from agentmake.runners.parse import parse_claude_json


@pytest.mark.timeout(10)  # (the search took a minute here; it takes milliseconds now)
def test_a_huge_line_a_json_cli_failed_with_is_classified_at_once() -> None:
    stdout = "<html> 429 Too Many Requests " + "x" * 50_000_000 + "\n"
    parsed = parse_claude_json(stdout, "")
    assert parsed.is_error
    verdict = classify_failure("claude", 1, parsed, "", "")
    assert verdict.error_type == "rate-limit", verdict  # (what it says at its start still counts)
    assert len(verdict.message) < 400
