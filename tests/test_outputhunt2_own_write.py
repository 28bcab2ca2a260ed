"""A single-output LLM agent whose runner lets it write files (claude `--permission-mode acceptEdits`) may
write its own output path, though agentmake writes that file from its answer. Its write must neither replace
the last good result (a failed attempt left it there, and the next build kept it as a "hand edit") nor be
saved as a hand edit; what it wrote is kept beside the attempt's logs, and said so. A person's edit made
after the agent ended, before its result replaced the output, is still saved as a hand edit."""

from __future__ import annotations

import time
from pathlib import Path

from conftest import FakeAgents
from e2e_helpers import E2E, wait_for

AGENTFILE = """\
runner claude:
    command = "claude -p --output-format json --permission-mode acceptEdits"
agent a:
    runner = claude
    prompt = prompts/a.md
    outputs = out.md
    retries = 0
"""


def _project(tmp_path: Path, fake_agents: FakeAgents, agentfile: str = AGENTFILE) -> E2E:
    e = E2E(tmp_path / "p", fake_agents)
    e.write("Agentfile", agentfile, dedent=False)
    e.write("prompts/a.md", "FAKE: answer=good one\n")
    first = e.am()
    assert first.code == 0, first
    assert e.read("out.md") == "good one"
    return e


def test_a_failed_attempt_that_wrote_its_output_leaves_the_last_good_result(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e = _project(tmp_path, fake_agents)
    e.write("prompts/a.md", "FAKE: write=out.md fail=500\n")
    run = e.am()
    assert run.code == 1, run
    assert e.read("out.md") == "good one"
    kept = e.root / ".agentmake" / "logs" / "a.1.wrote"
    assert kept.read_text().startswith("written by fake claude: out.md")
    assert str(kept) in run.err
    assert not (e.root / ".agentmake" / "edited").exists()
    # the prompt put back: the output is the last good result, nothing to run, no "hand edit"
    e.write("prompts/a.md", "FAKE: answer=good one\n")
    again = e.am()
    assert again.code == 0, again
    assert "edited by hand" not in again.err
    assert again.summary.ran == 0 and len(e.calls()) == 2  # (the first build's call and the failed one)


def test_a_successful_attempt_that_wrote_its_output_is_no_hand_edit(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e = _project(tmp_path, fake_agents)
    e.write("prompts/a.md", "FAKE: write=out.md answer=second\n")
    run = e.am()
    assert run.code == 0, run
    assert e.read("out.md") == "second"
    assert "hand-edited" not in run.err
    assert not (e.root / ".agentmake" / "edited").exists()
    assert (e.root / ".agentmake" / "logs" / "a.1.wrote").read_text().startswith("written by fake")
    assert e.am().summary.up_to_date == 1


def test_an_attempt_that_did_not_write_its_output_leaves_it_as_the_build_saw_it(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e = _project(tmp_path, fake_agents)
    e.write("prompts/a.md", "FAKE: answer=second\n")
    run = e.am()
    assert run.code == 0, run
    assert e.read("out.md") == "second"
    assert "saved" not in run.err and not (e.root / ".agentmake" / "logs" / "a.1.wrote").exists()


def test_a_hand_edit_made_after_the_agent_ended_is_still_saved(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    # (the check ends once the edit is made: not after 1 s, which a loaded runner could outlast)
    check = "touch checking && until [ -e go ]; do sleep 0.05; done"
    go = tmp_path / "p" / "go"
    go.parent.mkdir(parents=True)
    go.touch()  # (the first build's check goes on at once)
    e = _project(tmp_path, fake_agents, AGENTFILE + f'    check = "{check}"\n')
    go.unlink()
    e.write("prompts/a.md", "FAKE: answer=second\n")
    proc = e.spawn()
    wait_for(lambda: e.exists("checking"), what="the check to start")
    e.write("out.md", "my edit\n")
    e.write("go", "")
    run = e.finish(proc)
    assert run.code == 0, run
    assert "hand-edited output saved: out.md" in run.err
    saved = list((e.root / ".agentmake" / "edited").rglob("out.md"))
    assert [p.read_text() for p in saved] == ["my edit\n"]
    assert e.read("out.md") == "second"


def test_agentmake_killed_after_the_agent_wrote_its_output_puts_the_last_good_result_back(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e = _project(tmp_path, fake_agents)
    e.write("prompts/a.md", "FAKE: write=out.md hang\n")
    proc = e.spawn()
    wait_for(lambda: e.read("out.md").startswith("written by fake"), what="the agent's write")
    proc.kill()
    proc.communicate(timeout=30)
    time.sleep(0)  # (the agent itself is ended by the next command, from the manifest)
    e.write("prompts/a.md", "FAKE: answer=good one\n")
    run = e.am()
    assert run.code == 0, run
    assert e.read("out.md") == "good one"
    assert "edited by hand" not in run.err
    assert not (e.root / ".agentmake" / "edited").exists()
