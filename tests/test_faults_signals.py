"""SIGSTOP and SIGCONT, of agentmake and of an agent, with real builds (the fake agent CLIs count the calls):
a build stopped and continued finishes as if it had not been, and an agent that is stopped is still ended
by its time limit, whole, and gets its SIGTERM while agentmake runs."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E, fanout_agentfile, group_alive, kill_quietly, wait_for


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def test_a_build_stopped_and_continued_finishes_with_each_answer_paid_once(e2e: E2E) -> None:
    """agentmake stopped (SIGSTOP, a Ctrl-Z) while its agents run: they finish meanwhile; continued, it
    takes every answer as it would have, calls none again, and the next build finds all up to date."""
    e2e.write("Agentfile", fanout_agentfile(sleep=0.5))
    for name in ("a", "b", "c"):
        e2e.write(f"docs/{name}.md", f"doc {name}\n")
    proc = e2e.spawn()
    try:
        wait_for(lambda: len(e2e.calls()) == 3, what="the three agents to start")
        proc.send_signal(signal.SIGSTOP)
        wait_for(lambda: not e2e.running_agents(), what="the agents to finish while agentmake is stopped")
    finally:
        proc.send_signal(signal.SIGCONT)
    run = E2E.finish(proc)
    assert run.code == 0, run
    assert run.summary.ran == 4 and sorted(e2e.calls()) == ["a", "b", "c"], run
    for name in ("a", "b", "c"):
        assert e2e.read(f"build/{name}.md") == f"ANSWER:\nTranslate into French:\ndoc {name}\n"
    again = e2e.am()
    assert again.code == 0 and again.summary.up_to_date == 4 and len(e2e.calls()) == 3, again


@pytest.mark.parametrize("checked", [False, True], ids=["inline", "worker"])
def test_a_stopped_agent_is_timed_out_and_gets_its_sigterm(e2e: E2E, checked: bool) -> None:
    """An agent's process group stopped (SIGSTOP) while agentmake runs: its time limit still ends the
    attempt, and the group is continued after the SIGTERM, so it handles it (here a trap that leaves a
    mark) instead of waiting, stopped, for the SIGKILL after the grace. Shell agents without a check run on
    the scheduler's thread (`supervise`), with one on a worker (`groups.kill_process_group`)."""
    check = "\n    check = json" if checked else ""
    e2e.write(
        "Agentfile",
        f"""agent stuck:
    run = "trap 'echo handled > term.txt; exit 143' TERM; echo $$ > agent.pgid; while :; do sleep 0.1; done"
    outputs = out/x.json
    timeout = 3s
    retries = 0{check}
""",
        dedent=False,
    )
    proc = e2e.spawn()
    pgid = 0
    try:
        wait_for(lambda: e2e.exists("agent.pgid") and e2e.read("agent.pgid").strip(), what="the agent")
        pgid = int(e2e.read("agent.pgid"))
        os.killpg(pgid, signal.SIGSTOP)
        run = E2E.finish(proc)
    finally:
        if pgid:
            kill_quietly(-pgid)
    assert run.code == 1, run
    assert "timed out after 3s" in run.text, run
    assert e2e.exists("term.txt") and e2e.read("term.txt") == "handled\n", run
    assert not group_alive(pgid)
    assert not e2e.exists("out/x.json")
