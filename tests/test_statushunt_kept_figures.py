"""What `status` says a result took and cost after a build that spent nothing on it: a check-only change the
outputs in place pass. `status` (and `--json`) describe the result in place: what it took and cost when it
was paid for, not 0.0s and nothing; the build's own summary (its line, status.md) counts only what it spent.
Real CLI runs, the fake claude (which reports a cost), which takes 0.15 s: a call shown as 0.0s would be
one under 0.05 s, which a quiet machine made (Python 3.10.13, 2913303), not the figure lost."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENT = """\
agent t:
    inputs = src.md
    outputs = out.json
    check = json
    prompt = \"\"\"
        FAKE: label=t answer={"ok": 1}
        FAKE: sleep=0.15
        {{ read(input) }}
        \"\"\"
"""

REPORT = """
report rep:
    inputs = out.json
    output = REP.md
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def row(e2e: E2E) -> dict:
    (found,) = json.loads(e2e.am("status", "--json").out)
    return found


def test_a_result_whose_new_check_it_passes_keeps_what_it_took_and_cost(e2e: E2E) -> None:
    e2e.write("Agentfile", AGENT)
    e2e.write("src.md", "hello\n")
    first = e2e.am()
    assert first.code == 0 and first.summary.cost is not None, first
    made = row(e2e)
    assert made["last_cost"] and made["last_duration"] > 0, made
    e2e.write("Agentfile", AGENT.replace("check = json", 'check = "test -s {output}"'))
    second = e2e.am()
    assert second.code == 0 and second.states["t"] == "up-to-date" and not e2e.calls("t")[1:], second
    assert second.summary.cost is None, second  # (this build spent nothing)
    assert re.search(r"^\| t \| up to date \| [\d.]+s \| \d+ \|  \|", e2e.read(".agentmake/status.md"), re.M)
    kept = row(e2e)
    assert kept["state"] == "up to date", kept
    for key in ("last_duration", "last_cost", "last_tokens_in", "last_tokens_out"):
        assert kept[key] == made[key], (key, made, kept)
    text = e2e.am("status").out
    assert "0.0s" not in text.splitlines()[0] and "$" in text.splitlines()[0], text
    # a later report's row for it says the same: the result in place, its cost when it was paid for
    e2e.write("Agentfile", AGENT.replace("check = json", 'check = "test -s {output}"') + REPORT)
    third = e2e.am()
    assert third.code == 0 and not e2e.calls("t")[1:], third
    line = next(x for x in e2e.read("REP.md").splitlines() if x.startswith("| t |"))
    # (made by run 1 and kept by run 2, which spent nothing on it: "made before run 2", not "run 2")
    assert "up to date (made before run 2)" in line and "$" in line and "| 0.0s |" not in line, line


def test_a_result_whose_new_check_rewrites_it_keeps_what_it_took_and_cost(e2e: E2E) -> None:
    # (a check that rewrites what it checks: its rewrite of a copy becomes the outputs, with no call; the
    # result is still the answer paid for, found by soak_kill9 --recheck: its record said no cost, no tokens)
    e2e.write("Agentfile", AGENT)
    e2e.write("src.md", "hello\n")
    first = e2e.am()
    assert first.code == 0 and first.summary.cost is not None, first
    made = row(e2e)
    assert made["last_cost"] and made["last_tokens_in"] and made["last_duration"] > 0, made
    rewrites = "check = \"sed -i 's/1/2/' {output}\""
    e2e.write("Agentfile", AGENT.replace("check = json", rewrites))
    second = e2e.am()
    assert second.code == 0 and second.states["t"] == "up-to-date" and not e2e.calls("t")[1:], second
    assert e2e.read("out.json").strip() == '{"ok": 2}' and second.summary.cost is None, second
    kept = row(e2e)
    assert kept["state"] == "up to date", kept
    for key in ("last_duration", "last_cost", "last_tokens_in", "last_tokens_out"):
        assert kept[key] == made[key], (key, made, kept)
    e2e.write("Agentfile", AGENT.replace("check = json", rewrites) + REPORT)
    third = e2e.am()
    assert third.code == 0 and not e2e.calls("t")[1:], third
    line = next(x for x in e2e.read("REP.md").splitlines() if x.startswith("| t |"))
    assert "up to date (made before run 2)" in line and "$" in line and "| 0.0s |" not in line, line
