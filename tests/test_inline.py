"""Shell attempts run on the scheduler thread (`scheduler.inline`): real builds, real processes, a real store.
Shell agents start no worker thread; what cannot run inline (a check command, verbose mode, LLM agents)
still runs on workers, whose results wake the scheduler's wait at once; timeouts, command-not-found,
Ctrl-C and resume behave as on workers. Each build runs twice: children started by the scheduler thread,
and by spawner threads (as when more slots than CPUs are busy computing)."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import FakeAgents
from e2e_helpers import alive, wait_for

from agentmake import workflow
from agentmake.runners import supervise
from agentmake.scheduler import inline as inline_mod
from agentmake.scheduler import loop as loop_mod
from agentmake.scheduler.inline import InlineAttempts
from agentmake.scheduler.workers import WorkerPool
from agentmake.store import Store

pytestmark = pytest.mark.skipif(not supervise.available(), reason="needs pidfd, epoll and eventfd (Linux)")


def _build(root: Path, agentfile: str, **req: Any) -> Any:
    (root / "Agentfile").write_text(agentfile)
    request = workflow.Request(directory=root, silent=True, **req)
    project = workflow.load_project(request)
    with Store.open(root) as store:
        return workflow.run_graph(project, project.graph, store, request)


@pytest.fixture(autouse=True, params=["scheduler", "spawners"])
def spawning(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Who starts the children; returns the ids of the tasks a spawner thread started."""
    spawned: list[str] = []
    if request.param == "spawners":
        monkeypatch.setattr(loop_mod, "usable_cpus", lambda: 1)  # fewer CPUs than slots...
        monkeypatch.setattr(inline_mod, "SLOW", -1.0)  # ...and every spawn waited for one
        real = InlineAttempts._spawn

        def spawn(self: InlineAttempts, shell: Any) -> Any:
            if threading.current_thread().name == "agentmake spawner":
                spawned.append(shell.task.id)
            return real(self, shell)

        monkeypatch.setattr(InlineAttempts, "_spawn", spawn)
    else:
        monkeypatch.setattr(loop_mod, "usable_cpus", lambda: 1024)
    return spawned


