"""A rate limit that says when to come back ("Please retry in 25.3s", OpenAI's "Please try again in 20s")
is not retried sooner: every earlier retry is rejected again, and the retries run out while the provider's
own wait is still running."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.runners.classify import classify_failure, retry_hint
from agentmake.runners.parse import Parsed


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def test_retry_waits_as_long_as_the_rate_limit_says(e2e: E2E) -> None:
    e2e.write(
        "Agentfile",
        """\
        backoff = 0.01

        agent a:
            runner = gemini
            prompt = \"\"\"
                FAKE: label=a fail=429-hint times=1
                Say hello
                \"\"\"
            outputs = out/a.md
        """,
    )
    run = e2e.am("a")
    assert run.code == 0, run
    assert "next in 1.5s" in run.text, run
    assert e2e.calls("a") == ["a", "a"]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("Please retry in 25.308s.", 25.308),
        ("Rate limit reached for gpt-4o on tokens per min (TPM). Please try again in 20s.", 20.0),
        ("Please try again in 640ms.", 0.64),
        ("Please try again in 1m30s.", 90.0),
        ('"retryDelay": "41s"', 41.0),
        ("Please try again later.", None),
    ],
)
def test_retry_hints(text: str, seconds: float | None) -> None:
    assert retry_hint(text) == seconds


def test_rate_limit_verdict_carries_the_hint() -> None:
    parsed = Parsed(is_error=True, error="[API Error: Resource exhausted]\nPlease retry in 3s.", status=429)
    verdict = classify_failure("gemini", 173, parsed, "", "")
    assert (verdict.error_type, verdict.retry_after) == ("rate-limit", 3.0)
