"""`agentmake status` on a big fan-out: an agent's tasks up to date with nothing to tell are one line when
there are more than 10 of them, so the few stale or failed ones stand out; `-v` lists each (as `list` does).
newuser6: 300 translations with 3 sources edited printed 309 lines, the 3 stale tasks among 297 up to date."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """\
agent translate:
    inputs = docs/{name}.md
    outputs = out/{name}.md
    prompt = "FAKE: label=t\\n{{ read(input) }}"

agent scan:
    inputs = docs/*.md
    outputs = scan.md
    prompt = "FAKE: label=scan\\n{{ inputs }}"
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE, dedent=False)
    for i in range(1, 15):
        e2e.write(f"docs/d{i:02}.md", f"doc {i}\n")
    assert e2e.am("-j", "4").code == 0
    e2e.write("docs/d03.md", "doc three, edited\n")
    return e2e


def test_status_folds_a_fan_outs_tasks_up_to_date(e2e: E2E) -> None:
    run = e2e.am("status")
    assert run.code == 0, run
    lines = run.out.splitlines()
    assert "up to date  translate: 13 tasks (-v lists each)" in lines, run.out
    assert not any(line.startswith("up to date  translate:d") for line in lines), run.out
    stale = [line for line in lines if line.startswith("stale")]
    assert [line.split()[1] for line in stale] == ["translate:d03", "scan"], run.out
    assert lines[-1] == "2 stale, 13 up to date", run.out  # (the counts still count every task)


def test_status_v_lists_every_task(e2e: E2E) -> None:
    run = e2e.am("status", "-v")
    assert run.code == 0, run
    ups = [line.split()[3] for line in run.out.splitlines() if line.startswith("up to date")]
    assert ups == [f"translate:d{i:02}" for i in range(1, 15) if i != 3], run.out
    assert "-v lists each" not in run.out


def test_a_few_tasks_up_to_date_are_listed_each(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e2e = E2E(tmp_path / "small", fake_agents)
    e2e.write("Agentfile", AGENTFILE, dedent=False)
    for i in range(1, 10):  # (9 tasks, one stale: 8 up to date, listed each)
        e2e.write(f"docs/d{i:02}.md", f"doc {i}\n")
    assert e2e.am("-j", "4").code == 0
    e2e.write("docs/d03.md", "doc three, edited\n")
    run = e2e.am("status")
    assert run.code == 0, run
    assert "tasks (-v lists each)" not in run.out, run.out
    assert sum(line.startswith("up to date  translate:") for line in run.out.splitlines()) == 8, run.out
