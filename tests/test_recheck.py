"""A task whose `check` alone changed is re-checked in a slot like any other work (`Decision.recheck`): the
new check runs on the outputs in place as the first step of the task's attempt, off the scheduler thread,
capped by -j and in parallel with the rest; outputs that pass it are up to date (no call, the record follows
the new key), outputs that fail it call the agent in the same attempt. Real builds with the fake agent CLIs;
overlap is read from a log the check itself writes, never from wall time."""

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
from e2e_helpers import E2E, group_alive, kill_quietly, wait_for

from agentmake.runners.invocation import safe_name


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


AGENTS = """\
agent one:
    inputs = src/{{n}}.md
    outputs = out/{{n}}.md
    prompt = \"\"\"
        FAKE: label={{{{ n }}}}
        {{{{ read(input) }}}}
        \"\"\"
    check = "{check}"
"""

NAMES = ("a", "b", "c", "d")


def built(e2e: E2E, names: tuple[str, ...] = NAMES) -> None:
    for n in names:
        e2e.write(f"src/{n}.md", f"doc {n}\n")
    e2e.write("Agentfile", AGENTS.format(check="test -s {output}"))
    run = e2e.am("-j", "4")
    assert run.code == 0 and sorted(e2e.calls()) == sorted(names), run


def logged(e2e: E2E, then: str, sleep: float = 0.5) -> str:
    """A check that appends `start <output> <time>` and `end <output> <time>` to checks.log around a sleep,
    then runs `then`."""
    log, now = e2e.root / "checks.log", "$(date +%s.%N)"
    return f"echo start {{output}} {now} >> {log}; sleep {sleep}; echo end {{output}} {now} >> {log}; {then}"


def spans(e2e: E2E) -> dict[str, tuple[float, float]]:
    """output checked -> (start, end) of its check, from checks.log (the last check of each)."""
    log = e2e.root / "checks.log"
    starts: dict[str, float] = {}
    found: dict[str, tuple[float, float]] = {}
    for line in log.read_text().splitlines() if log.exists() else []:
        event, output, at = line.split()
        if event == "start":
            starts[output] = float(at)
        else:
            found[output] = (starts.pop(output), float(at))
    return found


# a staged file's name (`runners.staging.staged_path`): a re-check's `{output}` is a copy so named
STAGED = re.compile(r"^(?P<dir>.*/)?\.(?P<stem>[^/]+)\.agentmake-tmp-[0-9a-f]+(?P<suffix>\.[^/.]*)?$")


def output_of(name: str) -> str:
    """The output a checked file stands for: itself, or the output a staged copy of it was made for."""
    m = STAGED.match(name)
    return f"{m['dir'] or ''}{m['stem']}{m['suffix'] or ''}" if m else name


def most_at_once(found: dict[str, tuple[float, float]]) -> int:
    edges = sorted([(s, 1) for s, _ in found.values()] + [(e, -1) for _, e in found.values()])
    now = peak = 0
    for _, step in edges:  # (an end sorts before a start at the same instant)
        now += step
        peak = max(peak, now)
    return peak


def record(e2e: E2E, task_id: str) -> tuple[str, dict]:
    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake" / "state.db")) as conn:
        row = conn.execute("SELECT key, parts FROM tasks WHERE task_id = ?", (task_id,)).fetchone()
    return row[0], json.loads(row[1])


