"""`agentmake --help` tells the exit statuses a script can rely on, and they hold: 0 for a report of stale
work (status, -n), 1 for -q with something stale and for a --budget that left tasks not run, 2 for another
agentmake holding the project when there is something to run (a watch idles with its lock),
130 for SIGTERM."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """\
agent sum:
    runner = claude
    prompt = "Summarise {{ name }}"
    inputs = docs/{name}.md
    outputs = build/{name}.md
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e = E2E(tmp_path / "proj", fake_agents)
    e.write("docs/a.md", "a\n")
    e.write("docs/b.md", "b\n")
    e.write("Agentfile", AGENTFILE)
    return e


def test_help_tells_the_exit_statuses(e2e: E2E) -> None:
    run = e2e.am("--help")
    assert run.code == 0, run
    text = run.out[run.out.index("exit status:") :]
    for code in ("0 ", "1 ", "2 ", "130 "):
        assert f"\n  {code}" in text, text
    assert "-q found something stale" in text and "another agentmake using the project" in text, text
    assert "--budget left tasks" in text and "SIGTERM" in text, text


def test_the_statuses_hold(e2e: E2E) -> None:
    assert e2e.am("status").code == 0 and e2e.am("-n").code == 0  # (stale, reported)
    assert e2e.am("-q").code == 1
    budget = e2e.am("-j", "1", "--budget", "0.000001")
    assert budget.code == 1 and budget.summary.not_run == 1, budget
    assert e2e.am().code == 0 and e2e.am("-q").code == 0


def test_a_watch_holding_the_project_makes_a_build_exit_2_and_sigterm_130(e2e: E2E) -> None:
    watch = e2e.spawn("watch")
    try:
        deadline = time.monotonic() + 30
        while not (e2e.exists("build/a.md") and e2e.exists("build/b.md")) and time.monotonic() < deadline:
            time.sleep(0.1)
        idle = e2e.am("-s")  # (nothing to run: up to date, the watch named; ux28)
        assert idle.code == 0 and "an `agentmake watch`" in idle.err, idle
        busy = e2e.am("-s", "-B")  # (something to run: not while the watch holds the project)
        assert busy.code == 2 and "an `agentmake watch`" in busy.err, busy
    finally:
        watch.send_signal(signal.SIGTERM)
        ended = E2E.finish(watch, ("watch",))
    assert ended.code == 130, ended