@pytest.fixture
def threads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Ids of the tasks a worker thread ran (the pool's `submit`)."""
    submitted: list[str] = []
    real = WorkerPool.submit

    def submit(self: WorkerPool, job: Any, running: int) -> None:
        submitted.append(job[0].id)
        real(self, job, running)

    monkeypatch.setattr(WorkerPool, "submit", submit)
    return submitted


FANOUT = """\
agent copy:
    inputs = src/{n}.txt
    outputs = out/{n}.txt
    run = "cp {input} {output}"

agent join:
    inputs = out/*.txt
    outputs = all.txt
    run = "cat {inputs} > {output}"
"""


def test_shell_agents_run_without_a_worker_thread(
    tmp_path: Path, threads: list[str], spawning: list[str], request: pytest.FixtureRequest
) -> None:
    (tmp_path / "src").mkdir()
    for i in range(20):
        (tmp_path / "src" / f"f{i:02d}.txt").write_text(f"{i}\n")
    result = _build(tmp_path, FANOUT, jobs=3)
    assert result.ok and result.counts() == {"done": 21}
    assert threads == []
    by_spawners = "spawners" in request.node.name
    assert sorted(spawning) == (sorted(result.outcomes) if by_spawners else [])
    assert (tmp_path / "all.txt").read_text() == "".join(f"{i}\n" for i in range(20))
    assert not [p for p in (tmp_path / "out").iterdir() if ".agentmake-tmp-" in p.name]
    with Store.open(tmp_path, lock=False) as store:
        assert store.pending_commits() == [] and store.running() == []
        assert all(store.task_record(f"copy:f{i:02d}") is not None for i in range(20))


def test_what_cannot_run_inline_runs_on_workers(tmp_path: Path, threads: list[str]) -> None:
    agentfile = (
        'agent plain:\n    outputs = a.txt\n    run = "echo a > {output}"\n\n'
        'agent checked:\n    outputs = b.json\n    run = "echo {{}} > {output}"\n    check = json\n'
    )
    result = _build(tmp_path, agentfile)
    assert result.ok and threads == ["checked"]
    assert (tmp_path / "b.json").read_text() == "{}\n"
    threads.clear()
    result = _build(tmp_path, agentfile, verbose=True, force=True)  # -v tails each attempt's output
    assert result.ok and sorted(threads) == ["checked", "plain"]


def test_a_timeout_ends_the_group_and_is_retried(tmp_path: Path) -> None:
    agentfile = (
        "agent slow:\n    outputs = out.txt\n    timeout = 3s\n    retries = 1\n"  # (room for the echo)
        '    run = "sleep 60 & echo $! >> bg.pids; sleep 60; echo late > {output}"\n'
    )
    started = time.monotonic()
    result = _build(tmp_path, agentfile)
    assert not result.ok and time.monotonic() - started < 30
    outcome = result.outcomes["slow"]
    assert (outcome.state, outcome.attempts) == ("failed", 2)
    assert "timed out after 3s" in (outcome.message or "")
    pids = [int(p) for p in (tmp_path / "bg.pids").read_text().split()]
    assert len(pids) == 2
    # each attempt's background sleep went with its group
    wait_for(lambda: not any(alive(p) for p in pids), 10, "the background sleeps to end")
    assert not (tmp_path / "out.txt").exists()
    assert not [p for p in tmp_path.iterdir() if ".agentmake-tmp-" in p.name]


def test_a_command_that_is_not_found_fails_at_once(tmp_path: Path) -> None:
    agentfile = 'agent missing:\n    outputs = out.txt\n    retries = 3\n    run = "no-such-x1 {output}"\n'
    result = _build(tmp_path, agentfile)
    outcome = result.outcomes["missing"]
    assert (outcome.state, outcome.attempts) == ("failed", 1)  # not retried: retrying cannot help
    assert "not found" in (outcome.message or "")


def test_exit_zero_without_the_output_fails(tmp_path: Path) -> None:
    result = _build(tmp_path, 'agent lazy:\n    outputs = out.txt\n    retries = 0\n    run = "true"\n')
    outcome = result.outcomes["lazy"]
    assert outcome.state == "failed" and "did not write out.txt" in (outcome.message or "")


def test_ctrl_c_ends_inline_groups_records_them_interrupted_and_resume_reruns_them(tmp_path: Path) -> None:
    agentfile = (
        'agent quick:\n    outputs = quick.txt\n    run = "echo paid > {output}"\n\n'
        "agent slow1:\n    outputs = slow1.txt\n"
        '    run = "echo $$ > slow1.pid; sleep ${nap}; echo one > {output}"\n\n'
        "agent slow2:\n    outputs = slow2.txt\n"
        '    run = "echo $$ > slow2.pid; sleep ${nap}; echo two > {output}"\n'
    )

    def interrupt() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            pids = [tmp_path / f"{n}.pid" for n in ("slow1", "slow2")]
            # (a pid file exists a moment before its shell has written the pid)
            if (
                all(p.exists() and p.read_text().endswith("\n") for p in pids)
                and (tmp_path / "quick.txt").exists()
            ):
                os.kill(os.getpid(), signal.SIGINT)
                return
            time.sleep(0.02)

    threading.Thread(target=interrupt, daemon=True).start()
    result = _build(tmp_path, agentfile, jobs=3, overrides={"nap": "60"})
    assert result.interrupted
    assert result.outcomes["quick"].state == "done"
    assert {result.outcomes[n].state for n in ("slow1", "slow2")} == {"interrupted"}
    for name in ("slow1", "slow2"):
        assert not alive(int((tmp_path / f"{name}.pid").read_text()))
        assert not (tmp_path / f"{name}.txt").exists()
    assert not [p for p in tmp_path.iterdir() if ".agentmake-tmp-" in p.name]

    again = _build(tmp_path, agentfile, jobs=3, overrides={"nap": "0"})
    assert again.ok
    assert {n: o.state for n, o in again.outcomes.items()} == {
        "quick": "up-to-date",
        "slow1": "done",
        "slow2": "done",
    }


def test_a_worker_result_wakes_the_inline_wait(
    tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An LLM agent (on a worker) finishing while a shell agent runs inline: its dependent starts at once,
    not when the wait times out (its timeout is made long to tell the two apart)."""
    monkeypatch.setattr(loop_mod, "POLL", 30.0)
    waits: list[float] = []
    real_collect = InlineAttempts.collect

    def collect(self: InlineAttempts, timeout: float) -> list[Any]:
        started = time.monotonic()
        try:
            return real_collect(self, timeout)
        finally:
            waits.append(time.monotonic() - started)

    monkeypatch.setattr(InlineAttempts, "collect", collect)
    agentfile = (
        "agent ask:\n    outputs = answer.md\n    runner = claude\n"
        '    prompt = "FAKE: label=ask sleep=0.3"\n\n'
        'agent use:\n    inputs = answer.md\n    outputs = used.txt\n    run = "cp {input} {output}"\n\n'
        'agent long:\n    outputs = long.txt\n    run = "sleep 3; echo done > {output}"\n'
    )
    started = time.monotonic()
    result = _build(tmp_path, agentfile, jobs=3)
    assert result.ok, {n: (o.state, o.message) for n, o in result.outcomes.items()}
    assert time.monotonic() - started < 25
    use, long = result.outcomes["use"], result.outcomes["long"]
    assert use.ended_at is not None and long.ended_at is not None and use.ended_at < long.ended_at
    assert (tmp_path / "used.txt").read_text() == (tmp_path / "answer.md").read_text()
    assert max(waits) < 20  # no wait ran into its (30 s) timeout


def test_closing_ends_what_spawners_started(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build that ends while spawns are in flight (an internal error, say) leaves no child running."""
    from conftest import RunnerProject

    from agentmake.plan import Decision

    monkeypatch.setattr(inline_mod, "SLOW", -1.0)
    project = RunnerProject(tmp_path)
    pids: list[int] = []
    lock = threading.Lock()

    def note(task_id: str, pid: int, pgid: int) -> None:
        with lock:
            pids.append(pid)

    attempts = InlineAttempts(project.executor(), lambda *_: None, note=note, spawners=4)
    for i in range(12):
        task = project.agent(f"t{i}", outputs=(f"t{i}.txt",), run="sleep 60")
        assert attempts.start(task, Decision(task.id, "run"), 1, threading.Event())
    # some started, some asked for (a spawner thread can take longer to start than any fixed pause)
    deadline = time.monotonic() + 20
    while not pids:
        assert time.monotonic() < deadline, "no spawner started a child"
        time.sleep(0.005)
    attempts.close()
    assert pids and all(not alive(pid) for pid in pids)
    assert all(not thread.is_alive() for thread in attempts.threads)


def test_an_output_directory_that_cannot_be_made_fails_the_task_not_the_build(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file where a directory should be\n")
    agentfile = (
        'agent ok:\n    outputs = ok.txt\n    run = "echo ok > {output}"\n\n'
        'agent blocked:\n    outputs = blocker/out.txt\n    retries = 0\n    run = "echo no > {output}"\n'
    )
    result = _build(tmp_path, agentfile, keep_going=True)
    assert result.outcomes["ok"].state == "done"
    blocked = result.outcomes["blocked"]
    assert blocked.state == "failed" and "blocker" in (blocked.message or ""), blocked


def test_a_wave_after_a_pause_is_spawned_by_the_scheduler_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slow spawns long ago (the last wave's, before its tasks ran) send no new spawn to a spawner thread:
    after `IDLE` seconds without a spawn their mean counts as zero, as `_spawn` restarts it."""
    from conftest import RunnerProject

    from agentmake.plan import Decision

    monkeypatch.setattr(inline_mod, "SLOW", 0.0004)  # (the `spawning` fixture may have set it below zero)
    project = RunnerProject(tmp_path)
    attempts = InlineAttempts(project.executor(), lambda *_: None, spawners=4)
    attempts.spawn_time = 1.0  # the last wave's spawns each waited a second for a CPU...
    attempts.last_spawn = time.monotonic() - 10 * inline_mod.IDLE  # ...long ago
    task = project.agent("t", outputs=("t.txt",), run="echo t > {output}")
    try:
        assert attempts.start(task, Decision(task.id, "run"), 1, threading.Event())
        assert attempts.threads == [] and attempts.starting == {} and "t" in attempts.attempts
        attempts.spawn_time, attempts.last_spawn = 1.0, time.monotonic()  # slow, and recent: a spawner
        again = project.agent("u", outputs=("u.txt",), run="echo u > {output}")
        assert attempts.start(again, Decision(again.id, "run"), 1, threading.Event())
        assert len(attempts.threads) == 1 and ("u" in attempts.starting or "u" in attempts.attempts)
    finally:
        attempts.close()
