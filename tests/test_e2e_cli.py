"""End-to-end (real CLI subprocess, fake agents): errors, -n, -q, explain, graph, the lock, a bad state db."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E, fanout_agentfile, kill_quietly, wait_for

from agentmake.cli import main


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def fanout(e2e: E2E, names: str = "abc", extra: str = "", sleep: float = 0.0) -> None:
    e2e.write("Agentfile", fanout_agentfile(extra, sleep=sleep))
    for n in names:
        e2e.write(f"docs/{n}.md", f"doc {n}\n")


def no_traceback(run: object) -> None:
    assert "Traceback" not in str(run), run


def test_cycle_names_tasks_and_files(e2e: E2E) -> None:
    e2e.write(
        "Agentfile",
        """\
        agent draft:
            inputs = review.md
            outputs = draft.md
            prompt = "write"

        agent review:
            inputs = draft.md
            outputs = review.md
            prompt = "review"
        """,
    )
    run = e2e.am()
    assert run.code == 2, run
    no_traceback(run)
    assert "cycle" in run.err and "Agentfile:" in run.err
    for word in ("draft", "review", "draft.md", "review.md"):
        assert word in run.err, run
    assert e2e.calls() == []


def test_missing_input_names_task_and_file(e2e: E2E) -> None:
    e2e.write(
        "Agentfile",
        """\
        agent summarize:
            inputs = notes/meeting.txt
            outputs = summary.md
            prompt = "sum up"
        """,
    )
    run = e2e.am()
    assert run.code == 2, run
    no_traceback(run)
    assert "summarize" in run.err and "notes/meeting.txt" in run.err, run


def test_unknown_target_did_you_mean(e2e: E2E) -> None:
    fanout(e2e, "a")
    run = e2e.am("translte")
    assert run.code == 2, run
    no_traceback(run)
    assert "translte" in run.err and "did you mean" in run.err and "translate" in run.err, run
    assert e2e.calls() == []
    explain = e2e.am("explain", "summry")
    assert explain.code == 2 and "did you mean" in explain.err and "summary" in explain.err, explain


def test_dry_run_question_and_explain(e2e: E2E) -> None:
    fanout(e2e, "ab", extra="\nrunner claude:\n    model = sonnet\n")
    never = e2e.am("-n")
    assert never.code == 0, never
    assert "would run translate:a: never built" in never.out, never
    assert not e2e.exists("build/a.md") and e2e.calls() == []
    assert e2e.am("-q").code == 1

    assert e2e.am().code == 0
    assert e2e.am("-q").code == 0
    clean = e2e.am("-n")
    assert clean.code == 0 and "would run" not in clean.out and "0 to run" in clean.out, clean

    e2e.reset_calls()
    e2e.write("docs/a.md", "doc a, edited\n")
    e2e.write("Agentfile", fanout_agentfile("\nrunner claude:\n    model = opus\n"))
    dry = e2e.am("-n")
    assert dry.code == 0, dry
    assert "would run translate:a: input docs/a.md changed (content " in dry.out, dry
    assert "would run translate:b: model changed sonnet → opus" in dry.out, dry
    assert "may run summary: input build/a.md will be rebuilt by translate:a; input build/b.md" in dry.out, (
        dry
    )
    assert "will be rebuilt by translate:b (if that changes them)" in dry.out, dry
    assert "2 to run, 1 may run, 0 up to date" in dry.out, dry
    assert e2e.calls() == [] and e2e.read("build/a.md").count("doc a\n") == 1, "a dry run must run nothing"
    assert e2e.am("-q").code == 1

    explain = e2e.am("explain", "summary")
    assert explain.code == 0, explain
    out = explain.out
    assert "SUMMARY.md [summary] may be stale: input build/a.md will be rebuilt by translate:a" in out, out
    assert "[translate:a] is stale: input docs/a.md changed (content " in out and " → " in out, out
    assert "[translate:b] is stale: model changed sonnet → opus" in out, out


def test_graph_formats(e2e: E2E) -> None:
    fanout(e2e, "ab")
    text = e2e.am("graph")
    assert text.code == 0, text
    assert "summary <- translate:a, translate:b" in text.out or (
        "summary" in text.out and "translate:a" in text.out
    ), text
    mermaid = e2e.am("graph", "--format", "mermaid")
    assert mermaid.code == 0 and mermaid.out.startswith("graph "), mermaid
    assert '"translate:a"' in mermaid.out and "-->" in mermaid.out
    dot = e2e.am("graph", "--format", "dot")
    assert dot.code == 0 and dot.out.startswith("digraph"), dot
    assert '"translate:b" -> "summary"' in dot.out, dot
    bad = e2e.am("graph", "--format", "png")
    assert bad.code == 2 and "invalid choice" in bad.err, bad


def test_second_process_waits_then_names_the_lock_holder(e2e: E2E) -> None:
    # the first build's agent lingers after its answer until the test lets it exit, so the first build holds
    # the lock however long the second agentmake takes to start (a fixed 3 s agent was over before a second
    # that took more than a second to start, on a loaded machine, gave up waiting: it built instead)
    fanout(e2e, "a")
    e2e.write("Agentfile", fanout_agentfile().replace("label={{ name }}", "label={{ name }} linger=120"))
    first = e2e.spawn()
    try:
        wait_for(lambda: e2e.calls("a"), what="the first build's agent to start")
        t0 = time.monotonic()
        second = e2e.am()
        waited = time.monotonic() - t0
        assert second.code == 2, second
        no_traceback(second)
        assert f"pid {first.pid}" in second.err, second
        assert waited >= 1.0, f"gave up after {waited:.2f}s without waiting"
    finally:
        (e2e.fake.state / "stop-lingering").touch()
        done = E2E.finish(first)
    assert done.code == 0, done
    assert done.summary.ran == 2


def test_a_state_database_of_a_newer_format_is_refused_and_kept(e2e: E2E) -> None:
    # written by a newer agentmake (a downgrade, another machine): starting afresh would pay for every
    # result again, so every command refuses it in one line and leaves it as it is
    fanout(e2e, "ab")
    assert e2e.am().code == 0
    db = e2e.root / ".agentmake" / "state.db"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 9999")
    conn.close()
    e2e.reset_calls()
    for command in (("status",), ("-n",), ("explain", "summary"), ("build",)):
        looked = e2e.am(*command)
        assert looked.code == 2, looked
        no_traceback(looked)
        assert "written by a newer agentmake (state format 9999" in looked.err, looked
    assert e2e.calls() == []
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 9999
    conn.execute("PRAGMA user_version = 1")  # (as the newer agentmake would read it back)
    conn.commit()
    conn.close()
    again = e2e.am()
    assert again.code == 0 and again.summary.up_to_date == 3 and e2e.calls() == [], again

    db.write_bytes(b"this is not a database" * 100)
    broken = e2e.am()
    assert broken.code == 2 and "the file is damaged" in broken.err, broken
    no_traceback(broken)


def test_plain_output_says_pending_and_waiting_only_with_verbose(e2e: E2E) -> None:
    fanout(e2e, "ab")
    quiet = e2e.am()
    assert quiet.code == 0, quiet
    assert quiet.states == {"translate:a": "done", "translate:b": "done", "summary": "done"}, quiet
    assert " pending " not in quiet.err and " waiting " not in quiet.err, quiet
    e2e.write("docs/a.md", "doc a, edited\n")
    loud = e2e.am("-v")
    assert loud.code == 0, loud
    assert "pending     translate:a" in loud.err and "waiting     summary" in loud.err, loud
    assert loud.states == {"translate:a": "done", "translate:b": "up-to-date", "summary": "done"}, loud


def test_status_after_a_kill_9_says_interrupted_not_running(e2e: E2E) -> None:
    fanout(e2e, "ab", sleep=30.0)
    first = e2e.spawn()
    try:
        wait_for(lambda: len(e2e.calls()) == 2, what="both agents to start")
        # (a started process reaches the `running` table within MARK_DELAY)
        wait_for(
            lambda: e2e.am("status").out.count("running in another process") == 2, what="status: running"
        )
        live = e2e.am("status")
        assert f"running in another process (pid {first.pid})  translate:a" in live.out, live
    finally:
        kill_quietly(first.pid)
        E2E.finish(first)
    after = e2e.am("status")
    assert after.code == 0, after
    no_traceback(after)
    assert "running" not in after.out, after
    lines = after.out.splitlines()
    for name in "ab":
        row = lines.index(next(x for x in lines if f"translate:{name}" in x.split()))
        assert lines[row].startswith("stale "), after
        assert lines[row + 1] == f"    - interrupted: agentmake (pid {first.pid}) stopped before it finished"
    assert lines[-1] == "3 stale", after
    rows = {r["task"]: r for r in json.loads(e2e.am("status", "--json").out)}
    assert rows["translate:a"]["state"] == "stale" and rows["translate:a"]["pid"] is None
    assert rows["translate:a"]["reasons"][0].startswith("interrupted: agentmake (pid"), rows


def _built_once(tmp_path: Path) -> Path:
    """A one-agent project in `tmp_path`, built once; its state database."""
    agent = 'agent a:\n    inputs = in.txt\n    outputs = out.txt\n    run = "cp {input} {output}"\n'
    (tmp_path / "Agentfile").write_text(agent)
    (tmp_path / "in.txt").write_text("1\n")
    assert main(["-C", str(tmp_path), "-s"]) == 0
    return tmp_path / ".agentmake" / "state.db"


def test_a_damaged_state_database_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    # page-level damage passes the cheap check on open and breaks the first real query
    db = _built_once(tmp_path)
    with db.open("r+b") as fh:
        fh.seek(2 * 4096)
        fh.write(b"\xff" * 4096)
    (tmp_path / ".agentmake" / "stamp").unlink(missing_ok=True)
    for args in (["-s"], ["status"]):
        proc = subprocess.run(
            [sys.executable, "-m", "agentmake", "-C", str(tmp_path), *args], capture_output=True, text=True
        )
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr
        assert "agentmake: error: cannot use the state database" in proc.stderr


def test_a_dry_run_says_may_run_for_a_task_early_cutoff_can_spare(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a:x rebuilds out/x.txt from the first line of in/x.txt; an edit below it leaves out/x.txt as it was,
    # so b, which reads it, stays up to date: the dry run must not promise that b runs
    (tmp_path / "in").mkdir()
    (tmp_path / "in/x.txt").write_text("first\nsecond\n")
    (tmp_path / "Agentfile").write_text(
        'agent a:\n    run = "head -1 {input} > {output}"\n    inputs = in/{n}.txt\n'
        "    outputs = out/{n}.txt\n"
        'agent b:\n    run = "cat {inputs} > {output}"\n    inputs = out/*.txt\n    outputs = all.txt\n'
    )
    assert main(["-C", str(tmp_path), "-s"]) == 0
    (tmp_path / "in/x.txt").write_text("first\nCHANGED\n")
    capsys.readouterr()
    assert main(["-C", str(tmp_path), "-n"]) == 0
    dry = capsys.readouterr().out
    assert "would run a:x: input in/x.txt changed" in dry
    assert "may run b: input out/x.txt will be rebuilt by a:x (if that changes it)" in dry
    assert "1 to run, 1 may run, 0 up to date (dry run)" in dry
    assert main(["-C", str(tmp_path)]) == 0
    assert "1 ran, 0 cached, 1 up to date" in capsys.readouterr().out  # b did not run


def test_a_dry_run_counts_what_it_would_restore_apart_from_what_it_would_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a restore costs no call: the dry run's last line must not count it as something "to run"
    (tmp_path / "in").mkdir()
    (tmp_path / "in/x.txt").write_text("old\n")
    (tmp_path / "in/y.txt").write_text("y\n")
    (tmp_path / "Agentfile").write_text(
        'agent a:\n    run = "tr a-z A-Z < {input} > {output}"\n    inputs = in/{n}.txt\n'
        "    outputs = out/{n}.txt\n"
        'agent b:\n    run = "cat {input} {input} > {output}"\n    inputs = out/{n}.txt\n'
        "    outputs = twice/{n}.txt\n"
    )
    assert main(["-C", str(tmp_path), "-s"]) == 0
    (tmp_path / "in/x.txt").write_text("new\n")
    assert main(["-C", str(tmp_path), "-s"]) == 0
    (tmp_path / "in/x.txt").write_text("old\n")  # both results for "old" are in the cache
    (tmp_path / "in/y.txt").write_text("y2\n")  # and these are not
    capsys.readouterr()
    assert main(["-C", str(tmp_path), "-n"]) == 0
    dry = capsys.readouterr().out
    assert "would restore a:x: input in/x.txt changed" in dry and "would restore b:x:" in dry, dry
    assert "would run a:y: input in/y.txt changed" in dry, dry
    assert dry.rstrip().endswith(
        "agentmake: 1 to run, 2 to restore from the cache, 1 may run, 0 up to date (dry run)"
    ), dry
    assert main(["-C", str(tmp_path)]) == 0
    assert "2 ran, 2 cached, 0 up to date" in capsys.readouterr().out


def test_a_reader_refuses_a_damaged_state_database_once(tmp_path: Path) -> None:
    # a damaged header: readers (status, -n) say so, once, with what to do, and leave the file alone
    db = _built_once(tmp_path)
    with db.open("r+b") as fh:
        fh.write(b"garbage garbage garbage")
    damaged = db.read_bytes()
    for args in (["status"], ["-n"]):
        proc = subprocess.run(
            [sys.executable, "-m", "agentmake", "-C", str(tmp_path), *args], capture_output=True, text=True
        )
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        assert proc.stderr.count("the file is damaged") == 1, (args, proc.stderr)
    assert db.read_bytes() == damaged


def test_a_dry_run_tells_many_changed_inputs_of_a_fan_in_in_one_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a fan-in over many files whose inputs all changed: one line per task stays readable (N of a kind
    # are told together); -v and explain still name every one
    (tmp_path / "in").mkdir()
    for n in range(6):
        (tmp_path / f"in/{n}.txt").write_text(f"{n}\n")
    (tmp_path / "Agentfile").write_text(
        'agent all:\n    run = "cat {inputs} > {output}"\n'
        "    inputs = in/*.txt extra.txt\n    outputs = all.txt\n"
    )
    (tmp_path / "extra.txt").write_text("x\n")
    assert main(["-C", str(tmp_path), "-s"]) == 0
    for n in range(6):
        (tmp_path / f"in/{n}.txt").write_text(f"{n} changed\n")
    (tmp_path / "extra.txt").write_text("y\n")
    capsys.readouterr()
    assert main(["-C", str(tmp_path), "-n"]) == 0
    line = capsys.readouterr().out.splitlines()[0]
    assert line.startswith("would run all: 7 inputs changed: "), line
    assert line.endswith(" and 5 more"), line
    assert line.count("in/") == 2, line
    assert main(["-C", str(tmp_path), "-n", "-v"]) == 0
    line = capsys.readouterr().out.splitlines()[0]
    assert all(f"input in/{n}.txt changed" in line for n in range(6)) and "input extra.txt changed" in line


def test_a_dry_run_is_unsure_of_a_partial_report_whose_input_is_being_rebuilt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # found by the rebuild soak: after a partial report (-k), a dry run said "would run summary" while its
    # input waited to be rebuilt; the build then restored it from the cache (the input came back as the
    # complete build had made it). Until that input is made, either may happen: "may run".
    (tmp_path / "src.txt").write_text("a\n")
    (tmp_path / "notes.txt").write_text("notes\n")  # (a report with none of its inputs made is not written)
    agentfile = (
        'agent up:\n    run = "RUN"\n    inputs = src.txt\n    outputs = mid.txt\n'
        "report summary:\n    inputs = mid.txt notes.txt\n    output = REPORT.md\n    summary = false\n"
    )
    af = tmp_path / "Agentfile"
    af.write_text(agentfile.replace("RUN", "cp {input} {output}"))
    assert main(["-C", str(tmp_path), "-s"]) == 0
    af.write_text(agentfile.replace("RUN", "exit 1"))
    assert main(["-C", str(tmp_path), "-s", "-k"]) == 1
    assert "Partial report" in (tmp_path / "REPORT.md").read_text()
    af.write_text(agentfile.replace("RUN", "cat {input} > {output}"))  # (the same output as cp)
    capsys.readouterr()
    assert main(["-C", str(tmp_path), "-n"]) == 0
    dry = capsys.readouterr().out
    assert "would run up: " in dry, dry
    assert "may run summary: the last build made a partial report" in dry, dry
    assert "it is restored from the cache, if what it reads comes back" in dry, dry
    assert main(["-C", str(tmp_path)]) == 0
    assert "1 ran, 1 cached" in capsys.readouterr().out
    assert "Partial report" not in (tmp_path / "REPORT.md").read_text()
