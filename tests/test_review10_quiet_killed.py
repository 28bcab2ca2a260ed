"""A build killed with -9 that spent nothing (a shell task under way, no agent paid) is taken over once: the
build that takes it over finds nothing in its logs and marks it reported (`recover.take_over`), so no later
build looks in the logs for it again (`scheduler.earlier.find_left`: one listing of the log directory, a
stat of each key file written since, at every build while the journal kept it: 20 builds). Before, only a
killed build with spend was ever marked reported."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E, kill_quietly, wait_for

from agentmake.store import Store

SLOW = """\
agent slow:
    inputs = docs/a.md
    outputs = build/slow.md
    run = "touch started; test -f stop || sleep 60; cp {input} {output}"
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def _killed_spans(root: Path) -> list[tuple[int, float, float | None]]:
    with Store.open(root) as store:
        return store.killed_spans()


def test_a_killed_build_that_spent_nothing_is_looked_for_in_the_logs_once(e2e: E2E) -> None:
    e2e.write("Agentfile", SLOW)
    e2e.write("docs/a.md", "one\n")
    build = e2e.spawn("-j1")
    try:
        wait_for(lambda: (e2e.root / "started").exists(), what="the shell task")
    finally:
        kill_quietly(build.pid, signal.SIGKILL)
        E2E.finish(build)
    assert len(_killed_spans(e2e.root)) == 1
    (e2e.root / "stop").touch()
    run = e2e.am("-j1")
    assert run.code == 0 and run.summary.ran == 1, run
    assert "interrupted run" not in run.out, run
    assert _killed_spans(e2e.root) == []
    again = e2e.am("-j1")
    assert again.code == 0 and again.summary.up_to_date == 1, again
