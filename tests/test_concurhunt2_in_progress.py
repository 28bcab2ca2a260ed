"""`status`, `explain`, `-n` and `clean -n` run in a second terminal while a build runs an agent that
writes its outputs in place (a multi-output agent: its files are written by the agent itself, backed up
first). What the agent has written so far is its work in progress, not a hand edit: the readers used to say
`pair/a.md was edited by hand: a copy is saved first` of each (`clean -n`: `not as agentmake made it: a copy
would be saved`), which the build never did (it saves no copy of its own agent's work). A real hand edit,
with no build running, is still told.

Events, not sleeps: the agent answers (the fake logs `end`, its files written) and then lingers, still
running, until the test lets it exit (`$FAKE_AGENT_STATE/stop-lingering`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E, wait_for

AGENTFILE = """\
agent pair:
    inputs = src.md
    outputs = pair/a.md pair/b.md
    prompt = \"\"\"
        FAKE: label=pair linger=60 write=pair/a.md,pair/b.md
        {{ read(input) }}
        \"\"\"
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    project = E2E(tmp_path / "proj", fake_agents)
    project.write("Agentfile", AGENTFILE)
    project.write("src.md", "first\n")
    (fake_agents.state / "stop-lingering").touch()  # (the first build's agent exits at once)
    built = project.am()
    assert built.code == 0, built
    (fake_agents.state / "stop-lingering").unlink()
    project.reset_calls()
    project.write("src.md", "second\n")
    return project


def _ended(e2e: E2E, label: str) -> bool:
    return any(ev == "end" and lb == label for ev, _, _, _, lb in e2e.fake.log_lines())


def _row(e2e: E2E, task: str) -> dict:
    run = e2e.am("status", "--json")
    assert run.code == 0, run
    return next(r for r in json.loads(run.out) if r["task"] == task)


def test_readers_take_a_running_agents_outputs_for_its_work(e2e: E2E, fake_agents: FakeAgents) -> None:
    build = e2e.spawn()
    try:
        wait_for(lambda: _ended(e2e, "pair"), what="the agent to write its outputs and answer")
        assert "second" in e2e.read("pair/a.md")  # (written in place by the agent, which runs on)
        wait_for(lambda: _row(e2e, "pair")["state"] == "running", what="status to see the task running")
        row = _row(e2e, "pair")
        status = e2e.am("status")
        explain = e2e.am("explain", "pair")
        dry = e2e.am("-n")
        clean = e2e.am("clean", "-n")
        assert build.poll() is None, "the build ended before the readers ran"
    finally:
        (fake_agents.state / "stop-lingering").touch()
        done = E2E.finish(build)
    assert done.code == 0, done
    for run in (status, explain, dry, clean):
        assert run.code == 0, run
        assert "edited by hand" not in run.text, run
        assert "copy is saved" not in run.text, run
    assert "would remove pair/a.md\n" in clean.out, clean
    assert not any("edited" in r for r in row["reasons"]), row
    assert any("src.md changed" in r for r in row["reasons"]), row  # (why it runs is still told)
    assert not (e2e.root / ".agentmake" / "edited").exists()  # (the build saved no copy either)
    # a hand edit with no build running is still one
    e2e.write("pair/a.md", "mine\n")
    after = e2e.am("status")
    assert "pair/a.md was edited by hand" in after.out, after
