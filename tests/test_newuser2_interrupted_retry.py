"""A build stopped by Ctrl-C while it waits to retry a failed task records that failure: `agentmake status`
said "the previous run failed: timed out after 1s", an older build's failure with another prompt, as if the
interrupted build had never tried. Real CLI runs with the fake claude."""

from __future__ import annotations

import signal
from pathlib import Path

from conftest import FakeAgents
from e2e_helpers import E2E, kill_quietly, wait_for
from test_statushunt_retrying import retry_logged

TIMED_OUT = """\
timeout = 1s
retries = 0

agent t:
    inputs = src.md
    outputs = out.md
    prompt = \"\"\"
        FAKE: label=t sleep=30
        {{ read(input) }}
        \"\"\"
"""

FAILING = """\
retries = 3
backoff = 60s

agent t:
    inputs = src.md
    outputs = out.md
    prompt = \"\"\"
        FAKE: label=t fail=500
        Now: {{ read(input) }}
        \"\"\"
"""


def test_status_tells_the_failure_of_a_build_interrupted_while_it_waited_to_retry(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", TIMED_OUT)
    e2e.write("src.md", "hello\n")
    first = e2e.am()
    assert first.code == 1 and "timed out" in e2e.am("status").out, first
    e2e.write("Agentfile", FAILING)
    build = e2e.spawn()
    try:
        wait_for(lambda: retry_logged(e2e.root), what="the retry logged")
        build.send_signal(signal.SIGINT)
        run = E2E.finish(build, timeout=30)
    finally:
        kill_quietly(build.pid)
    assert run.code == 130 and run.states.get("t") == "interrupted", run
    status = e2e.am("status").out
    assert "timed out" not in status, status  # (before: the older build's failure)
    assert "the previous run failed:" in status and "500" in status and "interrupted" in status, status
    assert "logs: .agentmake/logs/t.1.out" in status, status  # (its failed attempt's, as after a failure)
