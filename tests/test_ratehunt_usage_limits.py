"""A subscription's usage window spent (claude: "You've hit your limit · resets 1pm", codex: "You've hit your
usage limit ... try again in 2 hours") is a quota, not a per-minute rate limit: it fails at once, with -k the
runner's other tasks are not started, and no retry (nor a halved cap) waits minutes for a reset hours away."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.runners.classify import classify_failure
from agentmake.runners.parse import Parsed


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


AGENTFILE = """\
backoff = 0.01
jobs = 1

runner {runner}:
    retries = 3

agent a:
    runner = {runner}
    prompt = \"\"\"
        FAKE: label={{{{ name }}}} fail=usage-limit
        Say hello
        \"\"\"
    inputs = docs/{{name}}.md
    outputs = out/{{name}}.md
"""


@pytest.mark.parametrize("runner", ["claude", "codex"])
def test_usage_limit_fails_at_once_for_the_runner(e2e: E2E, runner: str) -> None:
    e2e.write("Agentfile", AGENTFILE.format(runner=runner))
    for name in ("x", "y"):
        e2e.write(f"docs/{name}.md", name)
    run = e2e.am("-k")
    assert run.code != 0
    assert "usage limit reached (You've hit your" in run.text and "it resets later" in run.text
    assert "retrying" not in run.text and "lowered" not in run.text
    assert len(e2e.calls()) == 1  # the other task is not started: it would meet the same limit


@pytest.mark.parametrize(
    "text",
    [
        "You've hit your limit · resets 1pm (Europe/Lisbon)",
        "You've hit your session limit · resets 5:10pm (Europe/Paris)",
        "You've hit your weekly limit · resets Apr 23 at 4pm (America/Recife)",
        "Claude AI usage limit reached|1766502000",
        "You've hit your usage limit. Visit https://chatgpt.com/codex/settings/usage to purchase more "
        "credits or try again at 3:28 PM.",
        "You’ve hit your limit · resets 1pm (Europe/Lisbon)",  # (a typographic apostrophe)
    ],
)
@pytest.mark.parametrize("status", [None, 429])
def test_usage_limit_messages_are_quota(text: str, status: int | None) -> None:
    parsed = Parsed(is_error=True, error=text, status=status)
    verdict = classify_failure("claude", 1, parsed, "", "")
    assert (verdict.outcome, verdict.error_type) == ("fatal", "quota"), verdict
    # (a usage window resets by itself: no plan or billing to check, as a spent credit balance has)
    assert "it resets later" in verdict.message and "billing" not in verdict.message, verdict


def test_a_spent_credit_balance_is_still_told_to_check_the_billing() -> None:
    parsed = Parsed(is_error=True, error="Your credit balance is too low", status=400)
    verdict = classify_failure("claude", 1, parsed, "", "")
    assert verdict.error_type == "quota" and "check your plan and billing" in verdict.message, verdict


def test_per_minute_rate_limit_stays_a_rate_limit() -> None:
    text = 'API Error: Request rejected (429) · {"type":"rate_limit_error","message":"Rate limited"}'
    verdict = classify_failure("claude", 1, Parsed(is_error=True, error=text, status=429), "", "")
    assert (verdict.outcome, verdict.error_type) == ("retry", "rate-limit")
