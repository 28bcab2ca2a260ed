"""`runners.supervise.Supervisor`: many children watched from one thread with real processes. It keeps the
ownership rules of `run_process` without ever blocking: a timeout or a cancel ends the whole group (SIGTERM,
then SIGKILL after the grace), what a leader leaves in its group is ended, output is copied whole, and a
process that escaped the group holding a pipe cannot hang anything."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest
from e2e_helpers import alive, wait_for

from agentmake.runners import supervise
from agentmake.runners.capture import LogFile
from agentmake.runners.process import ProcResult, start_child
from agentmake.runners.supervise import Supervisor

pytestmark = pytest.mark.skipif(not supervise.available(), reason="needs pidfd, epoll and eventfd (Linux)")


def wait_dead(pid: int, limit: float = 10.0) -> bool:
    try:
        wait_for(lambda: not alive(pid), limit, f"process {pid} to end")
    except AssertionError:
        return False
    return True


def add(sup: Supervisor, tmp_path: Path, key: str, script: str, **kw: object) -> None:
    logs_dir = tmp_path / "logs"
    logs_dir.mkdir(exist_ok=True)
    logs = (LogFile(logs_dir / f"{key}.out"), LogFile(logs_dir / f"{key}.err"))
    argv = ["sh", "-c", script]
    child = start_child(argv, stdin=False, env=None, cwd=tmp_path, logs=logs, parent_death=False)
    cancel = kw.pop("cancel", None) or threading.Event()
    sup.add(key, child, kw.pop("timeout", 30.0), cancel)  # type: ignore[arg-type]


def collect(sup: Supervisor, count: int, limit: float = 30.0) -> dict[str, ProcResult]:
    """Call `wait` until `count` children are reported (each once)."""
    results: dict[str, ProcResult] = {}
    deadline = time.monotonic() + limit
    while len(results) < count:
        assert time.monotonic() < deadline, f"only {sorted(results)} of {count} ended"
        for key, res in sup.wait(0.1):
            assert key not in results, f"{key} reported twice"
            results[key] = res
    assert len(sup) == 0
    return results


@pytest.fixture
def sup() -> object:
    s = Supervisor(grace=1.0)
    yield s
    s.close()


def test_children_end_with_their_own_codes_and_output(tmp_path: Path, sup: Supervisor) -> None:
    for i in range(5):
        add(sup, tmp_path, f"t{i}", f"echo out{i}; echo err{i} >&2; sleep 0.{i}; exit {i}")
    results = collect(sup, 5)
    for i in range(5):
        assert (results[f"t{i}"].exit_code, results[f"t{i}"].timed_out) == (i, False)
        assert (tmp_path / "logs" / f"t{i}.out").read_text() == f"out{i}\n"
        assert (tmp_path / "logs" / f"t{i}.err").read_text() == f"err{i}\n"


def test_empty_streams_leave_no_log(tmp_path: Path, sup: Supervisor) -> None:
    add(sup, tmp_path, "quiet", "true")
    assert collect(sup, 1)["quiet"].exit_code == 0
    assert os.listdir(tmp_path / "logs") == []


def test_big_interleaved_output_is_copied_whole(tmp_path: Path, sup: Supervisor) -> None:
    chunk = "head -c 1000000 /dev/zero; head -c 700000 /dev/zero >&2"
    add(sup, tmp_path, "big", f"i=0; while [ $i -lt 3 ]; do {chunk}; i=$((i+1)); done", timeout=60.0)
    assert collect(sup, 1, limit=60)["big"].exit_code == 0
    assert os.path.getsize(tmp_path / "logs" / "big.out") == 3_000_000
    assert os.path.getsize(tmp_path / "logs" / "big.err") == 2_100_000


def test_timeout_ends_the_whole_group_and_keeps_the_output(tmp_path: Path, sup: Supervisor) -> None:
    # (a time limit the shell's first steps fit in on a loaded runner: a 0.5 s one could end it before them)
    add(sup, tmp_path, "slow", "sleep 60 & echo $! > bg.pid; echo before; sleep 60", timeout=3.0)
    started = time.monotonic()
    res = collect(sup, 1)["slow"]
    assert res.timed_out and not res.cancelled and res.exit_code is not None
    assert time.monotonic() - started < 30
    assert (tmp_path / "logs" / "slow.out").read_text() == "before\n"
    assert wait_dead(int((tmp_path / "bg.pid").read_text()))  # the background sleep went with its group


def test_sigterm_ignored_escalates_to_sigkill_after_the_grace(tmp_path: Path, sup: Supervisor) -> None:
    started = time.monotonic()  # (before the start: the time limit and the grace count from a later moment)
    add(sup, tmp_path, "stubborn", "trap '' TERM; echo ready; while :; do sleep 0.05; done", timeout=3.0)
    res = collect(sup, 1)["stubborn"]
    took = time.monotonic() - started
    assert res.timed_out and res.exit_code == -signal.SIGKILL
    assert (tmp_path / "logs" / "stubborn.out").read_text() == "ready\n"  # (the trap was set in time)
    assert 4.0 <= took < 30, f"SIGKILL came {took:.2f}s after the start (grace is 1s after a 3s timeout)"


def test_a_cancel_ends_the_group_and_says_so(tmp_path: Path, sup: Supervisor) -> None:
    cancel = threading.Event()
    add(sup, tmp_path, "c", "sleep 60", cancel=cancel)
    assert sup.wait(0.2) == []  # still running
    cancel.set()
    res = collect(sup, 1)["c"]
    assert res.cancelled and not res.timed_out and res.exit_code == -signal.SIGTERM


def test_what_a_leader_left_in_its_group_is_ended(tmp_path: Path, sup: Supervisor) -> None:
    add(sup, tmp_path, "leaves", "sleep 60 > /dev/null 2>&1 & echo $! > bg.pid")
    res = collect(sup, 1)["leaves"]
    assert res.exit_code == 0 and not res.timed_out
    assert wait_dead(int((tmp_path / "bg.pid").read_text()))


def test_a_process_that_left_the_group_holding_a_pipe_does_not_hang(tmp_path: Path, sup: Supervisor) -> None:
    pidfile = tmp_path / "escaped.pid"
    add(sup, tmp_path, "esc", f"setsid sh -c 'echo $$ > {pidfile}; exec sleep 60' & echo started; sleep 0.3")
    started = time.monotonic()
    try:
        res = collect(sup, 1)["esc"]
        assert res.exit_code == 0 and time.monotonic() - started < 20
        assert (tmp_path / "logs" / "esc.out").read_text() == "started\n"
    finally:
        if pidfile.exists() and pidfile.read_text().strip():
            os.kill(int(pidfile.read_text()), signal.SIGKILL)


def test_wake_from_another_thread_returns_a_wait_at_once(tmp_path: Path, sup: Supervisor) -> None:
    add(sup, tmp_path, "long", "sleep 60")
    threading.Timer(0.2, sup.wake).start()
    started = time.monotonic()
    assert sup.wait(20.0) == []
    assert time.monotonic() - started < 10  # woken, not timed out


def test_close_kills_what_is_still_running(tmp_path: Path) -> None:
    sup = Supervisor(grace=1.0)
    add(sup, tmp_path, "long", "echo $$ > leader.pid; sleep 60")
    pidfile = tmp_path / "leader.pid"
    deadline = time.monotonic() + 10
    while not (pidfile.exists() and pidfile.read_text().endswith("\n")) and time.monotonic() < deadline:
        sup.wait(0.05)  # (the file exists a moment before the shell has written its pid)
    pid = int(pidfile.read_text())
    sup.close()
    assert wait_dead(pid)


def test_a_child_that_cannot_be_watched_is_killed_and_closed(
    tmp_path: Path, sup: Supervisor, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "logs").mkdir()
    logs = (LogFile(tmp_path / "logs" / "x.out"), LogFile(tmp_path / "logs" / "x.err"))
    child = start_child(["sleep", "60"], stdin=False, env=None, cwd=tmp_path, logs=logs, parent_death=False)
    fds_before = set(child.pipes.logs)

    def no_pidfd(pid: int, flags: int = 0) -> int:
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(os, "pidfd_open", no_pidfd)
    with pytest.raises(OSError):
        sup.add("x", child, None, threading.Event())
    assert child.proc.returncode == -signal.SIGKILL  # killed and reaped
    assert child.pipes.logs == {} and len(sup) == 0
    for fd in fds_before:
        with pytest.raises(OSError):
            os.fstat(fd)


def test_a_pipe_closed_while_another_process_holds_a_copy_never_blocks_a_wait(
    tmp_path: Path, sup: Supervisor
) -> None:
    """A child a spawner thread is starting holds a copy of every descriptor until its exec. A pipe closed
    meanwhile must leave the epoll set first: else its end of file is reported under its number, given since
    to the next child's pipe, and the read of that pipe blocks the scheduler thread until the child writes."""
    import subprocess

    add(sup, tmp_path, "x", "echo x; sleep 0.3")
    stdout_fd = next(iter(next(iter(sup.by_pidfd.values())).child.pipes.logs))
    holder = subprocess.Popen(["sleep", "5"], pass_fds=[stdout_fd])  # the copy the vfork child would hold
    try:
        assert collect(sup, 1)["x"].exit_code == 0
        add(sup, tmp_path, "y", "sleep 3; echo y")
        watched_y = next(iter(sup.by_pidfd.values()))
        assert stdout_fd in watched_y.child.pipes.logs  # the number was given to y's pipe
        started = time.monotonic()
        assert sup.wait(0.2) == []
        assert time.monotonic() - started < 1.5  # not blocked until y writes
    finally:
        holder.kill()
        holder.wait()


