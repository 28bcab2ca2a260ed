"""The spawn log's window (`agentmake.store.spawnlog`): agentmake killed after a child started and before its
spawn line was written. The child's intent line (written before the start) gave it a token in its environment;
the next build (and `agentmake clean`) finds the processes that hold it and ends their groups, and no process
of anyone else's with a look-alike is touched. Real processes and the real CLI; the window is held open by
running agentmake with `SpawnLog.add` replaced by a wait (so the kill lands there every time)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E, alive, group_alive, kill_quietly, wait_for

from agentmake.runners.process import SPAWN_VAR
from agentmake.scheduler.processes import end_orphans
from agentmake.store import Store
from agentmake.store.identity import boot_id, start_ticks
from agentmake.store.spawnlog import SPAWN_LOG, boot_clock, read_spawn_log, unstarted

pytestmark = pytest.mark.skipif(boot_id() is None or start_ticks(os.getpid()) is None, reason="needs /proc")

# agentmake, stopped for good where it would write a child's spawn line (the child runs on meanwhile)
PAUSED = """
import os, sys, time
from agentmake.store import spawnlog

def add(self, task_id, pid, pgid):
    with open(os.environ["PAUSED_AT"], "w") as fh:
        fh.write(f"{pid}\\n")
    time.sleep(3600)

spawnlog.SpawnLog.add = add
from agentmake.cli import main
sys.exit(main(sys.argv[1:]))
"""

# each copy of `hold` notes its shell's pid, starts a grandchild in its group, and notes any earlier copy (or
# grandchild) still alive when it starts, as two live copies of the task (a zombie is not alive: the init of
# some containers reaps none)
LIVE = r"grep -qs '^State:[[:space:]]*[^Z[:space:]]' /proc/$p/status"
RUN = "; ".join([
    f"for p in $(cat pids.txt 2>/dev/null); do {LIVE} && echo $p >> overlap.txt; done",
    "echo $$ >> leaders.txt; echo $$ >> pids.txt; sleep 300 & echo $! >> pids.txt",
    "sleep ${nap}; cat {input} > {output}",
])  # fmt: skip
AGENTFILE = 'nap = 60\n\nagent hold:\n    inputs = src.txt\n    outputs = held.txt\n    run = "' + RUN + '"\n'


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    project = E2E(tmp_path / "proj", fake_agents)
    project.write("Agentfile", AGENTFILE)
    project.write("src.txt", "v1\n")
    return project


def pids(e2e: E2E, name: str) -> list[int]:
    return [int(x) for x in e2e.read(name).split()] if e2e.exists(name) else []


@pytest.fixture
def killed_in_the_window(e2e: E2E, tmp_path: Path) -> Iterator[tuple[int, int]]:
    """(the orphaned child's pid, its grandchild's) after a `kill -9` of agentmake between the child's start
    and its spawn line."""
    paused_at = tmp_path / "paused"
    env = {**e2e.env(), "PAUSED_AT": str(paused_at)}
    build = subprocess.Popen(
        [sys.executable, "-c", PAUSED, "-s", "nap=60"], cwd=e2e.root, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    started: list[int] = []
    try:
        # (the stand-in's `open(..., "w")` creates the file before its write: wait for the line)
        wait_for(
            lambda: (
                paused_at.exists()
                and paused_at.read_text().endswith("\n")
                and len(pids(e2e, "pids.txt")) == 2
            ),
            what="the child in the window",
        )
        started = pids(e2e, "pids.txt")
        assert int(paused_at.read_text()) == started[0]
        assert read_spawn_log(e2e.root / ".agentmake") == []  # no line names it
        build.kill()
        build.wait(timeout=10)
        assert all(alive(pid) for pid in started), "the child and its grandchild outlive agentmake"
        yield started[0], started[1]
    finally:
        kill_quietly(build.pid)
        for pid in started:
            kill_quietly(pid)


def test_a_child_started_but_not_yet_logged_is_ended_before_the_task_runs_again(
    e2e: E2E, killed_in_the_window: tuple[int, int]
) -> None:
    child, grandchild = killed_in_the_window
    [intent] = unstarted(e2e.root / ".agentmake")
    assert intent.task_id == "hold"
    assert f"{SPAWN_VAR}={intent.token}".encode() in Path(f"/proc/{grandchild}/environ").read_bytes()

    run = e2e.am("nap=0.2")
    assert run.code == 0, run
    assert run.summary.ran == 1
    assert "ended what a killed agentmake left running (1): hold" in run.text, run  # (and says so)
    assert not e2e.exists("overlap.txt"), "the rerun started while the killed build's copy still ran"
    assert len(pids(e2e, "leaders.txt")) == 2  # the task ran exactly once more
    assert not alive(child) and not alive(grandchild) and not group_alive(child)
    assert e2e.read("held.txt") == "v1\n"


def test_clean_ends_a_child_started_but_not_yet_logged(
    e2e: E2E, killed_in_the_window: tuple[int, int]
) -> None:
    child, grandchild = killed_in_the_window
    run = e2e.am("clean")
    assert run.code == 0, run
    assert not alive(child) and not alive(grandchild) and not group_alive(child)
    killed = "still running after an agentmake that was killed started it"
    assert f"ended hold's process {child} and its group, {killed}" in run.out, run
    run = e2e.am("-s", "nap=0.2")  # its records were kept for this build, which has nothing left to end
    assert run.code == 0, run
    assert run.summary.ran == 1 and len(pids(e2e, "leaders.txt")) == 2


def test_clean_n_ends_nothing(e2e: E2E, killed_in_the_window: tuple[int, int]) -> None:
    """... and lists the child it would end (task, pid: its group's), found by its token as clean finds it."""
    child, grandchild = killed_in_the_window
    run = e2e.am("clean", "-n")
    assert run.code == 0, run
    assert alive(child) and alive(grandchild)
    killed = "still running after an agentmake that was killed started it"
    said = [line for line in run.out.splitlines() if "would end" in line]
    assert said == [f"would end hold's process {child} and its group, {killed}"], run


# -- only the exact token of this project's log ------------------------------------------------------------

TOKEN = "0123456789abcdef.7"


def _holder(cwd: Path, user: int | None = None, **env: str) -> subprocess.Popen[bytes]:
    base = {k: v for k, v in os.environ.items() if k != SPAWN_VAR}
    proc = subprocess.Popen(
        ["sleep", "60"], cwd=cwd, env={**base, **env}, start_new_session=True, user=user,
    )  # fmt: skip
    wait_for(lambda: b"sleep" in Path(f"/proc/{proc.pid}/cmdline").read_bytes(), what="sleep to start")
    return proc


@pytest.fixture
def holders() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 9)
        proc.wait()


