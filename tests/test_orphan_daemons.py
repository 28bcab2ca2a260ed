"""agentmake killed with SIGKILL while an agent runs that started a process outside its group (`setsid`, a
daemon's double fork): the next build ended the agent's group (found by the spawn log) but not that process,
which ran on for ever, maybe writing into the project while the next build ran the task again. It holds the
spawn token of the logged process, exact and this build's own, so the next build finds it by that token and
ends it too. Real processes: the CLI, kill -9, /proc."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from e2e_helpers import alive, wait_for

from agentmake.runners import supervise

pytestmark = pytest.mark.skipif(not supervise.available(), reason="Linux: /proc, pidfd")


def test_the_next_build_ends_a_daemon_a_killed_build_left(tmp_path: Path) -> None:
    pidfile = tmp_path / "daemon.pid"
    daemon = f"setsid sh -c 'echo $$ > {pidfile}; while :; do sleep 0.05; done' </dev/null >/dev/null 2>&1 &"
    (tmp_path / "Agentfile").write_text(
        f'mode = "hang"\nagent d:\n    inputs = src.txt\n    outputs = out.txt\n'
        f'    run = "if [ ${{mode}} = hang ]; then {daemon} while :; do sleep 0.05; done; fi; '
        f'cp {{input}} {{output}}"\n'
    )
    (tmp_path / "src.txt").write_text("x\n")
    env = dict(os.environ, NO_COLOR="1", CI="1")
    build = subprocess.Popen(
        [sys.executable, "-m", "agentmake"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    pid = 0
    try:
        wait_for(lambda: pidfile.exists() and pidfile.read_text().strip(), what="the daemon to start")
        pid = int(pidfile.read_text())
        build.kill()
        build.wait(timeout=30)
        assert alive(pid)  # (what the kill left running)
        run = subprocess.run(
            [sys.executable, "-m", "agentmake", "mode=done"], cwd=tmp_path, env=env, capture_output=True,
            text=True, timeout=60,
        )  # fmt: skip
        assert run.returncode == 0, run
        assert "ended what a killed agentmake left running" in run.stderr, run.stderr
        wait_for(lambda: not alive(pid), 30, "the daemon to end")
    finally:
        with contextlib.suppress(ProcessLookupError):
            build.kill()
        if pid and alive(pid):
            os.kill(pid, signal.SIGKILL)
