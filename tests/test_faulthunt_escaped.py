"""An agent that starts a process outside its own process group (`setsid`, a daemon's double fork, a CLI that
starts its tools `detached`) and is then stopped (its time limit, a cancel, Ctrl-C): that process is ended
too, found by the spawn token it inherited, even if it ignores SIGTERM. It used to work on after the attempt
ended (writing into the output's staged file after the build had ended) while a retry, or the next build, ran
a second copy of the task beside it. An agent that exits by itself leaves such a process alone."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_helpers import alive, wait_for

from agentmake.runners import supervise
from agentmake.runners.capture import LogFile
from agentmake.runners.process import SPAWN_VAR, run_process, start_child
from agentmake.runners.supervise import Supervisor

pytestmark = pytest.mark.skipif(not supervise.available(), reason="Linux: /proc, pidfd")

# a process in a session of its own (so out of the agent's group) that writes its pid, then runs on; with
# `deaf`, it ignores SIGTERM (only SIGKILL ends it)
_DAEMON = (
    "setsid sh -c '{trap}echo $$ > {pidfile}; while :; do sleep 0.05; done' </dev/null >/dev/null 2>&1 &"
)
_STARTED = "while [ ! -s {pidfile} ]; do sleep 0.01; done"


def _script(pidfile: Path, *, deaf: bool, then: str) -> str:
    trap = 'trap "" TERM; ' if deaf else ""
    return f"{_DAEMON.format(trap=trap, pidfile=pidfile)} {_STARTED.format(pidfile=pidfile)}; {then}"


def _ended(pid: int) -> bool:
    """Whether `pid` is gone within 10 s (a SIGKILL is sent, not awaited: its members are no children; the
    killed process still has to be scheduled to exit, which a loaded machine may take its time over)."""
    try:
        wait_for(lambda: not alive(pid), 10.0, f"process {pid} to end")
    except AssertionError:
        return False
    return True


def _daemon_pid(pidfile: Path) -> int:
    wait_for(lambda: pidfile.exists() and pidfile.read_text().strip(), what="the daemon to start")
    return int(pidfile.read_text())


@pytest.fixture
def daemons() -> Iterator[list[int]]:
    """Pids to SIGKILL after the test, whatever it found."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _token() -> str:
    """A spawn token of this test's own: a test ends every process holding its token, and tests running
    side by side (`pytest -n 2`: the two cases of one parametrized test) must not end each other's."""
    return f"tok.{uuid.uuid4().hex}"


def _logs(tmp_path: Path) -> tuple[LogFile, LogFile]:
    return LogFile(tmp_path / "x.out"), LogFile(tmp_path / "x.err")


@pytest.mark.parametrize("deaf", [False, True], ids=["handles-term", "ignores-term"])
@pytest.mark.parametrize("how", ["timeout", "cancel"])
def test_the_supervisor_ends_what_left_the_group_of_a_stopped_child(
    tmp_path: Path, daemons: list[int], deaf: bool, how: str
) -> None:
    sup = Supervisor(grace=0.3)
    pidfile = tmp_path / "daemon.pid"
    cancel = threading.Event()
    try:
        argv = ["sh", "-c", _script(pidfile, deaf=deaf, then="sleep 30")]
        child = start_child(
            argv,
            stdin=False,
            env=None,
            cwd=tmp_path,
            logs=_logs(tmp_path),
            parent_death=False,
            token=_token(),
        )
        sup.add("t", child, 0.5 if how == "timeout" else 30.0, cancel)
        daemons.append(pid := _daemon_pid(pidfile))
        if how == "cancel":
            cancel.set()
        done: list[object] = []
        deadline = time.monotonic() + 10
        while not done and time.monotonic() < deadline:
            done += sup.wait(0.1)
        assert done, "the child was never reported"
        assert _ended(pid), "the daemon that left the group outlived its stopped attempt"
    finally:
        sup.close()


