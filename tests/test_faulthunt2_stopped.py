"""agentmake stopped (SIGSTOP, a Ctrl-Z) while a shell agent runs, and continued after the agent's time limit
has passed: the agent had finished within it, meanwhile, so its attempt succeeded and is not timed out. The
scheduler's own thread (`runners.supervise`) used to look at the deadline before the exit, and threw the
finished attempt away ("timed out after 1s") where a worker thread (`process.run_process`) kept it."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E, wait_for

from agentmake.runners import supervise


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


@pytest.mark.parametrize("checked", [False, True], ids=["inline", "worker"])
def test_an_agent_that_ended_in_time_while_agentmake_was_stopped_is_not_timed_out(
    e2e: E2E, checked: bool
) -> None:
    if not checked and not supervise.available():
        pytest.skip("no inline attempts here")
    check = "\n    check = json" if checked else ""
    # the agent says it started, waits for `go`, writes its output and exits: all while agentmake is stopped
    # (3 s: room for this test to see it start and stop agentmake within its limit on a loaded runner)
    e2e.write(
        "Agentfile",
        f"""agent quick:
    run = "echo > started; while [ ! -e go ]; do sleep 0.01; done; echo '{{{{}}}}' > {{output}}; echo > ended"
    outputs = out/x.json
    timeout = 3s
    retries = 0{check}
""",
        dedent=False,
    )
    proc = e2e.spawn()
    try:
        wait_for(lambda: e2e.exists("started"), what="the agent to start")
        began = time.monotonic()  # (the agent started before this: its deadline is sooner)
        proc.send_signal(signal.SIGSTOP)
        e2e.write("go", "")
        wait_for(lambda: e2e.exists("ended"), what="the agent to end")
        wait_for(lambda: time.monotonic() > began + 3.2, what="the agent's time limit to pass")
    finally:
        proc.send_signal(signal.SIGCONT)
    run = E2E.finish(proc)
    assert run.code == 0, run
    assert "timed out" not in run.text and run.summary.ran == 1, run
    assert e2e.read("out/x.json") == "{}\n"
    again = e2e.am()
    assert again.code == 0 and again.summary.up_to_date == 1, again
