"""`agentmake --wait` while an `agentmake watch` holds the project and nothing is to run waited for the watch
to end, which it never does by itself (a script's `agentmake --wait` hung), where a plain build says "nothing
to run" and exits 0. Now --wait says the same (newuser28); with something to run it still waits, as asked."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from conftest import FakeAgents
from e2e_helpers import E2E, kill_quietly, wait_for

AGENTFILE = """\
agent a:
    inputs = a.md
    outputs = out/a.md
    run = "cat {input} > {output}"
"""


def test_wait_with_nothing_to_run_beside_a_watch_exits_0(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE, dedent=False)
    e2e.write("a.md", "alpha\n")
    assert e2e.am().code == 0
    log = tmp_path / "watch.err"
    with log.open("w") as err:
        watch = subprocess.Popen(
            e2e.argv(("watch",)), cwd=e2e.root, env=e2e.env(), stdout=subprocess.DEVNULL,
            stderr=err, stdin=subprocess.DEVNULL, text=True,
        )  # fmt: skip
    try:
        wait_for(lambda: "watching for changes" in log.read_text() or watch.poll() is not None,
                 what="the watch to start")  # fmt: skip
        assert watch.poll() is None, log.read_text()
        run = e2e.am("--wait", timeout=120)  # (it waited for ever: TimeoutExpired)
        assert run.code == 0, run
        assert "agentmake: 0 ran, 0 cached, 1 up to date, 0 failed in " in run.out, run
        assert f"nothing to run; an `agentmake watch` (pid {watch.pid}) is using the project" in run.err, run
    finally:
        watch.send_signal(signal.SIGTERM)
        try:
            watch.wait(timeout=30)
        except subprocess.TimeoutExpired:
            kill_quietly(watch.pid)
            watch.wait(timeout=30)
