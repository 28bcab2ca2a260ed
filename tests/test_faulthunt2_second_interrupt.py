"""A second Ctrl-C ends the build now, as make's and ninja's do: the first asks every agent to end (SIGTERM)
and waits a grace for it; an agent that ignores SIGTERM held the build for all of it, whatever the user
pressed meanwhile. A Ctrl-C (or SIGTERM) that comes while agents are being ended now kills them (SIGKILL),
on the scheduler's thread (shell agents, `supervise`) and on workers (a checked one, `process`).

The grace is made a minute here (a real CLI with agentmake's code, only that default changed), so a build
that waited for it fails the test's own limit rather than passing slowly."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E, Run, alive, kill_quietly, wait_for

from agentmake.runners.groups import hurry, unhurried
from agentmake.runners.process import run_process

LONG_GRACE = textwrap.dedent(
    """
    import sys
    from agentmake.runners import base, process
    base.ExecutorBase.__init__.__kwdefaults__["grace"] = 60.0
    process.run_process.__kwdefaults__["grace"] = 60.0
    sys.argv = ["agentmake", *sys.argv[1:]]
    from agentmake.cli import main
    sys.exit(main())
    """
)

# ignores SIGTERM, but says it came (the group's `sleep` dies of it, so the trap runs at once)
DEAF = "trap 'echo > {name}.term' TERM; echo $$ > {name}.pid; while :; do sleep 0.05; done"


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


@pytest.mark.parametrize("second", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_second_interrupt_kills_agents_that_ignore_sigterm(e2e: E2E, second: signal.Signals) -> None:
    e2e.write(
        "Agentfile",
        f"""agent inline:
    run = "{DEAF.format(name="inline")}"
    outputs = out/a.txt
agent worker:
    run = "{DEAF.format(name="worker")}"
    outputs = out/b.json
    check = json
""",
        dedent=False,
    )
    argv = [sys.executable, "-c", LONG_GRACE]
    proc = subprocess.Popen(
        argv, cwd=e2e.root, env=e2e.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    pids: list[int] = []
    try:
        for name in ("inline", "worker"):
            wait_for(lambda n=name: e2e.exists(f"{n}.pid") and e2e.read(f"{n}.pid").strip(), what=name)
            pids.append(int(e2e.read(f"{name}.pid")))
        proc.send_signal(signal.SIGINT)
        wait_for(lambda: e2e.exists("inline.term") and e2e.exists("worker.term"), what="the SIGTERMs")
        proc.send_signal(second)
        out, err = proc.communicate(timeout=30)  # (well before the grace of a minute is over)
    finally:
        kill_quietly(proc.pid)
        for pid in pids:
            kill_quietly(-pid)
    run = Run((), proc.returncode, out, err)
    assert run.code == 130, run
    assert run.summary.interrupted == 2, run
    assert not any(alive(pid) for pid in pids)
    assert not e2e.exists("out/a.txt") and not e2e.exists("out/b.json")
    # and the next build runs both again
    e2e.write(
        "Agentfile", 'agent inline:\n    run = "echo a > {output}"\n    outputs = out/a.txt\n', dedent=False
    )
    again = e2e.am()
    assert again.code == 0 and again.summary.ran == 1, again


def test_hurry_ends_the_grace_of_a_group_being_ended(tmp_path: Path) -> None:
    """`run_process` ending a child that ignores SIGTERM (a cancel) kills it as soon as `hurry` is called."""
    pidfile = tmp_path / "pid"
    cancel = threading.Event()
    script = f"trap 'echo > {tmp_path / 'term'}' TERM; echo $$ > {pidfile}; while :; do sleep 0.05; done"
    result: list[object] = []

    def run() -> None:
        result.append(
            run_process(
                ["sh", "-c", script],
                stdin=None,
                env=None,
                cwd=tmp_path,
                stdout_path=tmp_path / "o",
                stderr_path=tmp_path / "e",
                timeout=None,
                cancel=cancel,
                grace=60.0,
                parent_death=False,
            )
        )

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: pidfile.exists() and pidfile.read_text().strip(), what="the child")
        cancel.set()
        wait_for(lambda: (tmp_path / "term").exists(), what="its SIGTERM")
        hurry()
        thread.join(timeout=30)
        assert not thread.is_alive() and len(result) == 1
    finally:
        unhurried()
        kill_quietly(-int(pidfile.read_text()))
    assert not alive(int(pidfile.read_text()))
