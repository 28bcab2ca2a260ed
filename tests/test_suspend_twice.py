"""A second Ctrl-Z while the first is being handled is the same request: agentmake stops once, and one `fg`
continues it and its agents (`runners.suspend`). Before, the handler ran again inside itself: once continued,
the inner run continued the agents and the outer one stopped agentmake again, its agents left running (and
paying) through that second stop, until a second `fg`. A Ctrl-Z once agentmake is continued is a new request,
and stops it again, agents and all.

A small program stands in for agentmake (real processes and signals): a ticking child registered as an agent,
and a hook run while the handler stops agentmake (`suspend.watching`) that sends the second SIGTSTP."""

from __future__ import annotations

import os
import signal
import subprocess
import textwrap
import time
from pathlib import Path

import pytest
from e2e_helpers import end_stand_in, group_stopped, process_state, start_stand_in, wait_for

PROGRAM = textwrap.dedent(
    """
    import os, signal, subprocess, sys, time
    from agentmake.runners import suspend

    suspend.install()
    TICK = "echo $$ > pid; while :; do echo t >> ticks; sleep 0.05; done"
    with suspend.spawning():
        child = subprocess.Popen(["sh", "-c", TICK], start_new_session=True)
        suspend.add(child)
    calls = {"before": 0, "after": 0}

    def hook(when):
        calls[when] += 1
        with open(when, "a") as fh:
            fh.write("x")
        if when == sys.argv[1] and calls[when] == 1:  # (the second Ctrl-Z, once)
            os.kill(os.getpid(), signal.SIGTSTP)
            time.sleep(0.2)  # (Python code: the handler for it runs in here)

    suspend.watching(lambda: hook("before"), lambda: hook("after"))
    open("ready", "w").close()
    while not os.path.exists("done"):
        time.sleep(0.02)
    child.kill()
    child.wait()
    """
)


def _ticks(root: Path) -> int:
    path = root / "ticks"
    return len(path.read_text().splitlines()) if path.exists() else 0


def _count(root: Path, name: str) -> int:
    path = root / name
    return len(path.read_text()) if path.exists() else 0


def _start(root: Path, again: str) -> tuple[subprocess.Popen[bytes], int]:
    """The program (`start_stand_in`) and its agent's pid once it ticks and the hooks are in place (its agent
    ticks before: a Ctrl-Z then, as happened under load, ran no hook); `again`: the hook that sends the
    second Ctrl-Z."""
    proc = start_stand_in(root, PROGRAM, again)
    try:
        ready = (root / "ready", root / "pid")
        wait_for(lambda: all(p.exists() for p in ready) and _ticks(root) > 0, what="the agent and the hooks")
    except BaseException:
        end_stand_in(root, proc, 0)
        raise
    return proc, int((root / "pid").read_text())


def _stopped_with_its_agent(root: Path, proc: subprocess.Popen[bytes], agent: int) -> None:
    wait_for(lambda: process_state(proc.pid) == "T", what="the program to stop")
    wait_for(lambda: group_stopped(agent), timeout=10, what="its agent to stop with it")
    ticks = _ticks(root)
    time.sleep(0.3)
    assert _ticks(root) == ticks, "the agent ticks on while the program is stopped"


def _running_with_its_agent(root: Path, proc: subprocess.Popen[bytes]) -> None:
    ticks = _ticks(root)
    wait_for(lambda: _ticks(root) > ticks + 5, what="the agent to go on once continued")
    assert process_state(proc.pid) != "T", "the program stopped again"


def test_a_second_ctrl_z_while_the_first_is_handled_needs_no_second_fg(tmp_path: Path) -> None:
    proc, agent = _start(tmp_path, "before")
    try:
        os.kill(proc.pid, signal.SIGTSTP)
        _stopped_with_its_agent(tmp_path, proc, agent)
        os.kill(proc.pid, signal.SIGCONT)
        _running_with_its_agent(tmp_path, proc)
        assert (_count(tmp_path, "before"), _count(tmp_path, "after")) == (1, 1)  # one stop, one continue
        (tmp_path / "done").touch()
        assert proc.wait(timeout=30) == 0
    finally:
        end_stand_in(tmp_path, proc, agent)


def test_a_ctrl_z_once_continued_stops_again(tmp_path: Path) -> None:
    proc, agent = _start(tmp_path, "after")
    try:
        os.kill(proc.pid, signal.SIGTSTP)
        _stopped_with_its_agent(tmp_path, proc, agent)
        os.kill(proc.pid, signal.SIGCONT)
        # (the hook run once continued sends a new Ctrl-Z: a new stop)
        wait_for(lambda: _count(tmp_path, "before") == 2, what="the second stop")
        _stopped_with_its_agent(tmp_path, proc, agent)
        os.kill(proc.pid, signal.SIGCONT)
        _running_with_its_agent(tmp_path, proc)
        assert (_count(tmp_path, "before"), _count(tmp_path, "after")) == (2, 2)
        (tmp_path / "done").touch()
        assert proc.wait(timeout=30) == 0
    finally:
        end_stand_in(tmp_path, proc, agent)


if not hasattr(signal, "SIGTSTP"):  # pragma: no cover
    pytest.skip("no job control here", allow_module_level=True)
