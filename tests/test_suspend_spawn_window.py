"""A Ctrl-Z that comes while an agent is being started still stops that agent (`runners.suspend`).

A child runs from the moment its `Popen` forks, and its group is registered (`suspend.add`) only after: a
SIGTSTP in between stopped agentmake but not the new agent, which ran (and was paid for) through the whole
stop. A small program stands in for agentmake, with the window made long (a second between the child's
start and its `add`): the stop must reach the child, whether another thread (a worker) or the main thread
(an inline attempt, where the handler itself runs) was starting it. Real processes and signals throughout."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from e2e_helpers import end_stand_in, group_stopped, process_state, start_stand_in, wait_for

PROGRAM = textwrap.dedent(
    """
    import os, subprocess, sys, threading, time
    from agentmake.runners import suspend

    suspend.install()
    TICK = "echo $$ > pid; while :; do echo t >> ticks; sleep 0.05; done"

    def start():
        with suspend.spawning():
            child = subprocess.Popen(["sh", "-c", TICK], start_new_session=True)
            open("spawned", "w").close()
            time.sleep(1.0)  # the window: the child runs, its group is not registered yet
            suspend.add(child)

    if sys.argv[1] == "thread":
        threading.Thread(target=start, daemon=True).start()
    else:
        start()
    while not os.path.exists("done"):  # (the main thread in Python code: the handler can run)
        time.sleep(0.02)
    """
)


def _line(path: Path) -> bool:
    return path.exists() and path.read_text().endswith("\n")


def _ticks(root: Path) -> int:
    path = root / "ticks"
    return len(path.read_text().splitlines()) if path.exists() else 0


@pytest.mark.parametrize("where", ["thread", "main"])
def test_a_ctrl_z_while_an_agent_starts_stops_that_agent_too(tmp_path: Path, where: str) -> None:
    proc = start_stand_in(tmp_path, PROGRAM, where)
    agent = 0
    try:
        pid = tmp_path / "pid"  # (`echo $$ > pid` creates it before it writes: wait for the line)
        wait_for(lambda: (tmp_path / "spawned").exists() and _line(pid), what="the child")
        agent = int((tmp_path / "pid").read_text())
        os.kill(proc.pid, signal.SIGTSTP)  # (inside the window: the child is not registered yet)
        wait_for(lambda: process_state(proc.pid) == "T", what="the program to stop")
        wait_for(lambda: group_stopped(agent), timeout=10, what="the child to stop with it")
        ticks = _ticks(tmp_path)
        time.sleep(0.5)
        assert _ticks(tmp_path) == ticks, "the child ticks on while the program is stopped"
        os.kill(proc.pid, signal.SIGCONT)
        wait_for(lambda: _ticks(tmp_path) > ticks, what="the child to go on once continued")
        (tmp_path / "done").touch()
        assert proc.wait(timeout=30) == 0
    finally:
        end_stand_in(tmp_path, proc, agent)


HELD = textwrap.dedent(
    """
    import os, subprocess, sys, threading, time
    from agentmake.runners import suspend

    suspend.install()
    suspend.SPAWN_WAIT = 120.0  # (the handler waits this long, at most, for a spawn in flight)

    def state(pid):
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0]

    def start():
        with suspend.spawning():
            # stands for a child forked but not yet in a session of its own: in this program's group, where
            # the terminal's Ctrl-Z stops it too; its spawn (a vfork) is held until it goes on to its exec
            child = subprocess.Popen(["sleep", "120"])
            with open("pid.part", "w") as fh:
                fh.write(str(child.pid))
            os.replace("pid.part", "pid")
            while state(child.pid) != "T":
                time.sleep(0.01)
            while state(child.pid) == "T":
                time.sleep(0.01)
            open("continued", "w").close()

    if sys.argv[1] == "thread":
        threading.Thread(target=start, daemon=True).start()
    else:
        start()
    while not os.path.exists("done"):
        time.sleep(0.02)
    """
)


@pytest.mark.parametrize("where", ["thread", "main"])
def test_a_terminal_ctrl_z_that_stops_a_child_still_being_started_does_not_hang_agentmake(
    tmp_path: Path, where: str
) -> None:
    """The terminal stops the whole foreground group, a child not yet in its own session included: agentmake
    continues it (so that its spawn ends and it is stopped with its own group), then stops, within seconds,
    where it used to wait for that spawn until continued by hand (the main thread: for ever)."""
    proc = start_stand_in(tmp_path, HELD, where)
    child = 0
    try:
        wait_for(lambda: (tmp_path / "pid").exists(), what="the child")
        child = int((tmp_path / "pid").read_text())
        os.killpg(proc.pid, signal.SIGTSTP)  # (as the terminal's Ctrl-Z: the program's group, child included)
        wait_for(lambda: process_state(proc.pid) == "T", timeout=30, what="the program to stop")
        assert (tmp_path / "continued").exists(), "the program stopped with its spawn still held"
        os.kill(proc.pid, signal.SIGCONT)
        (tmp_path / "done").touch()
        assert proc.wait(timeout=30) == 0
    finally:
        (tmp_path / "done").touch()
        if child:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGCONT)
            proc.kill()
        proc.wait()


IDLE = textwrap.dedent(
    """
    import subprocess, threading, time
    from agentmake.runners import suspend

    suspend.install()
    with suspend.spawning():  # (the first spawn starts the watchdog)
        child = subprocess.Popen(["true"], start_new_session=True)
        suspend.add(child)
    child.wait()
    suspend.forget(child)
    (dog,) = [t for t in threading.enumerate() if t.name == "agentmake-spawn-watchdog"]

    def switches():
        with open(f"/proc/self/task/{dog.native_id}/status") as f:
            return int(next(l for l in f if l.startswith("voluntary_ctxt_switches")).split()[1])

    time.sleep(0.5)
    before = switches()
    time.sleep(1.0)  # no spawn in flight: an idle build, or `watch` waiting for an edit
    print(switches() - before)
    """
)


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads the thread's counters in /proc")
def test_the_watchdog_sleeps_while_no_spawn_is_in_flight(tmp_path: Path) -> None:
    """The watchdog wakes for spawns in flight only: idle for a second (no spawn), it does not wake at all
    (it used to wake ten times a second for as long as agentmake lived, in an idle `watch` too)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    out = subprocess.run(
        [sys.executable, "-c", IDLE], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) <= 1, f"the watchdog woke {out.stdout.strip()} times in an idle second"


