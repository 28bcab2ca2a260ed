"""What a build that ended (not killed) recorded of a tokens-only runner's attempts (codex, gemini, llm: their
JSON says tokens, no dollars) is reported: the next build that finds those attempts' logs (an answer that
failed its check, salvaged again and rejected; one made for inputs edited since) does not record them as
found spend (`scheduler.earlier.record_found`) and say them again as "what a killed agentmake spent". Its
history row says its tokens, and `Journal.spend_reported` counts a row that says tokens, not only dollars.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E, Run

CHECKED = '''\
agent bad:
    runner = codex
    retries = 0
    inputs = docs/a.md
    outputs = build/bad.md
    check = "test -e {flag}"
    prompt = """
        FAKE: label=bad
        Translate: {{{{ read(input) }}}}
        """
'''


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def _tokens(run: Run) -> tuple[int, int]:
    found = re.search(r"^agentmake: .*, ([\d,]+) tokens in / ([\d,]+) out$", run.out, re.M)
    assert found, run
    return int(found[1].replace(",", "")), int(found[2].replace(",", ""))


@pytest.mark.parametrize("how", ["again", "edited"])
def test_a_tokens_only_answer_a_finished_build_reported_is_not_found_again(
    tmp_path: Path, e2e: E2E, how: str
) -> None:
    e2e.write("Agentfile", CHECKED.format(flag=tmp_path / "answers-pass"))  # (the check always fails)
    e2e.write("docs/a.md", "one\n")
    first = e2e.am("-j1")
    assert first.code == 1 and "check failed" in first.text, first
    if how == "edited":
        e2e.write("docs/a.md", "one, edited\n")
    e2e.reset_calls()
    second = e2e.am("-j1")  # (the first's answer: salvaged and rejected again, or made for another key)
    assert second.code == 1 and e2e.calls() == ["bad"], second
    assert "killed agentmake" not in second.text, second
    if how == "again":  # (the same prompt, the same answer: the same tokens, its own call's only)
        assert _tokens(second) == _tokens(first), (first, second)


ANSWERS = '''\
agent bad:
    runner = codex
    inputs = docs/a.md
    outputs = build/bad.md
    prompt = """
        FAKE: label=bad linger=60
        Translate: {{ read(input) }}
        """
'''


def test_a_tokens_only_answer_a_killed_build_paid_for_is_said_by_the_build_that_salvages_it(e2e: E2E) -> None:
    """A codex answer a killed build paid for (tokens, no price) and the next build salvages: its tokens are
    on that build's summary line, once (before: never, as a salvaged answer counted only with dollars)."""
    from test_faults22_found_spend import _paid_then_killed

    e2e.write("Agentfile", ANSWERS)
    e2e.write("docs/a.md", "one\n")
    _paid_then_killed(e2e)
    log = (e2e.root / ".agentmake" / "logs" / "bad.1.out").read_text().splitlines()
    usage = json.loads(log[-1])["usage"]  # (codex's `turn.completed`: what the killed build's call used)
    used = (usage["input_tokens"], usage["output_tokens"])
    e2e.reset_calls()
    run = e2e.am("-j1")
    assert run.code == 0 and run.summary.cached == 1 and e2e.calls() == [], run
    assert _tokens(run) == used, run
    again = e2e.am("-j1")
    assert again.code == 0 and again.summary.up_to_date == 1 and "tokens" not in again.out, again
