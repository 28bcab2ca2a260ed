"""A Ctrl-C given while agentmake is stopped (Ctrl-Z, then `kill -INT`, then `fg`) interrupts the build once
it is continued, as one given while it runs: its agents, continued, are ended by SIGTERM, and it exits 130."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E, as_a_job, group_alive, group_stopped, kill_quietly, process_state, wait_for


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


TICK = "while :; do echo t >> ticks; sleep 0.05; done"
AGENTFILE = f"""agent ticking:
    run = "echo $$ > pid; trap 'echo term > termed; exit 143' TERM; {TICK}"
    outputs = out/x.txt
    retries = 0
"""


def test_a_ctrl_c_while_stopped_interrupts_once_continued(e2e: E2E) -> None:
    e2e.write("Agentfile", AGENTFILE, dedent=False)
    kw = as_a_job()
    proc = subprocess.Popen(  # type: ignore[call-overload]
        e2e.argv(()), cwd=e2e.root, env=e2e.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, **kw,
    )  # fmt: skip
    agent = 0
    try:
        wait_for(lambda: e2e.exists("pid") and e2e.exists("ticks"), what="the agent to tick")
        agent = int(e2e.read("pid"))  # (written before its first tick)
        proc.send_signal(signal.SIGTSTP)
        wait_for(lambda: process_state(proc.pid) == "T", what="agentmake to stop")
        wait_for(lambda: group_stopped(agent), timeout=20, what="its agent to stop")
        proc.send_signal(signal.SIGINT)
        time.sleep(0.2)
        began = time.monotonic()
        proc.send_signal(signal.SIGCONT)
        run = E2E.finish(proc, timeout=30)
        took = time.monotonic() - began
        assert run.code == 130, run
        assert not group_alive(agent)
        assert e2e.exists("termed"), "the agent was killed, not terminated: it was left stopped"
    finally:  # (whatever failed: neither agentmake nor its ticking agent is left running, or stopped)
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        if agent:
            kill_quietly(-agent)
    print(f"took {took:.2f}s")
