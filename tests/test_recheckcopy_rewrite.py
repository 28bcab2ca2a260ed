"""A task whose `check` alone changed is re-checked on private copies of its outputs (`Decision.recheck`): a
check that rewrites `{output}` (a formatter, `sed -i`) and passes costs no call; what it wrote becomes the
task's outputs (recorded and cached, as the rewrite of a normal attempt's check is), not a "hand edit made
while the check ran". Real builds with the fake agent CLIs."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
from pathlib import Path

import pytest
from conftest import FakeAgents
from crash_helpers import crash_at
from e2e_helpers import E2E, kill_quietly, wait_for


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


AGENTS = """\
agent a:
    prompt = "FAKE: label=a answer=hello"
    outputs = a.txt
{check}
agent b:
    inputs = a.txt
    outputs = b.txt
    prompt = \"\"\"
        FAKE: label=b
        {{{{ read(input) }}}}
        \"\"\"
"""
UPPER = '    check = "sed -i s/hello/HELLO/ {output}"\n'


def agentfile(check: str = "") -> str:
    return AGENTS.format(check=check)


def saved_edits(e2e: E2E) -> list[Path]:
    edited = e2e.root / ".agentmake" / "edited"
    return [p for p in edited.rglob("*") if p.is_file()] if edited.exists() else []


def stray_temps(e2e: E2E) -> list[str]:
    return [p.name for p in e2e.root.iterdir() if ".agentmake-tmp" in p.name]


def recorded_key(e2e: E2E, task_id: str) -> str:
    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake" / "state.db")) as conn:
        return conn.execute("SELECT key FROM tasks WHERE task_id = ?", (task_id,)).fetchone()[0]


def test_a_new_check_that_rewrites_the_output_and_passes_costs_no_call(e2e: E2E) -> None:
    e2e.write("Agentfile", agentfile())
    assert e2e.am().code == 0 and sorted(e2e.calls()) == ["a", "b"]
    e2e.reset_calls()
    before = recorded_key(e2e, "a")
    e2e.write("Agentfile", agentfile(UPPER))
    run = e2e.am()
    assert run.code == 0, run
    # the re-check rewrote the output: no call for `a`, no "hand edit", and `b` reads the new content
    assert e2e.calls() == ["b"], run
    assert "changed while its check ran" not in run.err, run
    assert saved_edits(e2e) == [], run
    assert e2e.read("a.txt") == "HELLO"
    assert "HELLO" in e2e.read("b.txt")
    assert run.states == {"a": "up-to-date", "b": "done"}, run
    assert "a.txt" in run.err and "rewrote" in run.err, run  # the run says the check rewrote it
    assert recorded_key(e2e, "a") != before
    assert stray_temps(e2e) == []
    # the next build has nothing to do: the rewrite is the recorded result
    again = e2e.am()
    assert again.code == 0 and e2e.calls() == ["b"] and again.summary.up_to_date == 2, again
    # and it is cached: a deleted output comes back with no call
    (e2e.root / "a.txt").unlink()
    restored = e2e.am()
    assert restored.code == 0 and e2e.calls() == ["b"], restored
    assert restored.states.get("a") == "cached" and e2e.read("a.txt") == "HELLO", restored


def test_a_shell_agent_whose_new_check_rewrites_its_output_is_not_run_again(e2e: E2E) -> None:
    shell = (
        'agent s:\n    outputs = s.txt\n    run = "echo ran >> runs.log; echo hello > {{output}}"\n{check}'
    )
    e2e.write("Agentfile", shell.format(check=""), dedent=False)
    assert e2e.am().code == 0 and e2e.read("runs.log") == "ran\n"
    os.chmod(e2e.root / "s.txt", 0o755)  # (the copy keeps the output's mode: the executable bit is kept)
    e2e.write("Agentfile", shell.format(check=UPPER), dedent=False)
    run = e2e.am()
    assert run.code == 0 and run.summary.up_to_date == 1, run
    assert e2e.read("runs.log") == "ran\n" and e2e.read("s.txt") == "HELLO\n"
    assert saved_edits(e2e) == [] and stray_temps(e2e) == []
    assert os.stat(e2e.root / "s.txt").st_mode & 0o777 == 0o755


def test_a_check_that_passes_without_rewriting_leaves_the_output_file_untouched(e2e: E2E) -> None:
    e2e.write("Agentfile", agentfile())
    assert e2e.am().code == 0
    e2e.reset_calls()
    st = os.stat(e2e.root / "a.txt")
    e2e.write("Agentfile", agentfile('    check = "grep -q hello {output}"\n'))
    run = e2e.am()
    assert run.code == 0 and e2e.calls() == [] and run.summary.up_to_date == 2, run
    now = os.stat(e2e.root / "a.txt")
    assert (now.st_ino, now.st_mtime_ns) == (st.st_ino, st.st_mtime_ns)  # not even renamed over
    assert stray_temps(e2e) == []


def test_a_check_that_fails_after_rewriting_leaves_the_output_in_place_as_it_was(e2e: E2E) -> None:
    e2e.write("Agentfile", agentfile())
    assert e2e.am().code == 0
    e2e.reset_calls()
    # rewrites the copy, then fails: budget 0 holds the call, so the outputs in place must be as they were
    check = '    check = "sed -i s/hello/BROKEN/ {output}; false"\n'
    e2e.write("Agentfile", agentfile(check))
    run = e2e.am("--budget", "0")
    assert run.code == 1 and e2e.calls() == [], run
    assert run.states.get("a") == "not-run", run
    assert e2e.read("a.txt") == "hello" and stray_temps(e2e) == []
    assert "a.txt" in run.err and "agentmake-tmp" not in run.err, run  # (it names the output, not the copy)


def test_a_hand_edit_made_while_a_rewriting_check_runs_is_still_found(e2e: E2E) -> None:
    e2e.write("Agentfile", agentfile())
    assert e2e.am().code == 0
    e2e.reset_calls()
    started, go = e2e.root / "started", e2e.root.parent / "go"
    # (the check goes on once the edit is made, not after 1.5 s, which a loaded runner could outlast)
    wait = f"until [ -e {go} ]; do sleep 0.05; done"
    check = f'    check = "touch {started}; {wait}; sed -i s/hello/HELLO/ {{output}}"\n'
    e2e.write("Agentfile", agentfile(check))
    proc = e2e.spawn()
    try:
        wait_for(started.exists, what="the check to start")
        e2e.write("a.txt", "edited by hand while the check ran\n")
        go.touch()
        run = E2E.finish(proc)
    finally:
        kill_quietly(proc.pid)
    assert run.code == 0, run
    assert "output a.txt changed while its check ran: deciding it again" in run.err, run
    assert [p.read_text() for p in saved_edits(e2e)] == ["edited by hand while the check ran\n"], run
    assert stray_temps(e2e) == []


def test_killed_during_a_rewriting_recheck_loses_nothing_and_leaves_no_copy(e2e: E2E) -> None:
    e2e.write("Agentfile", agentfile())
    assert e2e.am().code == 0
    e2e.reset_calls()
    started = e2e.root / "started"
    check = f'    check = "sed -i s/hello/HELLO/ {{output}}; touch {started}; sleep 30"\n'
    e2e.write("Agentfile", agentfile(check))
    proc = e2e.spawn()
    try:
        wait_for(started.exists, what="the check to rewrite its copy")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        kill_quietly(proc.pid)
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
    assert e2e.read("a.txt") == "hello"  # the output in place was never touched
    started.unlink()
    e2e.write("Agentfile", agentfile(UPPER))
    run = e2e.am()
    assert run.code == 0 and e2e.calls() == ["b"], run
    assert e2e.read("a.txt") == "HELLO" and stray_temps(e2e) == [] and saved_edits(e2e) == []


def test_killed_between_recording_a_rewrite_and_renaming_it_into_place_costs_nothing(e2e: E2E) -> None:
    e2e.write("Agentfile", agentfile())
    assert e2e.am().code == 0
    e2e.reset_calls()
    e2e.write("Agentfile", agentfile(UPPER))
    crash_at(e2e, "os.rename", "/a.txt", "-j1")  # recorded and cached, not yet renamed onto a.txt
    assert e2e.calls() == [] and e2e.read("a.txt") == "hello"
    run = e2e.am()
    assert run.code == 0 and e2e.calls() == ["b"], run  # put in place from the cache: no call for `a`
    assert e2e.read("a.txt") == "HELLO" and "HELLO" in e2e.read("b.txt")
    assert stray_temps(e2e) == [] and saved_edits(e2e) == [], run


def test_a_multi_output_agent_whose_new_check_rewrites_one_output_keeps_both_with_no_call(e2e: E2E) -> None:
    multi = 'agent m:\n    prompt = "FAKE: write=x.txt,y.txt"\n    outputs = x.txt y.txt\n{check}'
    e2e.write("Agentfile", multi.format(check=""), dedent=False)
    assert e2e.am().code == 0 and len(e2e.calls()) == 1
    e2e.reset_calls()
    y = e2e.read("y.txt")
    e2e.write("Agentfile", multi.format(check='    check = "sed -i 1s/^/checked:/ {output}"\n'), dedent=False)
    run = e2e.am()
    assert run.code == 0 and e2e.calls() == [] and run.summary.up_to_date == 1, run
    assert "rewrote x.txt)" in run.err, run
    assert e2e.read("x.txt").startswith("checked:") and e2e.read("y.txt") == y
    assert stray_temps(e2e) == [] and saved_edits(e2e) == []
    again = e2e.am()
    assert again.code == 0 and e2e.calls() == [] and again.summary.up_to_date == 1, again
