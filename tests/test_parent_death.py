"""LLM agents and check commands die with agentmake (a parent-death signal), and no Python code runs in the
child between fork and exec: a `preexec_fn` did, and a child that found a lock taken at fork time hung its
worker in Popen for good (and every worker whose pipes it had inherited). Real processes throughout."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")

# a parent that starts `sleep` as an LLM agent is started, in a worker thread, and prints the child's pid
PARENT = textwrap.dedent(
    """
    import os, sys, threading
    from pathlib import Path
    from agentmake.runners.process import run_process

    def agent():
        run_process(
            sys.argv[1:], stdin=b"prompt", env=None, cwd=Path("."), stdout_path=Path("a.out"),
            stderr_path=Path("a.err"), timeout=60, cancel=threading.Event(),
            on_spawn=lambda pid, pgid: print(pid, flush=True), parent_death=True,
        )

    threading.Thread(target=agent).start()
    """
)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _program(pid: int) -> bytes:
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read().split(b"\0")[0]


def test_an_agent_dies_when_agentmake_is_killed(tmp_path: Path) -> None:
    argv = [sys.executable, "-c", PARENT, "sleep", "60"]
    with subprocess.Popen(argv, cwd=tmp_path, stdout=subprocess.PIPE, text=True) as parent:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        # (it starts as a small Python program that sets the signal, then becomes `sleep`: a loaded machine
        # can take longer than any fixed pause over that, so wait for it)
        deadline = time.monotonic() + 20
        while _program(child) != b"sleep" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _program(child) == b"sleep"  # the agent itself, in the process that was started
        parent.kill()
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), "the agent outlived agentmake's kill -9"


def test_no_python_code_runs_in_an_agents_child_before_exec(tmp_path: Path) -> None:
    # an at-fork hook stands for any Python code in a forked copy of agentmake (a `preexec_fn` runs such
    # hooks, then itself); one that needs a lock another thread holds would hang there for good
    marker = tmp_path / "python-ran-in-the-child"
    script = textwrap.dedent(
        f"""
        import os, threading
        from pathlib import Path
        from agentmake.runners.process import run_process

        os.register_at_fork(after_in_child=lambda: Path({str(marker)!r}).touch())
        res = run_process(
            ["true"], stdin=None, env=None, cwd=Path("."), stdout_path=Path("t.out"),
            stderr_path=Path("t.err"),
            timeout=30, cancel=threading.Event(), parent_death=True,
        )
        print(res.exit_code)
        """
    )
    run = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert run.stdout.strip() == "0", run.stderr
    assert not marker.exists()


def test_an_agent_that_cannot_be_started_says_so_as_before(tmp_path: Path) -> None:
    import threading

    from agentmake.runners.process import run_process

    def start(argv: list[str]) -> object:
        return run_process(
            argv, stdin=None, env=None, cwd=tmp_path, stdout_path=tmp_path / "o", stderr_path=tmp_path / "e",
            timeout=30, cancel=threading.Event(), parent_death=True,
        )  # fmt: skip

    missing = start(["agentmake-no-such-cli"])
    assert missing.not_found and missing.exit_code is None  # (the runner says "command not found: install")
    (tmp_path / "plain.txt").write_text("not a program\n")
    refused = start(["./plain.txt"])
    assert refused.exit_code is None and refused.start_error and "Permission denied" in refused.start_error
    ran = start(["sh", "-c", "kill -TERM $$"])
    assert ran.exit_code == -signal.SIGTERM