def test_the_supervisor_leaves_the_daemon_of_a_child_that_exited_by_itself(
    tmp_path: Path, daemons: list[int]
) -> None:
    sup = Supervisor(grace=0.3)
    pidfile = tmp_path / "daemon.pid"
    try:
        argv = ["sh", "-c", _script(pidfile, deaf=False, then="exit 0")]
        child = start_child(
            argv,
            stdin=False,
            env=None,
            cwd=tmp_path,
            logs=_logs(tmp_path),
            parent_death=False,
            token=_token(),
        )
        sup.add("t", child, 30.0, threading.Event())
        done: list[object] = []
        deadline = time.monotonic() + 10
        while not done and time.monotonic() < deadline:
            done += sup.wait(0.1)
        daemons.append(pid := _daemon_pid(pidfile))
        assert done and alive(pid)
    finally:
        sup.close()


@pytest.mark.parametrize("deaf", [False, True], ids=["handles-term", "ignores-term"])
def test_run_process_ends_what_left_the_group_of_a_timed_out_child(
    tmp_path: Path, daemons: list[int], deaf: bool
) -> None:
    pidfile = tmp_path / "daemon.pid"
    watcher = threading.Thread(target=lambda: daemons.append(_daemon_pid(pidfile)))
    watcher.start()
    res = run_process(
        ["sh", "-c", _script(pidfile, deaf=deaf, then="sleep 30")],
        stdin=None,
        env=dict(os.environ),
        cwd=tmp_path,
        stdout_path=tmp_path / "x.out",
        stderr_path=tmp_path / "x.err",
        timeout=3.0,  # (the daemon is to start first: a loaded runner can take more than 0.5 s over it)
        cancel=threading.Event(),
        grace=0.3,
        token=_token(),
    )
    watcher.join()
    assert res.timed_out
    assert daemons and _ended(daemons[0]), "the daemon that left the group outlived its timed-out attempt"


def test_a_process_without_the_token_is_never_ended(tmp_path: Path, daemons: list[int]) -> None:
    """Only the stopped child's own descendants carry its token: an unrelated process is left alone."""
    env = {k: v for k, v in os.environ.items() if k != SPAWN_VAR}
    other = subprocess.Popen(["sleep", "30"], env={**env, SPAWN_VAR: _token()}, start_new_session=True)
    daemons.append(other.pid)
    res = run_process(
        ["sh", "-c", "sleep 30"],
        stdin=None,
        env=env,
        cwd=tmp_path,
        stdout_path=tmp_path / "x.out",
        stderr_path=tmp_path / "x.err",
        timeout=0.3,
        cancel=threading.Event(),
        grace=0.3,
        token=_token(),
    )
    assert res.timed_out and other.poll() is None
    other.kill()
    other.wait()


@pytest.mark.parametrize("checked", [False, True], ids=["inline", "worker"])
def test_a_build_stopped_by_a_timeout_leaves_no_escaped_daemon_and_no_temp(
    tmp_path: Path, checked: bool
) -> None:
    """Through the CLI: the attempt times out, agentmake exits 1, and nothing of the task is left running or
    left behind beside its output (the daemon wrote into the staged file after the build had ended)."""
    pidfile = tmp_path / "daemon.pid"
    # (a 3 s limit: room for the daemon to start and write its pid on a loaded runner; left alive, it would
    # write 0.5 s after the limit)
    daemon = (
        f"setsid sh -c 'echo $$ > {pidfile}; sleep 3.5; echo late >> {{output}}' </dev/null >/dev/null 2>&1 &"
    )
    check = '\n    check = "true"' if checked else ""
    (tmp_path / "Agentfile").write_text(
        f'agent d:\n    run = "{daemon} sleep 30"\n    outputs = out/x.txt\n    timeout = 3s\n'
        f"    retries = 0{check}\n"
    )
    env = dict(os.environ, NO_COLOR="1", CI="1")
    proc = subprocess.run(
        [sys.executable, "-m", "agentmake"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    pid = int(pidfile.read_text())
    try:
        assert proc.returncode == 1 and "timed out" in proc.stderr, proc
        assert _ended(pid), "the daemon outlived the build"
        time.sleep(0.8)  # (past the moment the daemon would have written)
        assert os.listdir(tmp_path / "out") == [], os.listdir(tmp_path / "out")
    finally:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