def test_only_processes_with_the_exact_token_are_ended(
    tmp_path: Path, holders: list[subprocess.Popen[bytes]]
) -> None:
    state = tmp_path / ".agentmake"
    state.mkdir()
    intent = json.dumps(["t", TOKEN, round(boot_clock() or 0, 3)])
    look_alikes = [
        {SPAWN_VAR: TOKEN + "0"},  # longer
        {SPAWN_VAR: TOKEN[:-1] + "8"},  # the same build's, another count
        {SPAWN_VAR: "fedcba9876543210.7"},  # another build's (or project's), the same count
        {f"X_{SPAWN_VAR}": TOKEN, "NOTE": f"{SPAWN_VAR}={TOKEN}"},  # the text, not the variable
    ]
    spared = [_holder(tmp_path, **env) for env in look_alikes]
    if os.geteuid() == 0:  # another user's process, even with the exact token (root could read it)
        spared.append(_holder(Path("/"), user=65534, **{SPAWN_VAR: TOKEN}))
    ours = _holder(tmp_path, **{SPAWN_VAR: TOKEN})
    holders.extend([*spared, ours])
    (state / SPAWN_LOG).write_text(intent + "\n")
    with Store.open(tmp_path) as store:
        assert end_orphans(store) == ["t"]
    assert ours.wait(timeout=10) is not None
    assert [proc.poll() for proc in spared] == [None] * len(spared)


def test_a_process_with_the_token_that_started_before_the_intent_is_spared(
    tmp_path: Path, holders: list[subprocess.Popen[bytes]]
) -> None:
    state = tmp_path / ".agentmake"
    state.mkdir()
    older = _holder(tmp_path, **{SPAWN_VAR: TOKEN})
    holders.append(older)
    intent = json.dumps(["t", TOKEN, round((boot_clock() or 0) + 5, 3)])  # 5 s after it started
    (state / SPAWN_LOG).write_text(intent + "\n")
    with Store.open(tmp_path) as store:
        assert end_orphans(store) == []
    assert older.poll() is None


def test_a_logged_childs_token_finds_what_left_its_group(
    tmp_path: Path, holders: list[subprocess.Popen[bytes]]
) -> None:
    # the spawn line repeats the token: the child is ended by its pid (here: gone), and a process holding its
    # token outside its group (one it started with setsid, a daemon) is found by it and ended too
    state = tmp_path / ".agentmake"
    state.mkdir()
    holder = _holder(tmp_path, **{SPAWN_VAR: TOKEN})
    holders.append(holder)
    now = round(boot_clock() or 0, 3)
    lines = [["t", TOKEN, now], ["t", 999999, 999999, now, boot_id(), TOKEN]]
    (state / SPAWN_LOG).write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert unstarted(state) == []
    with Store.open(tmp_path) as store:
        assert end_orphans(store) == ["t"]
    assert holder.wait(timeout=10) is not None