LATE = textwrap.dedent(
    """
    import os, subprocess, threading, time
    from agentmake.runners import suspend

    suspend.install()
    TICK = "echo $$ > pid; while :; do echo t >> ticks; sleep 0.05; done"

    def start():  # (a spawner thread given its next agent just after the handler counted the groups)
        with suspend.spawning():
            child = subprocess.Popen(["sh", "-c", TICK], start_new_session=True)
            open("spawned", "w").close()
            time.sleep(1.0)  # (the process stops meanwhile: this thread cannot register the child)
            suspend.add(child)

    def before():  # (called by the handler once it has stopped the groups it knows, before it stops)
        threading.Thread(target=start, daemon=True).start()
        deadline = time.monotonic() + 0.5
        while not os.path.exists("spawned") and time.monotonic() < deadline:
            time.sleep(0.01)

    suspend.watching(before, lambda: None)
    open("ready", "w").close()
    while not os.path.exists("done"):
        time.sleep(0.02)
    """
)


def test_a_spawn_begun_after_the_handler_counted_the_groups_waits_for_the_continue(tmp_path: Path) -> None:
    """A Ctrl-Z's handler counts the agents' groups, stops them, then stops agentmake. A spawner thread that
    began a spawn after the count started an agent that nobody stopped: it ran, and was paid for, through
    the whole stop (soak_suspend, seeds 805, 816, 817 on a loaded machine). Now a spawn waits for the
    continue: nothing starts while agentmake is stopped, and the agent starts once it is continued."""
    proc = start_stand_in(tmp_path, LATE, "main")
    agent = 0
    try:
        wait_for(lambda: (tmp_path / "ready").exists(), what="the program")
        os.kill(proc.pid, signal.SIGTSTP)
        wait_for(lambda: process_state(proc.pid) == "T", what="the program to stop")
        ticks = _ticks(tmp_path)
        time.sleep(0.5)
        assert _ticks(tmp_path) == ticks, "an agent started while the program was stopped, and ran"
        assert not (tmp_path / "spawned").exists()
        os.kill(proc.pid, signal.SIGCONT)
        wait_for(
            lambda: (tmp_path / "pid").exists() and _ticks(tmp_path) > ticks, what="the agent, once continued"
        )
        agent = int((tmp_path / "pid").read_text())
        (tmp_path / "done").touch()
        assert proc.wait(timeout=30) == 0
    finally:
        end_stand_in(tmp_path, proc, agent)
