"""A build while `agentmake watch` holds the project: with nothing to run it says so, as a no-op build does,
and exits 0 (it stopped with "another agentmake (pid N) is using ...", exit 2, however up to date); with
something to run it runs nothing (one build at a time) and says what would run, that a watch (its pid) holds
the project and how to stop it, exit 2 (ux28)."""

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


def test_a_build_while_a_watch_runs_says_up_to_date_or_names_the_watch(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
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
        run = e2e.am()
        assert run.code == 0, run
        assert "agentmake: 0 ran, 0 cached, 1 up to date, 0 failed in " in run.out, run
        assert f"nothing to run; an `agentmake watch` (pid {watch.pid}) is using the project" in run.err, run
        forced = e2e.am("-B")
        assert forced.code == 2, forced
        said = f"1 task to run (a), but an `agentmake watch` (pid {watch.pid}) is using "
        assert said in forced.err and f"`kill {watch.pid}`" in forced.err, forced
        assert "running" not in forced.err, forced  # (nothing ran: the watch holds the project)
    finally:
        watch.send_signal(signal.SIGTERM)
        try:
            watch.wait(timeout=30)
        except subprocess.TimeoutExpired:
            kill_quietly(watch.pid)
            watch.wait(timeout=30)
