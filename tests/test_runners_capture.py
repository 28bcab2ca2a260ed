"""A child's stdout/stderr travel through pipes into the attempt's logs: a stream that printed nothing leaves
no log (nor an older one of its name), big outputs cannot deadlock, and a process that escapes the group
while holding a pipe cannot hang the attempt."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest
from conftest import RunnerProject

from agentmake.runners import process
from agentmake.runners.capture import LogFile
from agentmake.runners.process import run_process


def run(tmp_path: Path, script: str, name: str = "t.1", **kw: object) -> process.ProcResult:
    logs = tmp_path / "logs"
    logs.mkdir(exist_ok=True)
    return run_process(
        ["sh", "-c", script],
        stdin=None,
        env=None,
        cwd=tmp_path,
        stdout_path=logs / f"{name}.out",
        stderr_path=logs / f"{name}.err",
        timeout=kw.pop("timeout", 30.0),  # type: ignore[arg-type]
        cancel=threading.Event(),
        parent_death=False,
        **kw,  # type: ignore[arg-type]
    )


def test_empty_streams_leave_no_log(tmp_path: Path) -> None:
    for i in range(3):
        assert run(tmp_path, "true", f"t.{i}").exit_code == 0
    assert os.listdir(tmp_path / "logs") == []  # not a file, not a link: nothing was printed


def test_a_later_attempt_replaces_or_removes_an_older_log_of_its_name(tmp_path: Path) -> None:
    assert run(tmp_path, "echo out; echo err >&2; exit 3", "t.1").exit_code == 3
    logs = tmp_path / "logs"
    assert (logs / "t.1.out").read_text() == "out\n" and (logs / "t.1.err").read_text() == "err\n"
    assert run(tmp_path, "echo again", "t.1").exit_code == 0  # the same log name (a later run)
    assert (logs / "t.1.out").read_text() == "again\n"
    assert not (logs / "t.1.err").exists()  # the old error log does not pass for this attempt's
    for clear_logs in (True, False):  # (False: the caller promised a fresh directory; still removed)
        assert run(tmp_path, "true", "t.1", clear_logs=clear_logs).exit_code == 0
        assert not (logs / "t.1.out").exists()
        (logs / "t.1.out").write_text("stale\n")


def test_an_older_log_of_the_same_name_is_gone_while_the_attempt_runs(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "t.1.out").write_text("from an earlier run\n")
    seen: list[bool] = []
    res = run(tmp_path, "sleep 0.2", on_spawn=lambda pid, pgid: seen.append((logs / "t.1.out").exists()))
    assert res.exit_code == 0 and seen == [False]
    assert not (logs / "t.1.out").exists()


@pytest.mark.parametrize("pidfd", [True, False])
def test_big_interleaved_output_is_copied_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pidfd: bool
) -> None:
    monkeypatch.setattr(process, "_HAS_PIDFD", pidfd and process._HAS_PIDFD)
    chunk = "head -c 1000000 /dev/zero; head -c 700000 /dev/zero >&2"
    script = f"i=0; while [ $i -lt 3 ]; do {chunk}; i=$((i+1)); done"
    res = run(tmp_path, script, timeout=60.0)
    assert (res.exit_code, res.timed_out) == (0, False)
    assert os.path.getsize(tmp_path / "logs" / "t.1.out") == 3_000_000
    assert os.path.getsize(tmp_path / "logs" / "t.1.err") == 2_100_000


def test_a_process_that_left_the_group_holding_the_pipe_does_not_hang(tmp_path: Path) -> None:
    pidfile = tmp_path / "escaped.pid"
    script = f"setsid sh -c 'echo $$ > {pidfile}; exec sleep 60' & echo started; sleep 0.3"
    started = time.monotonic()
    try:
        res = run(tmp_path, script)
        took = time.monotonic() - started
        assert res.exit_code == 0
        assert took < 20, f"the attempt waited {took:.1f}s for a pipe held by an escaped process"
        assert (tmp_path / "logs" / "t.1.out").read_text() == "started\n"
    finally:
        if pidfile.exists() and pidfile.read_text().strip():
            os.kill(int(pidfile.read_text()), signal.SIGKILL)


def test_output_before_a_timeout_is_kept(tmp_path: Path) -> None:
    res = run(tmp_path, "echo before; echo oops >&2; sleep 30", timeout=3.0, grace=1.0)  # (room to echo)
    assert res.timed_out
    assert (tmp_path / "logs" / "t.1.out").read_text() == "before\n"
    assert (tmp_path / "logs" / "t.1.err").read_text() == "oops\n"


def test_a_log_that_was_written_is_never_replaced_by_a_second_close(tmp_path: Path) -> None:
    log = LogFile(tmp_path / "x.out")
    log.write(b"kept\n")
    log.close()
    log.close()
    log.write(b"late")
    assert (tmp_path / "x.out").read_text() == "kept\n"


def test_shell_task_logs_exist_and_failures_read_them(project: RunnerProject) -> None:
    (project.root / "a.txt").write_text("hello\n")
    ok = project.run(project.agent("c", outputs=("o.txt",), inputs=("a.txt",), run="cp {input} {output}"))
    assert ok.outcome == "ok", ok.message
    logs = project.root / ".agentmake" / "logs"
    assert not (logs / "c.1.out").exists()  # cp printed nothing
    bad = project.run(project.agent("c", outputs=("o.txt",), run="sh -c 'echo nope >&2; exit 4'"))
    assert bad.exit_code == 4 and "nope" in bad.message and (logs / "c.1.err").read_text() == "nope\n"


def counting_unlinks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every path `os.unlink` is asked to remove from now on (it still removes them)."""
    calls: list[str] = []
    real = os.unlink

    def unlink(path: str, *args: object, **kw: object) -> None:
        calls.append(os.fspath(path))
        real(path, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "unlink", unlink)
    return calls


