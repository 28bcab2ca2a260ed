"""What a build killed with -9 spent is reported once, by the next build, as paid by an interrupted run, and
counted against that build's `--budget` before it starts any call: every history row the killed build wrote
(results renamed into place before the kill, results it recorded and then could not rename, even onto an
identical old output, tasks that failed after paying for their attempts), not only the commits the next
build finishes. A recovering build that is itself killed leaves that report to the build after it (the mark
that a spend was reported lands with the summary that shows it, `Journal.end_run`). Real CLI runs with the
fake agents, killed at a chosen moment (`crash_at`)."""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from pathlib import Path

import pytest
from conftest import FakeAgents
from crash_helpers import crash_at
from e2e_helpers import E2E, Run

from agentmake.scheduler.summary import usd
from agentmake.workflow.takeover import KILLED

CHAIN = '''\
agent first:
    inputs = docs/a.md
    outputs = build/a.md
    prompt = """
        FAKE: label=a
        Translate: {{ read(input) }}
        """

agent second:
    inputs = build/a.md
    outputs = build/b.md
    prompt = """
        FAKE: label=b
        Summarise: {{ read(input) }}
        """
'''

FAILS_ONCE = '''
agent bad:
    inputs = docs/a.md
    outputs = build/bad.md
    prompt = """
        FAKE: label=bad stopped=error_max_turns times=1
        Fail: {{ read(input) }}
        """
'''


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def _costs(e2e: E2E) -> dict[str, float]:
    """What each task's last build spent on it, as `status` shows it."""
    rows = json.loads(e2e.am("status", "--json").out)
    return {r["task"]: float(r["last_cost"]) for r in rows if r["last_cost"]}


def _earlier(run: Run) -> str | None:
    """What the summary line says an interrupted run paid, as it prints it (None if it says nothing)."""
    line = next(ln for ln in run.out.splitlines() if ln.startswith("agentmake: "))
    if "paid by an interrupted run" not in line:
        return None
    part = re.search(r"\$[0-9.]+ \((\$[0-9.]+) of it paid by an interrupted run\)", line)
    if part is not None:
        return part[1]
    whole = re.search(r"(\$[0-9.]+) \(paid by an interrupted run\)", line)
    assert whole is not None, line
    return whole[1]


def _reported_once(e2e: E2E, paid: float, *args: str) -> Run:
    """The next build reports `paid` as paid by an interrupted run; the one after it, nothing of it."""
    run = e2e.am("-j1", *args)
    assert run.code == 0, run
    assert _earlier(run) == usd(paid), (run, paid)
    again = e2e.am("-j1", *args)
    assert again.code == 0 and "interrupted run" not in again.out, again
    return run


def test_results_renamed_before_the_kill_are_reported_by_the_next_build(e2e: E2E) -> None:
    e2e.write("Agentfile", CHAIN)
    e2e.write("docs/a.md", "one\n")
    killed = crash_at(e2e, "os.rename", "build/b.md", "-j1")  # a renamed; b recorded, not in place
    assert "agentmake: " not in killed.out and e2e.exists("build/a.md")
    costs = _costs(e2e)
    assert set(costs) == {"first", "second"}, costs
    e2e.reset_calls()
    run = _reported_once(e2e, costs["first"] + costs["second"])
    assert e2e.calls() == [] and f"${run.summary.cost}" == usd(sum(costs.values())), run
    assert "counted what a killed agentmake spent and never reported (2): first, second" in run.err, run


def test_an_answer_identical_to_the_old_output_is_reported_by_the_next_build(e2e: E2E) -> None:
    e2e.write("Agentfile", CHAIN.split("agent second")[0])
    e2e.write("docs/a.md", "one\n")
    assert e2e.am("-j1").code == 0
    crash_at(e2e, "os.rename", "build/a.md", "-j1", "-B")  # the same answer again, recorded, not renamed
    paid = _costs(e2e)["first"]
    e2e.reset_calls()
    run = _reported_once(e2e, paid)
    assert e2e.calls() == [] and run.summary.up_to_date == 1, run


