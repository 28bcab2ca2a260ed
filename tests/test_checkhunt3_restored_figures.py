"""`status` of a result restored from the cache: it said 0.0s and no cost, as if the result had taken
nothing; it shows what the result took and cost when it was made (the cache entry keeps those figures) and
says it was restored. The build that restored it spent nothing, and its own summary says so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENT = """\
agent t:
    inputs = src.md
    outputs = out.md
    prompt = \"\"\"
        FAKE: label=t
        {{ read(input) }}
        \"\"\"
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def row(e2e: E2E) -> dict:
    (found,) = json.loads(e2e.am("status", "--json").out)
    return found


def test_status_of_a_restored_result_shows_what_it_took_when_made(e2e: E2E) -> None:
    e2e.write("Agentfile", AGENT)
    e2e.write("src.md", "FAKE: sleep=0.5\nhello\n")
    assert e2e.am().code == 0
    made = row(e2e)
    assert made["last_duration"] >= 0.5 and made["last_cost"], made
    assert made["restored"] is False, made
    e2e.write("src.md", "bye\n")
    assert e2e.am().code == 0
    e2e.write("src.md", "FAKE: sleep=0.5\nhello\n")  # (back: the first result comes from the cache)
    third = e2e.am()
    assert third.code == 0 and third.summary.cached == 1 and len(e2e.calls("t")) == 2, third
    assert third.summary.cost is None, third  # (this build spent nothing)
    kept = row(e2e)
    assert kept["state"] == "up to date", kept
    for key in ("last_duration", "last_cost", "last_tokens_in", "last_tokens_out"):
        assert kept[key] == made[key], (key, made, kept)
    assert kept["restored"] is True, kept
    text = e2e.am("status").out.splitlines()
    assert "0.0s" not in text[0] and "$" in text[0], text
    assert text[1] == "    - restored from the cache: what it took and cost when it was made", text


def test_outputs_that_already_hold_a_cached_result_keep_what_it_took(e2e: E2E) -> None:
    e2e.write("Agentfile", AGENT)
    e2e.write("src.md", "FAKE: sleep=0.5\nhello\n")
    assert e2e.am().code == 0
    made = row(e2e)
    first = e2e.read("out.md")
    e2e.write("src.md", "bye\n")
    assert e2e.am().code == 0
    # the input back, and the output as the first build made it (by hand): nothing to restore or run
    e2e.write("src.md", "FAKE: sleep=0.5\nhello\n")
    e2e.write("out.md", first)
    third = e2e.am()
    assert third.code == 0 and third.summary.up_to_date == 1 and len(e2e.calls("t")) == 2, third
    kept = row(e2e)
    for key in ("last_duration", "last_cost", "last_tokens_in", "last_tokens_out"):
        assert kept[key] == made[key], (key, made, kept)
    assert kept["restored"] is False, kept  # (found in place: nothing was restored)
