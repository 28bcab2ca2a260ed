"""End-to-end (real CLI subprocess, fake agents): parallelism, caps, retries, timeouts, failures, Ctrl-C,
kill -9 and resume, budget, logs, merge reports, status --json."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sqlite3
import time
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E, alive, group_alive, kill_quietly, wait_for


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def concurrency(e2e: E2E, cli: str | None = None, labels: set[str] | None = None) -> int:
    """The most fake agents (of `cli`, with a label in `labels`) running at the same moment."""
    rows = [r for r in e2e.fake.log_lines() if cli in (None, r[3]) and (labels is None or r[4] in labels)]
    running = peak = 0
    for event, *_ in sorted(rows, key=lambda r: (r[1], r[0] == "start")):
        running += 1 if event == "start" else -1
        peak = max(peak, running)
    return peak


def items(e2e: E2E, n: int) -> None:
    for i in range(n):
        e2e.write(f"items/i{i}.txt", f"item {i}\n")


def tmp_leftovers(e2e: E2E) -> list[str]:
    return [str(p) for p in e2e.root.rglob("*agentmake-tmp*")]


def test_parallel_jobs_and_runner_caps(e2e: E2E) -> None:
    n = 8
    items(e2e, n)
    e2e.write(
        "Agentfile",
        '''\
        agent work:
            inputs = items/{i}.txt
            outputs = out/{i}.txt
            prompt = """
                FAKE: label=work-{{ i }} sleep=0.3
                {{ read(input) }}
                """
        ''',
    )
    run = e2e.am("-j", "4")
    assert run.code == 0, run
    assert run.summary.ran == n
    # (the agents' overlap shows the jobs ran at once, not the wall time: a loaded runner's is anything)
    assert 2 <= concurrency(e2e) <= 4

    # per-runner caps: claude at most 2 at once, codex at most 3, 4 overall
    e2e.reset_calls()
    e2e.write(
        "Agentfile",
        '''\
        runner claude:
            parallel = 2
        runner codex:
            parallel = 3

        agent first:
            inputs = items/{i}.txt
            outputs = first/{i}.txt
            prompt = """
                FAKE: label=c-{{ i }} sleep=0.3
                {{ read(input) }}
                """

        agent second:
            runner = codex
            inputs = items/{i}.txt
            outputs = second/{i}.txt
            prompt = """
                FAKE: label=x-{{ i }} sleep=0.3
                {{ read(input) }}
                """
        ''',
    )
    capped = e2e.am("-j", "4")
    assert capped.code == 0, capped
    assert capped.summary.ran == 2 * n
    assert len(e2e.calls()) == 2 * n
    assert concurrency(e2e, "claude") <= 2
    assert concurrency(e2e, "codex") <= 3
    assert concurrency(e2e) <= 4
    assert concurrency(e2e, "claude") == 2 or concurrency(e2e, "codex") >= 2, "no parallelism at all"


def test_rate_limit_retries_with_backoff_and_shrinks_the_cap(e2e: E2E) -> None:
    items(e2e, 4)
    e2e.write(
        "Agentfile",
        '''\
        retries = 2

        agent work:
            inputs = items/{i}.txt
            outputs = out/{i}.txt
            prompt = """
                FAKE: label={{ i }} sleep=0.2 fail=429 times=1
                {{ read(input) }}
                """
        ''',
    )
    run = e2e.am("-j", "4")
    assert run.code == 0, run
    assert (run.summary.ran, run.summary.failed) == (4, 0)
    calls = e2e.calls()
    assert sorted(calls) == sorted(["i0", "i1", "i2", "i3"] * 2), "each task: one 429, then one success"
    assert "retrying" in run.err and "attempt 2/3" in run.err, run
    assert "429" in run.err or "rate" in run.err.lower(), run
    for i in range(4):
        assert e2e.read(f"out/i{i}.txt").startswith("ANSWER:")

    db = sqlite3.connect(e2e.root / ".agentmake" / "state.db")
    actions = [a for (a,) in db.execute("SELECT action FROM events WHERE error_type IS NOT NULL")]
    db.close()
    assert any(re.search(r"retrying in \d", a or "") for a in actions), actions
    assert any("cap for claude lowered to 2" in (a or "") for a in actions), actions

    # each attempt's output is kept: two attempts per task, the first one shows the 429
    logs = sorted(p.name for p in (e2e.root / ".agentmake" / "logs").iterdir())
    assert len([n for n in logs if n.startswith("work_i0-") and n.endswith(".out")]) == 2, logs
    first = next((e2e.root / ".agentmake" / "logs").glob("work_i0-*.1.out")).read_text()
    assert "429" in first, first
    prompt = next((e2e.root / ".agentmake" / "tasks").glob("work_i0-*.prompt")).read_text()
    assert "item 0" in prompt and "FAKE: label=i0" in prompt


def test_timeout_kills_the_whole_process_group(e2e: E2E) -> None:
    e2e.write(
        "Agentfile",
        '''\
        agent stuck:
            outputs = out.txt
            timeout = 5s
            retries = 0
            prompt = """
                FAKE: label=stuck spawn-grandchild hang
                """
        ''',
    )
    t0 = time.monotonic()
    run = e2e.am()
    took = time.monotonic() - t0
    assert run.code == 1, run
    assert run.summary.failed == 1
    assert "timed out" in run.text or "timeout" in run.text, run
    # (5 s: the fake is to start its grandchild first, ~0.4 s at load 12; ended at its limit, not its hang)
    assert took < 30, f"a 5s timeout took {took:.1f}s to end"
    assert not e2e.exists("out.txt")
    err_log = "".join(p.read_text() for p in (e2e.root / ".agentmake" / "logs").glob("stuck*.err"))
    found = re.search(r"grandchild pid (\d+)", err_log)
    assert found, f"no grandchild pid in the attempt's stderr log: {err_log!r}"
    grandchild = int(found.group(1))
    agent_pids = [pid for ev, _, pid, _, _ in e2e.fake.log_lines() if ev == "start"]
    try:
        wait_for(lambda: not alive(grandchild), timeout=30, what="the grandchild to be gone")
        assert not any(alive(p) for p in agent_pids)
    finally:
        kill_quietly(grandchild)


def test_failures_keep_going_and_status_json(e2e: E2E) -> None:
    e2e.write(
        "Agentfile",
        """\
        agent empty:
            outputs = empty.txt
            retries = 0
            priority = 9
            prompt = "FAKE: label=empty exit0-no-output"

        agent badjson:
            outputs = data.json
            check = json
            retries = 1
            priority = 8
            prompt = "FAKE: label=badjson invalid-json-answer"

        agent good:
            outputs = good.txt
            prompt = "FAKE: label=good sleep=0.2"

        agent after:
            inputs = empty.txt
            outputs = after.txt
            prompt = "FAKE: label=after {{ read(input) }}"
        """,
    )
    # without -k, one job: the first failure stops new starts
    stop = e2e.am("-j", "1")
    assert stop.code == 1, stop
    assert stop.states["empty"] == "failed"
    assert stop.states["good"] == "not-run" and stop.states["after"] == "not-run", stop
    assert "good" not in e2e.calls() and not e2e.exists("good.txt")

    # -k: everything that does not need a failure is built; a check failure is retried
    e2e.reset_calls()
    going = e2e.am("-k", "-j", "1")
    assert going.code == 1, going
    assert going.states == {"empty": "failed", "badjson": "failed", "good": "done", "after": "not-run"}, going
    assert (going.summary.ran, going.summary.failed) == (1, 2)
    assert e2e.calls("badjson") == ["badjson", "badjson"], "a failed json check is retried"
    assert e2e.calls("empty") == ["empty"] and e2e.calls("after") == []
    assert not e2e.exists("empty.txt") and not e2e.exists("data.json") and e2e.exists("good.txt")
    assert "json" in going.err.lower(), going

    status = e2e.am("status", "--json")
    assert status.code == 0, status
    rows = {row["task"]: row for row in json.loads(status.out)}
    assert set(rows) == {"empty", "badjson", "good", "after"}
    assert rows["good"]["state"] == "up to date" and rows["good"]["action"] == "skip"
    for failed in ("empty", "badjson"):
        assert rows[failed]["state"] == "failed" and rows[failed]["action"] == "run", rows[failed]
        reasons = rows[failed]["reasons"]
        assert reasons, rows[failed]
        assert not [r for r in reasons if any(r != o and r in o for o in reasons)], f"repeated: {reasons}"
    assert rows["after"]["state"] in ("stale", "failed") and rows["after"]["action"] == "run", rows["after"]
    assert json.loads(status.out) == json.loads(e2e.am("status", "--json").out), (
        "status must not change state"
    )


def test_budget_stops_new_starts(e2e: E2E) -> None:
    items(e2e, 3)
    e2e.write(
        "Agentfile",
        '''\
        agent work:
            inputs = items/{i}.txt
            outputs = out/{i}.txt
            prompt = """
                FAKE: label={{ i }}
                {{ read(input) }}
                """
        ''',
    )
    run = e2e.am("-j", "1", "--budget", "0.00001")
    assert run.code == 1, run
    assert len(e2e.calls()) == 1, "once the budget is spent no new agent may start"
    assert run.summary.ran == 1 and run.summary.cost is not None
    assert "budget" in run.text, run
    assert len(run.with_state("not-run")) == 2, run


def test_merge_report_through_fake_claude(e2e: E2E) -> None:
    items(e2e, 2)
    e2e.write(
        "Agentfile",
        '''\
        agent work:
            inputs = items/{i}.txt
            outputs = out/{i}.txt
            prompt = """
                FAKE: label={{ i }}
                summary of {{ read(input) }}
                """

        report digest:
            title = Digest
            inputs = out/*.txt
            output = DIGEST.md
            merge = """
                FAKE: label=merge
                Merge {{ inputs | length }} summaries:
                {% for f in files %}== {{ f.path }}
                {{ f.content }}{% endfor %}
                """
        ''',
    )
    run = e2e.am("report")
    assert run.code == 0, run
    assert sorted(e2e.calls()) == ["i0", "i1", "merge"]
    assert f"report digest: {e2e.root / 'DIGEST.md'}" in run.out, run
    digest = e2e.read("DIGEST.md")
    assert "Merge 2 summaries:" in digest and "== out/i0.txt" in digest and "summary of item 1" in digest
    e2e.reset_calls()
    again = e2e.am("report")
    assert again.code == 0 and e2e.calls() == [] and again.summary.ran == 0, again


def started(e2e: E2E, *labels: str) -> bool:
    return all(label in e2e.running_agents() for label in labels)


SLOW_AGENTFILE = '''\
    nap = 0.3

    agent work:
        inputs = items/{i}.txt
        outputs = out/{i}.txt
        prompt = """
            FAKE: label={{ i }} sleep={{ 0 if i == "i0" else nap }}
            {{ read(input) }}
            """
    '''


def test_ctrl_c_exits_130_ends_agents_and_resumes(e2e: E2E) -> None:
    items(e2e, 3)
    e2e.write("Agentfile", SLOW_AGENTFILE)
    proc = e2e.spawn("-j", "3", "nap=30")
    try:
        wait_for(lambda: started(e2e, "i1", "i2") and e2e.exists("out/i0.txt"), what="agents to start")
        pids = e2e.running_agents()
        proc.send_signal(signal.SIGINT)
        run = E2E.finish(proc, ("-j", "3"), timeout=20)
    finally:
        kill_quietly(proc.pid)
    assert run.code == 130, run
    assert run.states.get("work:i1") == "interrupted", run
    assert (run.summary.ran, run.summary.interrupted) == (1, 2), run  # the summary line says so too
    for label in ("i1", "i2"):
        assert not alive(pids[label]), f"agent {label} still running after Ctrl-C"
    assert not e2e.exists("out/i1.txt") and not e2e.exists("out/i2.txt")
    assert tmp_leftovers(e2e) == []

    e2e.reset_calls()
    resumed = e2e.am("-j", "3", "-v")  # (-v: a line for each task up to date)
    assert resumed.code == 0, resumed
    assert sorted(e2e.calls()) == ["i1", "i2"]
    assert resumed.states["work:i0"] == "up-to-date"


KILL9_AGENTFILE = '''\
    nap = 0.3

    agent work:
        inputs = items/{i}.txt
        outputs = out/{i}.txt
        prompt = """
            FAKE: label={{ i }} sleep={{ 0 if i == "i0" else nap }} spawn-grandchild
            {{ read(input) }}
            """

    agent copy:
        inputs = items/i0.txt
        outputs = copy.txt
        run = "sleep ${nap} && cp {input} {output}"
    '''


def recorded_groups(e2e: E2E) -> dict[str, int]:
    db = sqlite3.connect(e2e.root / ".agentmake" / "state.db", timeout=10)
    try:
        return dict(db.execute("SELECT task_id, pgid FROM running").fetchall())
    finally:
        db.close()


def recorded_done(e2e: E2E) -> set[str]:
    db = sqlite3.connect(e2e.root / ".agentmake" / "state.db", timeout=10)
    try:
        return {task for (task,) in db.execute("SELECT task_id FROM tasks WHERE status = 'done'")}
    finally:
        db.close()


def test_kill_9_then_resume_ends_orphans_and_reruns_only_unfinished(e2e: E2E) -> None:
    items(e2e, 3)
    e2e.write("Agentfile", KILL9_AGENTFILE)
    proc = e2e.spawn("-j", "4", "nap=30")
    groups: dict[str, int] = {}
    try:
        wait_for(lambda: started(e2e, "i1", "i2") and e2e.exists("out/i0.txt"), what="agents to start")
        wait_for(lambda: len(recorded_groups(e2e)) == 3, what="three running tasks in the store")
        wait_for(lambda: "work:i0" in recorded_done(e2e), what="work:i0 recorded as done")
        groups = recorded_groups(e2e)
        assert set(groups) == {"work:i1", "work:i2", "copy"}, groups
        proc.kill()
        proc.communicate(timeout=10)  # reaped: a zombie agentmake would still answer kill(pid, 0)
        assert not any(e2e.exists(p) for p in ("out/i1.txt", "out/i2.txt", "copy.txt"))
        survivors = [task for task, pgid in groups.items() if group_alive(pgid)]
        assert "copy" in survivors, "expected the shell agent's group to outlive agentmake (no parent-death)"

        e2e.reset_calls()
        resume = e2e.spawn("-j", "4", "-v", "nap=0.5")  # (-v: a line for each task up to date)
        wait_for(lambda: started(e2e, "i1") or resume.poll() is not None, what="the resumed agent to start")
        alive_now = [task for task, pgid in groups.items() if group_alive(pgid)]
        assert alive_now == [], f"orphans of the killed run still alive beside the resumed run: {alive_now}"
        resumed = E2E.finish(resume, ("-j", "4", "-v"), timeout=30)
    finally:
        kill_quietly(proc.pid)
        for pgid in groups.values():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
    assert resumed.code == 0, resumed
    assert sorted(e2e.calls()) == ["i1", "i2"], "only the unfinished tasks rerun"
    assert resumed.states["work:i0"] == "up-to-date", resumed
    assert resumed.states["copy"] == "done", resumed
    assert tmp_leftovers(e2e) == []
    for i in range(3):
        assert e2e.read(f"out/i{i}.txt").startswith("ANSWER:")
    assert e2e.read("copy.txt") == "item 0\n"


def test_kill_9_during_a_multi_output_agent_leaves_no_partial_output(e2e: E2E) -> None:
    e2e.write(
        "Agentfile",
        '''\
        mode = ok

        agent pair:
            inputs = src.txt
            outputs = out/a.txt out/b.txt
            prompt = """
                FAKE: label=pair write=out/a.txt,out/b.txt {{ "hang" if mode == "hang" else "" }}
                Write both from {{ read(input) }}
                """
        ''',
    )
    e2e.write("src.txt", "v1\n")
    assert e2e.am().code == 0
    good = e2e.read("out/a.txt")
    e2e.write("src.txt", "v2\n")
    proc = e2e.spawn("mode=hang")
    try:
        # (out/a.txt is set aside while the agent runs, until it writes its own: absent for a moment)
        wait_for(lambda: "pair" in e2e.running_agents() and "v2" in _text(e2e, "out/a.txt"), what="the agent")
        proc.kill()
        proc.communicate(timeout=10)
    finally:
        kill_quietly(proc.pid)

    # one read of the log per check: a second read may no longer hold "pair" (it ended in between)
    def pair_gone() -> bool:
        pid = e2e.running_agents().get("pair")
        return pid is None or not alive(pid)

    wait_for(pair_gone, 30)
    e2e.am("status")  # any later agentmake command may tidy up
    assert e2e.read("out/a.txt") == good, "the output holds an unfinished attempt's content"
    run = e2e.am()
    assert run.code == 0, run
    assert "hand-edited" not in run.text, run


def _text(e2e: E2E, rel: str) -> str:
    """The file's text, "" while it does not exist."""
    try:
        return e2e.read(rel)
    except FileNotFoundError:
        return ""