def test_a_log_cleared_or_known_absent_is_not_removed_again_at_close(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`clear` removed the older log (or found none), or the caller knows none is there (`absent`: a log
    directory made in this build): `close` of a log nothing was written to asks for no second unlink."""
    stale = tmp_path / "t.1.out"
    stale.write_text("from an earlier run\n")
    calls = counting_unlinks(monkeypatch)
    log = LogFile(stale)
    log.clear()
    assert not stale.exists() and calls == [str(stale)]
    log.close()
    assert calls == [str(stale)]
    for log in (LogFile(tmp_path / "t.2.out"), LogFile(tmp_path / "t.3.out", absent=True)):
        if not log.absent:
            log.clear()  # (none there)
        calls.clear()
        log.close()
        assert calls == []


def test_a_log_neither_cleared_nor_known_absent_still_removes_an_older_one_at_close(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other side of the skip above: an older log `clear` was not asked to remove, or could not, is
    removed by `close` (a stream that printed nothing never leaves an older log passing for its own)."""
    stale = tmp_path / "t.1.out"
    stale.write_text("from an earlier run\n")
    LogFile(stale).close()
    assert not stale.exists()
    stale.write_text("from an earlier run\n")
    log = LogFile(stale)
    real = os.unlink

    def refused(path: str, *args: object, **kw: object) -> None:
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(os, "unlink", refused)
    log.clear()  # (could not remove it)
    monkeypatch.setattr(os, "unlink", real)
    assert stale.exists()
    log.close()
    assert not stale.exists()


def test_draining_non_blocking_pipes_copies_what_they_hold_and_waits_for_nothing(tmp_path: Path) -> None:
    """`Pipes.drain_ready` (the supervisor's pipes, non-blocking): what a pipe holds is copied; a pipe at its
    end is forgotten and closed; one still open (its writer alive, e.g. a process that left the group) is
    left after what it held, without waiting for more."""
    from agentmake.runners.capture import Pipes

    open_r, open_w = os.pipe()
    ended_r, ended_w = os.pipe()
    for fd in (open_r, ended_r):
        os.set_blocking(fd, False)
    os.write(open_w, b"so far\n")
    os.write(ended_w, b"all of it\n")
    os.close(ended_w)
    logs = {open_r: LogFile(tmp_path / "o.out"), ended_r: LogFile(tmp_path / "e.out")}
    pipes = Pipes(dict(logs))
    try:
        pipes.drain_ready()
        assert list(pipes.logs) == [open_r]  # (the ended one is closed)
        for log in logs.values():
            log.close()
        assert (tmp_path / "o.out").read_text() == "so far\n"
        assert (tmp_path / "e.out").read_text() == "all of it\n"
    finally:
        pipes.close()
        os.close(open_w)
