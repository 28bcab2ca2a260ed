"""Ctrl-Z (SIGTSTP, from the terminal or `kill -TSTP`) stops agentmake's agents too, and continuing agentmake
continues them. Agents run in process groups of their own, so the terminal's SIGTSTP never reached them: they
ran on (and were paid for) while agentmake was stopped. The time so stopped does not count against an agent's
time limit: the agent below is stopped longer than its limit, and its attempt still succeeds.

agentmake is started in a process group of its own (not orphaned: its parent, this test, is in its session),
as a shell with job control starts a job, so that the kernel does stop it at a SIGTSTP."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E, as_a_job, group_alive, group_stopped, process_state, wait_for

from agentmake.runners import supervise

LIMIT = 10  # seconds: the agent's time limit, which it spends stopped, and more (generous: a loaded machine
# may take seconds from the agent's start to the stop, and that time counts)


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def _agentfile(checked: bool) -> str:
    check = "\n    check = json" if checked else ""
    # it ticks (a line a tick) until `go` exists, then writes its output
    tick = "while [ ! -e go ]; do echo t >> ticks; sleep 0.05; done"
    return f"""agent ticking:
    run = "echo $$ > pid; {tick}; echo '{{{{}}}}' > {{output}}"
    outputs = out/x.json
    timeout = {LIMIT}s
    retries = 0{check}
"""


def _spawn(e2e: E2E, *args: str) -> subprocess.Popen[str]:
    kw = as_a_job()
    return subprocess.Popen(  # type: ignore[call-overload,no-any-return]
        e2e.argv(args), cwd=e2e.root, env=e2e.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, **kw,
    )  # fmt: skip


def _end(proc: subprocess.Popen[str]) -> None:
    """A test that failed: end agentmake (continued, so that it ends its agents, stopped or not) and close its
    pipes (a pipe left open fails the next test)."""
    proc.send_signal(signal.SIGCONT)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()


def _ticks(e2e: E2E) -> int:
    return len(e2e.read("ticks").splitlines()) if e2e.exists("ticks") else 0


def _stop_and_continue(e2e: E2E, proc: subprocess.Popen[str]) -> None:
    """Ctrl-Z agentmake while its agent ticks; check that both stop and stay stopped past the agent's time
    limit; let the agent finish (`go`) and continue agentmake."""
    wait_for(lambda: e2e.exists("pid") and _ticks(e2e) > 0, what="the agent to tick")
    began = time.monotonic()  # (the agent started before this)
    agent = int(e2e.read("pid"))
    proc.send_signal(signal.SIGTSTP)
    try:
        wait_for(lambda: process_state(proc.pid) == "T", what="agentmake to stop")
        # (its group: the shell may be waiting, unstoppable, for a stopped child's exec: see group_stopped)
        wait_for(lambda: group_stopped(agent) or not group_alive(agent), timeout=20, what="its agent to stop")
        assert group_stopped(agent), "the agent is gone: it ran out of time before the stop"
        ticks = _ticks(e2e)
        wait_for(lambda: time.monotonic() > began + LIMIT + 1, what="the agent's time limit to pass")
        assert _ticks(e2e) == ticks and group_stopped(agent) and process_state(proc.pid) == "T"
        e2e.write("go", "")
    finally:
        proc.send_signal(signal.SIGCONT)
    wait_for(lambda: e2e.exists("out/x.json"), what="the agent to go on and finish")
    assert _ticks(e2e) >= ticks


@pytest.mark.parametrize("checked", [False, True], ids=["inline", "worker"])
def test_ctrl_z_stops_the_agents_and_their_stopped_time_is_not_their_time(e2e: E2E, checked: bool) -> None:
    if not checked and not supervise.available():
        pytest.skip("no inline attempts here")
    e2e.write("Agentfile", _agentfile(checked), dedent=False)
    proc = _spawn(e2e)
    try:
        _stop_and_continue(e2e, proc)
    except BaseException:
        _end(proc)
        raise
    run = E2E.finish(proc)
    assert run.code == 0, run
    assert "timed out" not in run.text and run.summary.ran == 1, run
    assert e2e.read("out/x.json") == "{}\n"


def test_ctrl_z_stops_the_agents_of_watch_too(e2e: E2E) -> None:
    e2e.write("Agentfile", _agentfile(False), dedent=False)
    proc = _spawn(e2e, "watch")
    try:
        _stop_and_continue(e2e, proc)
    except BaseException:
        _end(proc)
        raise
    proc.send_signal(signal.SIGINT)
    run = E2E.finish(proc)
    assert "timed out" not in run.text, run
    assert e2e.read("out/x.json") == "{}\n"


def test_ctrl_z_stops_what_an_agent_started_outside_its_group_too(e2e: E2E) -> None:
    """A process the agent moved into a session of its own (`setsid`) is not in the agent's group: it is
    found by the token in its environment and stopped and continued with the agents."""
    ticker = "echo $$ > esc; while [ ! -e go ]; do echo t >> ticks; sleep 0.05; done"
    e2e.write("ticker.sh", ticker + "\n")
    e2e.write(
        "Agentfile",
        'agent leaving:\n    run = "setsid sh ticker.sh & wait; echo done > {output}"\n'
        "    outputs = out/x.txt\n",
        dedent=False,
    )
    proc = _spawn(e2e)
    try:
        wait_for(lambda: e2e.exists("esc") and _ticks(e2e) > 0, what="the escaped ticker")
        escaped = int(e2e.read("esc"))
        assert os.getpgid(escaped) == escaped  # (a group, and a session, of its own)
        proc.send_signal(signal.SIGTSTP)
        wait_for(lambda: process_state(proc.pid) == "T", what="agentmake to stop")
        wait_for(lambda: group_stopped(escaped), timeout=20, what="the escaped ticker to stop")
        ticks = _ticks(e2e)
        time.sleep(0.5)
        assert _ticks(e2e) == ticks and group_stopped(escaped)
        proc.send_signal(signal.SIGCONT)
        wait_for(lambda: _ticks(e2e) > ticks, what="the escaped ticker to go on once continued")
        e2e.write("go", "")
    except BaseException:
        _end(proc)
        raise
    run = E2E.finish(proc)
    assert run.code == 0, run
    assert e2e.read("out/x.txt") == "done\n"
