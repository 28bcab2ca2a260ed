"""A report's run summary says its tokens are not all there are (`+ unknown`, naming the tasks)
when an LLM call reported none (ollama's text says no tokens), as its cost row and the build's line
(`TaskOutcome.untokened`) do: a claude and an ollama task said '| tokens | 25 in / 9 out |' there, the ollama
call's tokens left out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """\
agent a:
    runner = claude
    model = sonnet
    retries = 0
    inputs = docs/a.md
    outputs = out/a.md
    prompt = "Say {{ read(input) }}"

agent b:
    runner = {runner}
    model = {model}
    retries = 0
    inputs = docs/a.md
    outputs = out/b.md
    prompt = "Say {{ read(input) }}"

report all:
    inputs = out/*.md
    output = ALL.md
"""


@pytest.mark.parametrize(("runner", "model"), [("ollama", "llama3"), ("claude", "sonnet")])
def test_the_report_says_tokens_unknown_where_a_call_said_none(
    tmp_path: Path, fake_agents: FakeAgents, runner: str, model: str
) -> None:
    e = E2E(tmp_path, fake_agents)
    e.write("Agentfile", AGENTFILE.replace("{runner}", runner).replace("{model}", model), dedent=False)
    e.write("docs/a.md", "one two three\n")
    run = e.am("report", "-s", "-j2")
    assert run.code == 0, run
    row = re.search(r"^\| tokens \| ([^|]*) \|$", e.read("ALL.md"), re.M)
    assert row and re.match(r"[\d,]+ in / [\d,]+ out", row[1]), e.read("ALL.md")
    if runner == "ollama":
        assert row[1].endswith(" + unknown (b: no tokens reported)"), row[1]
        assert "+ unknown" in run.out, run  # (as the build's line says)
    else:
        assert "unknown" not in row[1], row[1]