def test_a_group_ended_after_its_leader_never_touches_a_later_childs_descriptor(
    tmp_path: Path, sup: Supervisor
) -> None:
    """The leader's pidfd is closed when it exits; its number may go to the next child's pidfd while the
    group it left behind is still being ended. Finishing that group must not close the newer descriptor."""
    stubborn = "sh -c 'trap \"\" TERM; : > ready; exec sleep 60' > /dev/null 2>&1 &"
    add(sup, tmp_path, "leaves", stubborn + " while [ ! -e ready ]; do sleep 0.01; done")
    leaves_pidfd = next(iter(sup.by_pidfd))
    deadline = time.monotonic() + 10
    while leaves_pidfd in sup.by_pidfd and time.monotonic() < deadline:
        assert sup.wait(0.05) == []  # the leader exits at once; its group lives on, ignoring SIGTERM
    lower: list[int] = []  # lower free numbers, taken so that none of them goes to the later pidfd
    while (hold := os.open(os.devnull, os.O_RDONLY)) != leaves_pidfd:
        assert hold < leaves_pidfd
        lower.append(hold)
    logs = (LogFile(tmp_path / "logs" / "later.out"), LogFile(tmp_path / "logs" / "later.err"))
    argv = ["sh", "-c", "sleep 2; exit 7"]
    later = start_child(argv, stdin=False, env=None, cwd=tmp_path, logs=logs, parent_death=False)
    os.close(hold)  # the number `hold` kept from the later child's pipes goes to its pidfd
    sup.add("later", later, 30.0, threading.Event())
    for fd in lower:
        os.close(fd)
    assert next(iter(sup.by_pidfd)) == leaves_pidfd
    results = collect(sup, 2)
    assert results["leaves"].exit_code == 0 and results["later"].exit_code == 7
