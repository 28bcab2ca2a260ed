"""`-n` under a budget of 0 says what the build does: it calls no LLM agent (README: "a budget of 0 is
reached at once"), so those tasks, and what depends on them, would not run; shell tasks still would."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = '''\
{budget}
agent translate:
    inputs = docs/{{name}}.md
    outputs = build/{{name}}.md
    prompt = """
        FAKE: label={{{{ name }}}}
        Translate: {{{{ read(input) }}}}
        """

agent count:
    run = "cat {{inputs}} > {{output}}"
    inputs = build/*.md
    outputs = build/count.txt

agent copy:
    run = "cat {{inputs}} > {{output}}"
    inputs = docs/*.md
    outputs = build/copy.txt
'''
WOULD = re.compile(r"^would (run|not run) (\S+): ", re.M)


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("docs/a.md", "doc a\n")
    e2e.write("docs/b.md", "doc b\n")
    return e2e


def _would(run_out: str) -> dict[str, str]:
    return {task: verb for verb, task in WOULD.findall(run_out)}


def test_a_budget_of_zero_dry_run_says_no_agent_would_run(e2e: E2E) -> None:
    e2e.write("Agentfile", AGENTFILE.format(budget=""))
    dry = e2e.am("--budget", "0", "-n")
    assert dry.code == 0, dry
    assert _would(dry.out) == {
        "translate:a": "not run",
        "translate:b": "not run",
        "count": "not run",  # (it reads what they would make)
        "copy": "run",
    }, dry
    assert "would not run translate:a: never built (budget of $0.00 reached)" in dry.out, dry
    assert "would not run count: budget of $0.00 reached before translate:a" in dry.out, dry
    assert dry.out.splitlines()[-1] == "agentmake: 1 to run, 3 not run, 0 up to date (dry run)", dry
    assert e2e.calls() == []
    build = e2e.am("--budget", "0")  # and the build does just that
    assert build.with_state("done") == {"copy"}, build
    assert build.with_state("not-run") == {"translate:a", "translate:b", "count"}, build


def test_a_budget_of_zero_in_the_agentfile_dry_run_says_so_too(e2e: E2E) -> None:
    e2e.write("Agentfile", AGENTFILE.format(budget="budget = 0"))
    dry = e2e.am("-n")
    assert _would(dry.out)["translate:a"] == "not run", dry


def test_a_budget_not_yet_reached_dry_run_says_they_would_run(e2e: E2E) -> None:
    e2e.write("Agentfile", AGENTFILE.format(budget=""))
    dry = e2e.am("--budget", "0.5", "-n")
    assert set(_would(dry.out).values()) == {"run"}, dry
    assert dry.out.splitlines()[-1] == "agentmake: 4 to run, 0 up to date (dry run)", dry


def test_with_k_a_report_none_of_whose_inputs_would_be_made_would_not_run(e2e: E2E) -> None:
    report = "report review:\n    inputs = build/a.md build/b.md\n    output = REVIEW.md\n"
    e2e.write("Agentfile", AGENTFILE.format(budget="") + "\n" + report)
    dry = e2e.am("--budget", "0", "-k", "-n", "review")
    assert _would(dry.out)["review"] == "not run", dry
    build = e2e.am("--budget", "0", "-k", "review")
    assert build.with_state("not-run") == {"translate:a", "translate:b", "review"}, build
    e2e.write("build/a.md", "made by hand\n")  # one input there: a partial report is written
    e2e.write("Agentfile", AGENTFILE.format(budget="") + "\n" + report.replace("build/a.md", "docs/a.md"))
    dry = e2e.am("--budget", "0", "-k", "-n", "review")
    assert _would(dry.out)["review"] == "run", dry