def test_a_failed_tasks_paid_attempts_are_reported_by_the_next_build(e2e: E2E) -> None:
    e2e.write("Agentfile", CHAIN.replace("label=b", "label=b sleep=1") + FAILS_ONCE)
    e2e.write("docs/a.md", "one\n")
    killed = crash_at(e2e, "os.rename", "build/b.md", "-j2", "-k")  # bad failed (and paid) before b ended
    assert "agentmake: " not in killed.out
    costs = _costs(e2e)
    from agentmake.store import Store

    with Store.open(e2e.root) as store:  # (what bad's failed attempt cost: the fake's error result's price)
        [bad] = [a for a in store.attempts() if a.task_id == "bad"]
    assert bad.state == "failed" and bad.cost_usd, bad
    e2e.reset_calls()
    run = _reported_once(e2e, costs["first"] + costs["second"] + bad.cost_usd, "-k")
    assert e2e.calls() == ["bad"], run  # (asked again: it failed; its new answer is this build's own spend)


def test_a_recovering_build_killed_in_turn_leaves_the_report_to_the_next_one(e2e: E2E) -> None:
    e2e.write("Agentfile", CHAIN.replace("inputs = build/a.md", "inputs = docs/c.md"))
    e2e.write("docs/a.md", "one\n")
    e2e.write("docs/c.md", "sea\n")
    crash_at(e2e, "os.rename", "build/a.md", "-j1", "first")  # first recorded, cut short of its rename
    paid_first = _costs(e2e)["first"]
    crash_at(e2e, "os.rename", "build/b.md", "-j1")  # finishes first's commit, pays for second, killed
    assert e2e.read("build/a.md").startswith("ANSWER:")
    costs = _costs(e2e)
    e2e.reset_calls()
    run = _reported_once(e2e, paid_first + costs["second"])
    assert e2e.calls() == [], run


def test_spend_a_build_finds_at_its_start_holds_its_first_call(e2e: E2E) -> None:
    e2e.write("Agentfile", CHAIN)
    e2e.write("docs/a.md", "one\n")
    crash_at(e2e, "os.rename", "build/b.md", "-j1")
    costs = _costs(e2e)
    third = CHAIN.split("\n\n", 1)[1].replace("second", "third").replace("b.md", "c.md")
    e2e.write("Agentfile", CHAIN + "\n" + third)
    e2e.reset_calls()
    budget = costs["second"] + costs["first"] / 2  # reached by what the killed build spent, not by b's alone
    run = e2e.am("-j1", "--budget", f"{budget:.8f}")
    assert e2e.calls() == [] and run.summary.not_run == 1, run
    assert _earlier(run) == usd(sum(costs.values())), run


def test_clean_says_what_a_killed_build_spent_once_and_no_build_counts_it_again(e2e: E2E) -> None:
    e2e.write("Agentfile", CHAIN)
    e2e.write("docs/a.md", "one\n")
    crash_at(e2e, "os.rename", "build/b.md", "-j1")  # a renamed, b recorded and cut short
    costs = _costs(e2e)
    run = e2e.am("clean")
    assert run.code == 0, run
    assert f"finished second's commit, which {KILLED} cut short:" in run.out, run
    assert f"; it cost {usd(costs['second'])}, paid by the interrupted run" in run.out, run
    assert f"first (done) cost {usd(costs['first'])}, paid by {KILLED}, which reported none" in run.out, run
    e2e.reset_calls()
    build = e2e.am("-j1")  # (restored from the cache: no call, nothing more to report)
    assert build.code == 0 and e2e.calls() == [] and "interrupted run" not in build.out, build


def test_a_database_from_before_takes_its_unended_builds_as_reported(tmp_path: Path) -> None:
    from agentmake.store import AttemptRecord, Store

    for old in (False, True):
        root = tmp_path / f"old-{old}"
        root.mkdir()
        with Store.open(root) as store:
            run = store.begin_run()  # (never ended: killed)
            store.record_attempt(AttemptRecord(run, "a", "done", 1.0, 2.0, 1, 0.25, 10, 5))
        if old:  # (a database an agentmake made before `runs.summed_by`)
            with contextlib.closing(sqlite3.connect(root / ".agentmake" / "state.db")) as conn, conn:
                conn.execute("ALTER TABLE runs DROP COLUMN summed_by")
        with Store.open(root) as store:
            found = store.spend_unsummed(None)
            assert [(a.task_id, a.cost_usd) for a in found] == ([] if old else [("a", 0.25)]), old
            store.end_run(store.begin_run(), {}, [a.run_id for a in found])
        with Store.open(root) as store:
            assert store.spend_unsummed(None) == []  # (reported: by the build that ended, or before)