def age(e2e: E2E, path: str, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(e2e.root / path, (then, then))


def test_changed_checks_run_in_parallel_slots_and_only_an_output_that_fails_calls_its_agent(e2e: E2E) -> None:
    built(e2e)
    e2e.reset_calls()
    # the new check asks for an output newer than `mark`: out/c.md is older (same content: not edited)
    e2e.write("mark", "")
    age(e2e, "mark", 3600)
    age(e2e, "out/c.md", 7200)
    e2e.write("Agentfile", AGENTS.format(check=logged(e2e, "test {output} -nt mark")))
    before = {n: record(e2e, f"one:{n}") for n in NAMES}
    dry = e2e.am("-n", "-j", "4")
    assert "agentmake: 0 to run, 4 may run, 0 up to date (dry run)" in dry.out, dry
    assert spans(e2e) == {}, "a dry run runs no check command"
    run = e2e.am("-j", "4")
    assert run.code == 0, run
    assert e2e.calls() == ["c"], run  # the only output that fails the new check
    assert (run.summary.ran, run.summary.up_to_date) == (1, 3), run
    assert run.states == {
        "one:a": "up-to-date",
        "one:b": "up-to-date",
        "one:c": "done",
        "one:d": "up-to-date",
    }
    assert "up to date  one:a  (its outputs in place pass the new check)" in run.err, run
    # each re-check ran on a copy of its output (out/.a.agentmake-tmp-….md); out/c.md was checked twice:
    # its copy, then its agent's new answer (staged alike), which started after that re-check ended
    by_output: dict[str, list[tuple[float, float]]] = {}
    for name, span in spans(e2e).items():
        assert name != output_of(name), f"{name}: the check ran on the output in place, not on a copy"
        by_output.setdefault(output_of(name), []).append(span)
    assert {o: len(s) for o, s in by_output.items()} == {f"out/{n}.md": 1 + (n == "c") for n in NAMES}
    checked = {o: min(s) for o, s in by_output.items()}
    assert most_at_once(checked) >= 2, checked  # in parallel, not one after another on one thread
    for n in ("a", "b", "d"):  # the record follows the new check, with no call made
        key, parts = record(e2e, f"one:{n}")
        assert key != before[n][0] and "-nt mark" in parts["check"]["command"], parts
    again = e2e.am("-n")
    assert "agentmake: 0 to run, 4 up to date (dry run)" in again.out, again
    # -j caps the re-checks as it caps any other work
    (e2e.root / "checks.log").unlink()
    e2e.write("Agentfile", AGENTS.format(check=logged(e2e, "test -s {output}")))
    run = e2e.am("-j", "2")
    assert run.code == 0 and (run.summary.ran, run.summary.up_to_date) == (0, 4), run
    assert e2e.calls() == ["c"]
    found = spans(e2e)
    assert len(found) == 4 and most_at_once(found) == 2, found


def test_ctrl_c_during_a_slow_recheck_ends_it_and_leaves_the_record_as_it_was(e2e: E2E) -> None:
    built(e2e, ("a",))
    e2e.reset_calls()
    before = record(e2e, "one:a")
    pid_file = e2e.root / "check.pid"
    e2e.write("Agentfile", AGENTS.format(check=f"echo $$ > {pid_file}; sleep 60; test -s {{output}}"))
    proc = e2e.spawn()
    try:
        wait_for(lambda: pid_file.exists() and pid_file.read_text().strip(), what="the check to start")
        pid = int(pid_file.read_text())
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        run = E2E.finish(proc, timeout=20)
    finally:
        kill_quietly(proc.pid)
    assert run.code == 130, run
    assert run.states.get("one:a") == "interrupted", run
    wait_for(lambda: not group_alive(pid), timeout=30, what="the check's process group to end")
    assert e2e.calls() == [] and record(e2e, "one:a") == before
    assert "1 may run" in e2e.am("-n").out


def test_an_output_edited_while_its_check_runs_is_not_vouched_for_the_task_is_decided_again(e2e: E2E) -> None:
    built(e2e, ("a",))
    e2e.reset_calls()
    started, go = e2e.root / "started", e2e.root.parent / "go"
    # (the check goes on once the edit is made, not after 1.5 s, which a loaded runner could outlast)
    check = f"touch {started}; until [ -e {go} ]; do sleep 0.05; done; test -s {{output}}"
    e2e.write("Agentfile", AGENTS.format(check=check))
    proc = e2e.spawn()
    try:
        wait_for(started.exists, what="the check to start")
        e2e.write("out/a.md", "edited by hand while the check ran\n")
        go.touch()
        run = E2E.finish(proc)
    finally:
        kill_quietly(proc.pid)
    assert run.code == 0, run
    assert "output out/a.md changed while its check ran: deciding it again" in run.err, run
    # decided again, the edit is a hand edit: saved, and the agent runs (the check vouched for other bytes)
    assert e2e.calls() == ["a"] and e2e.read("out/a.md") != "edited by hand while the check ran\n"
    saved = [p for p in (e2e.root / ".agentmake" / "edited").rglob("*") if p.is_file()]
    assert [p.read_text() for p in saved] == ["edited by hand while the check ran\n"], saved


def test_a_shell_agent_whose_check_alone_changed_is_rechecked_not_rerun(e2e: E2E) -> None:
    e2e.write("src.txt", "x\n")
    agentfile = (
        "agent copy:\n    inputs = src.txt\n    outputs = out.txt\n"
        '    run = "echo ran >> runs.log; cp {{input}} {{output}}"\n    check = "{check}"\n'
    )
    e2e.write("Agentfile", agentfile.format(check="test -s {output}"), dedent=False)
    assert e2e.am().code == 0 and e2e.read("runs.log") == "ran\n"
    e2e.write("Agentfile", agentfile.format(check=logged(e2e, "grep -q x {output}", 0.1)), dedent=False)
    run = e2e.am()
    assert run.code == 0 and run.summary.up_to_date == 1, run
    assert e2e.read("runs.log") == "ran\n" and [output_of(o) for o in spans(e2e)] == ["out.txt"]
    e2e.write("Agentfile", agentfile.format(check="grep -q y {output}"), dedent=False)
    run = e2e.am()
    assert run.code == 1 and e2e.read("runs.log").count("ran") > 1, run  # fails, runs, fails again


# out/b.md holds "doc b" (the fake agent's answer quotes the prompt): it fails this check, out/a.md passes it
FAILS_B = "! grep -q 'doc b' {output}"
# a task that calls its agent (and spends) in a build that re-checks `one`
FRESH = """
agent fresh:
    inputs = fresh.md
    outputs = out/fresh.md
    prompt = "FAKE: label=fresh"
"""


def test_a_recheck_that_fails_once_the_budget_is_spent_calls_no_agent(e2e: E2E) -> None:
    built(e2e, ("b",))
    e2e.reset_calls()
    before, old_b = record(e2e, "one:b"), e2e.read("out/b.md")
    # another task's call spends the budget while out/b.md is re-checked: the check waits for its answer to
    # be in place (committed after its cost is counted), then fails
    e2e.write("fresh.md", "new\n")
    wait = "for i in $(seq 400); do test -s out/fresh.md && break; sleep 0.05; done"
    e2e.write("Agentfile", AGENTS.format(check=f"{wait}; {FAILS_B}") + FRESH)
    run = e2e.am("-j", "2", "--budget", "0.000001")
    assert e2e.calls() == ["fresh"], run
    assert run.states == {"fresh": "done", "one:b": "not-run"}, run
    assert "one:b  (budget of $0.000001 reached; its outputs in place fail the new check:" in run.err, run
    assert record(e2e, "one:b") == before and e2e.read("out/b.md") == old_b


@pytest.mark.parametrize("where", ["--budget", "Agentfile"])
def test_a_budget_reached_lets_the_recheck_run_and_holds_only_the_call_it_leads_to(
    e2e: E2E, where: str
) -> None:
    built(e2e, ("a", "b"))
    e2e.reset_calls()
    before = {n: record(e2e, f"one:{n}") for n in ("a", "b")}
    old_b = e2e.read("out/b.md")
    setting = "budget = 0\n\n" if where == "Agentfile" else ""
    e2e.write("Agentfile", setting + AGENTS.format(check=FAILS_B))
    run = e2e.am("-j", "2", *(["--budget", "0"] if where == "--budget" else []))
    assert run.code == 1 and e2e.calls() == [], run  # re-checking costs nothing; the call it leads to is held
    assert run.states == {"one:a": "up-to-date", "one:b": "not-run"}, run
    assert "up to date  one:a  (its outputs in place pass the new check)" in run.err, run
    held = (
        "not run     one:b  (budget of $0.00 reached; its outputs in place fail the new check:"
        " check failed (exit 1): ! grep -q 'doc b' out/b.md)"
    )
    assert held in run.err, run
    assert "budget reached: no further paid tasks were started" in run.err, run
    key, parts = record(e2e, "one:a")  # up to date under the new check, with no call
    assert key != before["a"][0] and "doc b" in parts["check"]["command"], parts
    assert record(e2e, "one:b") == before["b"] and e2e.read("out/b.md") == old_b  # kept as they are
    dry = e2e.am("-n")
    assert "agentmake: 0 to run, 1 may run, 1 up to date (dry run)" in dry.out, dry


def test_a_budget_reached_with_every_recheck_passing_is_no_budget_stop(e2e: E2E) -> None:
    built(e2e, ("a", "b"))
    e2e.reset_calls()
    e2e.write("Agentfile", AGENTS.format(check="grep -q doc {output}"))
    run = e2e.am("-j", "2", "--budget", "0")
    assert run.code == 0 and e2e.calls() == [], run
    assert (run.summary.ran, run.summary.up_to_date, run.summary.not_run) == (0, 2, 0), run
    assert "budget" not in run.text, run  # nothing was held by it


def test_a_runner_refused_for_the_build_lets_its_tasks_recheck_and_holds_only_their_calls(
    e2e: E2E, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `one` waits for `slow`, which ends once `fresh` (a new task of the same runner) has failed for want of
    # its key: with -k that runner calls nothing more in this build, by then
    slow = (
        "agent slow:\n    inputs = seed.txt\n    outputs = gate.txt\n"
        f"    run = \"until grep -q '^end .* fresh$' {e2e.fake.log}; do sleep 0.05; done; sleep 0.5;"
        ' echo gate > {output}"\n\n'
    )
    agents = AGENTS.replace("inputs = src/{{n}}.md", "inputs = src/{{n}}.md gate.txt")
    e2e.write("seed.txt", "1\n")
    e2e.write("fresh.md", "new\n")
    e2e.fake.log.write_text("end 0 0 claude fresh\n")  # (the first build has no `fresh`)
    for n in ("a", "b"):
        e2e.write(f"src/{n}.md", f"doc {n}\n")
    e2e.write("Agentfile", slow + agents.format(check="test -s {output}"))
    assert e2e.am().code == 0
    e2e.reset_calls()
    before, old_b = record(e2e, "one:b"), e2e.read("out/b.md")
    e2e.write("seed.txt", "2\n")  # (`slow` runs again and makes the same gate.txt: `one` is only re-checked)
    e2e.write("Agentfile", slow + agents.format(check=FAILS_B) + FRESH)
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    run = e2e.am("-k", "-j", "3")
    assert run.code == 1 and e2e.calls() == ["fresh"], run
    assert run.states == {"slow": "done", "fresh": "failed", "one:a": "up-to-date", "one:b": "not-run"}, run
    assert "up to date  one:a  (its outputs in place pass the new check)" in run.err, run
    held = "one:b  (runner claude failed for another task: claude authentication failed"
    assert held in run.err and "; its outputs in place fail the new check: check failed (exit 1)" in run.err
    assert record(e2e, "one:b") == before and e2e.read("out/b.md") == old_b


def test_a_rechecks_logs_are_kept_beside_its_attempts_own_owner_only_and_redacted(
    e2e: E2E, monkeypatch: pytest.MonkeyPatch
) -> None:
    built(e2e, ("a", "b"))
    e2e.reset_calls()
    e2e.write("mark", "")
    age(e2e, "mark", 3600)
    age(e2e, "out/b.md", 7200)  # fails the new check; the agent's new answer passes it
    monkeypatch.setenv("DEPLOY_TOKEN", "tok-0123456789abcdef")
    check = (
        "echo checked {output} $DEPLOY_TOKEN; test {output} -nt mark || (echo {output} is old >&2; exit 1)"
    )
    e2e.write("Agentfile", AGENTS.format(check=check))
    run = e2e.am("-j", "2")
    assert run.code == 0 and e2e.calls() == ["b"], run
    logs = e2e.root / ".agentmake" / "logs"
    a, b = logs / safe_name("one:a"), logs / safe_name("one:b")
    # (a re-check runs on a copy of each output, as an attempt's check runs on its staged answer)
    copy = r"out/\.{}\.agentmake-tmp-[0-9a-f]+\.md"
    kept = {
        f"{a.name}.1.recheck.out": f"checked {copy.format('a')} \\[redacted DEPLOY_TOKEN\\]\n",
        f"{b.name}.1.recheck.out": f"checked {copy.format('b')} \\[redacted DEPLOY_TOKEN\\]\n",
        f"{b.name}.1.recheck.err": f"{copy.format('b')} is old\n",
    }
    for name, pattern in kept.items():
        assert re.fullmatch(pattern, (logs / name).read_text()), name
        assert (logs / name).stat().st_mode & 0o777 == 0o600, name
    assert not (logs / f"{a.name}.1.recheck.err").exists()  # (a stream that printed nothing leaves no file)
    # the check of what the agent made, in the same attempt, has logs of its own
    assert "agentmake-tmp" in (logs / f"{b.name}.1.check.out").read_text()
