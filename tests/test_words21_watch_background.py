"""`agentmake watch &` started from a script (a background job of a non-interactive shell, job control off):
POSIX has the shell start it with SIGINT and SIGQUIT ignored, and Python leaves an ignored SIGINT ignored,
so a SIGINT (`kill -INT`) does not stop it; SIGTERM does, as Ctrl-C does (exit 130, its agents ended and
recorded), idle or during a build. What the README says where `watch` is documented, and what the watch
says once idle: `watching for changes (SIGTERM to stop: SIGINT is ignored)`, not `(Ctrl-C to stop)`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

# the script: agentmake watch as a background job, its pid and exit status written beside the project
SCRIPT = (
    '"$1" -m agentmake watch >../watch.out 2>../watch.err &'
    " echo $! >../watch.pid; wait $!; echo $? >../watch.rc"
)

AGENTFILE = """\
agent copy:
    inputs  = docs/{name}.md
    outputs = build/{name}.txt
    run     = "echo started > ../started; sleep 60; cp {input} {output}"
"""


def _wait_for(cond: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("busy", [False, True], ids=["idle", "during-a-build"])
def test_a_background_watch_from_a_script_ignores_sigint_and_stops_on_sigterm(
    tmp_path: Path, busy: bool
) -> None:
    project = tmp_path / "proj"
    (project / "docs").mkdir(parents=True)
    (project / "Agentfile").write_text(AGENTFILE)
    if busy:
        (project / "docs" / "a.md").write_text("alpha\n")
    env = {**os.environ, "NO_COLOR": "1", "CI": "1"}
    shell = subprocess.Popen(["sh", "-c", SCRIPT, "sh", sys.executable], cwd=project, env=env)
    pid = 0
    try:
        err = tmp_path / "watch.err"
        pidfile = tmp_path / "watch.pid"  # (the shell creates it before it writes the pid: wait for the line)
        _wait_for(lambda: pidfile.exists() and pidfile.read_text().endswith("\n") and err.exists(), "the job")
        pid = int(pidfile.read_text())
        if busy:
            _wait_for(lambda: (tmp_path / "started").exists(), "the agent to start")
        else:
            _wait_for(lambda: "watching" in err.read_text(), "watch to go idle")
            # (what it says is how to stop it: not Ctrl-C, which it ignores)
            assert "agentmake: watching for changes (SIGTERM to stop: SIGINT is ignored)" in err.read_text()
        os.kill(pid, signal.SIGINT)
        time.sleep(1.0)  # (a SIGINT that stopped it would have by now)
        assert _alive(pid) and not (tmp_path / "watch.rc").exists(), err.read_text()
        os.kill(pid, signal.SIGTERM)
        assert shell.wait(30) == 0
        assert (tmp_path / "watch.rc").read_text().strip() == "130", err.read_text()
        said = err.read_text()
        assert "Traceback" not in said, said
        if busy:  # (its agent ended and recorded, as by Ctrl-C)
            assert "interrupted" in said, said
            status = subprocess.run(
                [sys.executable, "-m", "agentmake", "status"], cwd=project, capture_output=True, text=True
            )
            assert "interrupted: the last build was stopped" in status.stdout, status.stdout
    finally:
        for p in (pid, shell.pid):
            if p and _alive(p):
                os.kill(p, signal.SIGKILL)
        shell.wait(10)
