"""`agentmake -t` does first what a build does first (`scheduler.recover.take_over`), as `clean` does: it
ends what a `kill -9`ed agentmake left running, and finishes the commits it cut short (the result recorded,
and paid for, put in place), saying so; only then does it decide what to touch. Before, -t left a live agent
writing behind it, and recorded the old output of a cut-short commit as the task's result (the next build
then kept it, the paid answer gone from place)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from crash_helpers import crash_at
from e2e_helpers import E2E, group_alive, kill_quietly, wait_for
from test_faults_clean import _SLOW, _recorded_running

AGENTFILE = '''\
agent translate:
    inputs = docs/{name}.md
    outputs = build/{name}.md
    prompt = """
        FAKE: label={{ name }}
        Translate: {{ read(input) }}
        """
'''


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def test_touch_finishes_a_commit_a_killed_build_cut_short(e2e: E2E) -> None:
    e2e.write("Agentfile", AGENTFILE)
    e2e.write("docs/a.md", "one\n")
    assert e2e.am().code == 0
    e2e.write("docs/a.md", "one\ntwo\n")
    crash_at(e2e, "os.rename", "build/a.md", "-j1")  # recorded and cached, not in place
    assert e2e.read("build/a.md") == "ANSWER:\nTranslate: one\n"
    e2e.reset_calls()
    run = e2e.am("-t")
    assert run.code == 0, run
    assert "agentmake: finished translate:a's commit" in run.err, run
    assert e2e.read("build/a.md") == "ANSWER:\nTranslate: one\ntwo\n", run  # the answer paid for
    again = e2e.am()
    assert again.code == 0 and again.summary.up_to_date == 1 and e2e.calls() == [], again
    assert e2e.read("build/a.md") == "ANSWER:\nTranslate: one\ntwo\n"


def test_touch_ends_what_a_killed_build_left_running(e2e: E2E) -> None:
    e2e.write("Agentfile", _SLOW)
    proc = e2e.spawn()
    pgid = 0
    try:
        wait_for(lambda: e2e.exists("agent.pgid") and e2e.read("agent.pgid").strip(), what="the agent")
        pgid = int(e2e.read("agent.pgid"))
        wait_for(lambda: _recorded_running(e2e), what="the agent in the running table")
        proc.kill()
        proc.communicate(timeout=30)
        assert group_alive(pgid), "the agent outlived agentmake (the fault to clean up after)"
        dry = e2e.am("-t", "-n")
        assert group_alive(pgid) and "would end slow's process" in dry.out, dry  # (said, not done)
        run = e2e.am("-t")
        assert run.code == 1 and "output out/slow.txt is missing" in run.err, run  # (not touched)
        assert not group_alive(pgid), run
        killed = "still running after an agentmake that was killed started it"
        assert f"agentmake: ended slow's process {pgid} and its group, {killed}" in run.err, run
    finally:
        if pgid:
            kill_quietly(-pgid)


def test_touch_dry_run_decides_as_touch_finds_the_outputs_after_the_take_over(e2e: E2E) -> None:
    """-t -n says what -t does: a cut-short commit's task is up to date once its result is put in place (not
    "not touched: agentmake's result for other inputs"), and a task reading its output is touched."""
    e2e.write("Agentfile", AGENTFILE + "\nagent count:\n    inputs = build/a.md\n    outputs = n.txt\n"
              '    run = "wc -l < {input} > {output}"\n')  # fmt: skip
    e2e.write("docs/a.md", "one\n")
    assert e2e.am().code == 0
    e2e.write("docs/a.md", "one\ntwo\n")
    crash_at(e2e, "os.rename", "build/a.md", "-j1", "translate:a")  # recorded and cached, not in place
    dry = e2e.am("-t", "-n")
    assert dry.code == 0 and "would finish translate:a's commit" in dry.out, dry
    assert "not touched" not in dry.out and "would touch count" in dry.out, dry
    assert "agentmake: 1 to touch, 1 up to date (dry run)" in dry.out, dry
    assert e2e.read("build/a.md") == "ANSWER:\nTranslate: one\n"  # (-n: nothing put in place)
    run = e2e.am("-t")
    assert run.code == 0 and "agentmake: 1 touched, 1 up to date in" in run.out, run
