"""The spawn log (`agentmake.store.spawnlog`): every task process is logged by the worker that started it, the
moment it started, so a `kill -9` of agentmake at any moment (also before the scheduler wrote the process to
the store's `running` table, `loop.MARK_DELAY`) leaves the next build able to end it before it starts the same
task again. Real processes, a real store, the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E, alive, kill_quietly, wait_for

from agentmake.runners.process import group_alive
from agentmake.scheduler.processes import end_orphans
from agentmake.store import Store
from agentmake.store.identity import boot_id, start_ticks, ticks_per_second
from agentmake.store.spawnlog import SPAWN_LOG, Spawned, SpawnLog, boot_clock, read_spawn_log, unstarted

pytestmark = pytest.mark.skipif(boot_id() is None or start_ticks(os.getpid()) is None, reason="needs /proc")


@pytest.fixture
def victim() -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(["setsid", "sleep", "60"])  # setsid execs sleep in place: it leads its group
    try:
        wait_for(lambda: os.getpgid(proc.pid) == proc.pid and start_ticks(proc.pid) is not None, 10)
        yield proc
    finally:
        proc.kill()
        proc.wait()


def test_a_line_records_the_process_identity_and_the_log_reads_back(tmp_path: Path) -> None:
    proc = subprocess.Popen(["sleep", "5"])
    log = SpawnLog(tmp_path)
    try:
        log.add("work:a b", proc.pid, proc.pid)
        log.add('odd "id"\n', 1, 1)
        ticks = _ticks(proc.pid)
    finally:
        proc.kill()
        proc.wait()
    log.close(remove=False)
    found = read_spawn_log(tmp_path)
    assert [(s.task_id, s.pid, s.pgid, s.boot) for s in found] == [
        ("work:a b", proc.pid, proc.pid, boot_id()),
        ('odd "id"\n', 1, 1, boot_id()),
    ]
    started = found[0].started
    assert started is not None and _logged_on_time(started, ticks)


def test_torn_and_foreign_lines_are_skipped(tmp_path: Path) -> None:
    good = json.dumps(["t", 10, 10, 5, "boot"])
    wrong_types = [json.dumps(["t", "12", 12, 5, None]), json.dumps(["t", 12, 12, "5", None])]
    lines = [good, '["t", 11, 11, 5, "bo', "not json", *wrong_types, json.dumps([1, 2])]
    (tmp_path / SPAWN_LOG).write_text("\n".join(lines))
    assert read_spawn_log(tmp_path) == [Spawned("t", 10, 10, 5, "boot")]
    assert read_spawn_log(tmp_path / "missing") == []


def test_a_closed_log_writes_nothing_and_is_removed_only_when_asked(tmp_path: Path) -> None:
    log = SpawnLog(tmp_path)
    log.add("a", 5, 5)
    log.close(remove=False)
    log.add("late", 6, 6)  # a worker that reports after the build closed its log
    assert [s.task_id for s in read_spawn_log(tmp_path)] == ["a"]
    again = SpawnLog(tmp_path)  # the next build starts it empty
    assert read_spawn_log(tmp_path) == []
    again.close(remove=True)
    assert not (tmp_path / SPAWN_LOG).exists()


def test_an_intent_is_repeated_by_the_next_spawn_line_of_its_task(tmp_path: Path) -> None:
    log = SpawnLog(tmp_path)
    failed = log.intend("a")  # a start that failed: no spawn line follows
    started = log.intend("a")
    pending = log.intend("b")  # started, and agentmake killed before its spawn line
    log.add("a", 10, 10)
    log.add("c", 11, 11)  # (a process no intent announced, as a format 1 log has)
    log.close(remove=False)
    assert log.intend("late") is None
    assert failed and started and pending and len({failed, started, pending}) == 3
    assert [(s.task_id, s.token) for s in read_spawn_log(tmp_path)] == [("a", started), ("c", None)]
    assert [(i.task_id, i.token) for i in unstarted(tmp_path)] == [("a", failed), ("b", pending)]
    at = unstarted(tmp_path)[0].at
    assert at is not None and abs(at - (boot_clock() or 0)) < 60
    assert SpawnLog(tmp_path).intend("a") != started  # a random nonce per build: no token twice


def test_a_process_only_the_spawn_log_names_is_ended_by_the_next_build(
    tmp_path: Path, victim: subprocess.Popen[bytes]
) -> None:
    (tmp_path / ".agentmake").mkdir()
    SpawnLog(tmp_path / ".agentmake").add("t", victim.pid, victim.pid)  # never closed: agentmake was killed
    with Store.open(tmp_path) as store:
        assert store.running() == []  # the scheduler never wrote it
        assert end_orphans(store) == ["t"]
    assert victim.wait(timeout=10) is not None
    assert not group_alive(victim.pid)


def test_a_spawn_log_entry_that_is_another_process_now_is_spared(
    tmp_path: Path, victim: subprocess.Popen[bytes]
) -> None:
    (tmp_path / ".agentmake").mkdir()
    started = (start_ticks(victim.pid) or 0) / ticks_per_second()
    line = json.dumps(["t", victim.pid, victim.pid, started + 5, boot_id()])  # 5 s off: another process
    (tmp_path / ".agentmake" / SPAWN_LOG).write_text(line + "\n")
    with Store.open(tmp_path) as store:
        assert end_orphans(store) == []
    assert victim.poll() is None and group_alive(victim.pid)


def test_without_the_project_lock_no_spawn_log_is_acted_on(
    tmp_path: Path, victim: subprocess.Popen[bytes]
) -> None:
    (tmp_path / ".agentmake").mkdir()
    SpawnLog(tmp_path / ".agentmake").add("t", victim.pid, victim.pid)
    with Store.open(tmp_path, lock=False) as store:  # e.g. `agentmake status` beside a running build
        assert end_orphans(store) == []
    assert victim.poll() is None


# -- through the CLI -----------------------------------------------------------------------------------------

HOLD_AGENTFILE = """\
    nap = 60

    agent hold:
        inputs = src.txt
        outputs = held.txt
        run = "echo $$ >> leaders.txt; sleep ${nap}; cat {input} > {output}"
    """


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    project = E2E(tmp_path / "proj", fake_agents)
    project.write("Agentfile", HOLD_AGENTFILE)
    project.write("src.txt", "v1\n")
    return project


def leaders(e2e: E2E) -> list[int]:
    return [int(x) for x in e2e.read("leaders.txt").split()] if e2e.exists("leaders.txt") else []


def test_a_build_logs_its_process_while_it_runs_and_removes_the_log_when_it_ends(e2e: E2E) -> None:
    proc = e2e.spawn("nap=1")
    try:
        # the shell writes leaders.txt as soon as it runs, which may be before its worker, back from the
        # spawn, has appended its line to the spawn log: wait for both
        wait_for(lambda: leaders(e2e) and read_spawn_log(e2e.root / ".agentmake"), what="the task to start")
        logged = read_spawn_log(e2e.root / ".agentmake")
        assert [(s.task_id, s.pid, s.pgid) for s in logged] == [("hold", leaders(e2e)[0], leaders(e2e)[0])]
        assert logged[0].started is not None and logged[0].boot == boot_id()
        assert _logged_on_time(logged[0].started, _ticks(logged[0].pid))
        run = E2E.finish(proc)
    finally:
        kill_quietly(proc.pid)
    assert run.code == 0, run
    assert not (e2e.root / ".agentmake" / SPAWN_LOG).exists()


def test_kill_9_right_after_a_task_started_its_process_is_still_ended_before_the_rerun(e2e: E2E) -> None:
    proc = e2e.spawn("nap=60")
    first: list[int] = []
    try:
        deadline = time.monotonic() + 15
        # kill as soon as the task runs and is in the spawn log: long before MARK_DELAY, when the `running`
        # table has it. (A kill before the log has it: test_spawn_window.)
        while not (first := leaders(e2e)) or not read_spawn_log(e2e.root / ".agentmake"):
            assert time.monotonic() < deadline, "the task did not start"
            time.sleep(0.002)
        proc.kill()
        proc.communicate(timeout=10)
        assert alive(first[0]), "a shell task outlives agentmake (it has no parent-death signal)"

        resume = e2e.spawn("nap=0.5")
        wait_for(lambda: len(leaders(e2e)) == 2 or resume.poll() is not None, what="the rerun to start")
        assert not alive(first[0]), "the killed build's copy of `hold` still runs beside the rerun"
        run = E2E.finish(resume)
    finally:
        kill_quietly(proc.pid)
        for pid in first:
            kill_quietly(-pid)
    assert run.code == 0, run
    assert run.states == {"hold": "done"}, run
    assert e2e.read("held.txt") == "v1\n"


def _logged_on_time(started: float, ticks: int) -> bool:
    """Whether a spawn line's time `started` (seconds, read after the start) is the process's start (`ticks`)
    within the second of slack `end_orphans` allows. Not closer: the worker thread that logs the line can be
    kept off the CPU for tens of milliseconds on a loaded machine (a 50 ms bound failed at 56 ms)."""
    hz = ticks_per_second()
    return -1 <= started * hz - ticks <= hz


def _ticks(pid: int) -> int:
    ticks = start_ticks(pid)
    assert ticks is not None
    return ticks


def test_lines_are_what_json_dumps_writes(tmp_path: Path) -> None:
    """The lines are formatted directly (no `json.dumps` per line): byte for byte what it would write, for a
    task id that needs escaping too."""
    log = SpawnLog(tmp_path)
    odd = 'say "hi"\\ täsk\n'
    token = log.intend(odd)
    log.add(odd, 4321, 4321)
    log.add("unannounced", 7, 7)  # (no intent line: its token is null)
    log.close(remove=False)
    lines = (tmp_path / SPAWN_LOG).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    for line in lines:
        assert json.dumps(json.loads(line)) == line
    assert json.loads(lines[0])[:2] == [odd, token]
    assert json.loads(lines[1])[:3] == [odd, 4321, 4321] and json.loads(lines[1])[5] == token
    assert json.loads(lines[2])[5] is None
    assert [s.task_id for s in read_spawn_log(tmp_path)] == [odd, "unannounced"]
