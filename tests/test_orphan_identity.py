"""`end_orphans` ends a recorded process group only if its leader is still the process recorded: same boot id,
same start time. A reused pgid (after a reboot, in another container, after pid wrap-around) is left alone.
Victims are real `setsid sleep 60` processes; the store is a real SQLite file."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentmake.procstat import stat_fields
from agentmake.runners.process import group_alive
from agentmake.scheduler.processes import end_orphans
from agentmake.store import Store
from agentmake.store.identity import boot_id, start_ticks

pytestmark = pytest.mark.skipif(boot_id() is None or start_ticks(os.getpid()) is None, reason="needs /proc")


@pytest.fixture
def victim() -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(["setsid", "sleep", "60"])  # not a group leader: setsid execs sleep in place
    try:
        for _ in range(500):  # setsid runs before exec; wait until the pid leads its own group
            if os.getpgid(proc.pid) == proc.pid and start_ticks(proc.pid) is not None:
                break
            time.sleep(0.02)
        assert os.getpgid(proc.pid) == proc.pid
        yield proc
    finally:
        proc.kill()
        proc.wait()


def _record(tmp_path: Path, proc: subprocess.Popen[bytes], **identity: object) -> Store:
    store = Store.open(tmp_path)
    store.mark_running("t", 1, proc.pid, proc.pid)
    for column, value in identity.items():
        store._conn.execute(f"UPDATE running SET {column} = ?", (value,))
    store._conn.execute("UPDATE running SET owner_pid = ?", (os.getppid(),))  # as if its agentmake were gone
    return store


def test_the_true_identity_is_recorded_and_its_group_is_ended(
    tmp_path: Path, victim: subprocess.Popen[bytes]
) -> None:
    with _record(tmp_path, victim) as store:
        assert store.running_identities() == {"t": (start_ticks(victim.pid), boot_id())}
        assert end_orphans(store) == ["t"]
        assert store.running() == []
    assert victim.wait(timeout=10) is not None
    assert not group_alive(victim.pid)


def test_a_different_start_time_is_not_killed_but_cleared(
    tmp_path: Path, victim: subprocess.Popen[bytes]
) -> None:
    with _record(tmp_path, victim, start_ticks=(start_ticks(victim.pid) or 0) + 1) as store:
        assert end_orphans(store) == []
        assert store.running() == []
    assert victim.poll() is None and group_alive(victim.pid)


def test_a_row_from_another_boot_is_not_killed_but_cleared(
    tmp_path: Path, victim: subprocess.Popen[bytes]
) -> None:
    with _record(tmp_path, victim, boot_id="00000000-0000-0000-0000-000000000000") as store:
        assert end_orphans(store) == []
        assert store.running() == []
    assert victim.poll() is None and group_alive(victim.pid)


def test_a_gone_leader_spares_the_group_now_under_its_pgid(
    tmp_path: Path, victim: subprocess.Popen[bytes]
) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    with Store.open(tmp_path) as store:
        store.mark_running("t", 1, victim.pid, victim.pid)
        store._conn.execute("UPDATE running SET pid = ?, start_ticks = 12345", (gone.pid,))
        assert end_orphans(store) == []
        assert store.running() == []
    assert victim.poll() is None


def test_an_old_database_gains_the_columns_and_its_rows_without_identity_end_nothing(
    tmp_path: Path, victim: subprocess.Popen[bytes]
) -> None:
    db = tmp_path / ".agentmake" / "state.db"
    db.parent.mkdir()
    conn = sqlite3.connect(db)
    conn.execute(
        "CREATE TABLE running (task_id TEXT PRIMARY KEY, run_id INTEGER, pid INTEGER, pgid INTEGER, "
        "owner_pid INTEGER, started_at REAL)"
    )
    conn.execute("INSERT INTO running VALUES ('old', 1, ?, ?, ?, 0)", (victim.pid, victim.pid, os.getppid()))
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with Store.open(tmp_path) as store:
        assert store.running() == [("old", victim.pid, victim.pid, os.getppid())]
        assert store.running_identities() == {"old": (None, None)}  # columns added, unknown for old rows
        # no identity recorded, where this agentmake would have recorded one: not ended on the pid alone
        # (a state.db copied from another machine, or planted, would have it kill an unrelated process)
        assert end_orphans(store) == []
        store.mark_running("new", 2, os.getpid(), os.getpgrp())
        assert store.running_identities()["new"] == (start_ticks(os.getpid()), boot_id())
    assert victim.poll() is None


@pytest.fixture
def leaderless() -> Iterator[tuple[int, int]]:
    """(pgid, pid of its one member): a group whose leader (a shell) exited, leaving a background `sleep`."""
    shell = subprocess.Popen(["setsid", "sh", "-c", "sleep 60 & echo $!"], stdout=subprocess.PIPE)
    assert shell.stdout is not None
    member = int(shell.stdout.readline())
    shell.wait()
    shell.stdout.close()
    try:
        assert os.getpgid(member) == shell.pid
        yield shell.pid, member
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(member, signal.SIGKILL)


def _record_leaderless(tmp_path: Path, pgid: int, ticks: int) -> Store:
    store = Store.open(tmp_path)
    store.mark_running("t", 1, pgid, pgid)
    store._conn.execute("UPDATE running SET start_ticks = ?, boot_id = ?", (ticks, boot_id()))
    store._conn.execute("UPDATE running SET owner_pid = ?", (os.getppid(),))
    return store


def test_a_group_whose_leader_exited_is_still_ended(tmp_path: Path, leaderless: tuple[int, int]) -> None:
    pgid, member = leaderless
    leader_started = start_ticks(os.getpid()) or 0  # before the shell: the member started after it
    with _record_leaderless(tmp_path, pgid, leader_started) as store:
        assert end_orphans(store) == ["t"]
        assert store.running() == []
    assert not group_alive(pgid)
    assert start_ticks(member) is None or not _alive(member)


def test_a_leaderless_group_with_a_member_older_than_the_leader_is_spared(
    tmp_path: Path, leaderless: tuple[int, int]
) -> None:
    pgid, member = leaderless
    with _record_leaderless(tmp_path, pgid, (start_ticks(member) or 0) + 1) as store:
        assert end_orphans(store) == []  # an older member: not the group that leader made
        assert store.running() == []
    assert group_alive(pgid) and _alive(member)


def _alive(pid: int) -> bool:
    fields = stat_fields(pid)
    return fields is not None and fields[0] not in (b"Z", b"X")


def test_a_build_in_a_copy_made_while_a_build_ran_leaves_that_builds_agents_alone(tmp_path: Path) -> None:
    # `cp -a` of a project whose build is running copies its spawn log and running records: the copy's first
    # build must not take the original's agents for its own orphans and end them (their work would be lost)
    original = tmp_path / "original"
    original.mkdir()
    (original / "in.txt").write_text("1\n")
    agent = (
        'agent a:\n    inputs = in.txt\n    outputs = out.txt\n    run = "sleep 3; cat {input} > {output}"\n'
    )
    (original / "Agentfile").write_text("retries = 0\n" + agent)
    env = {**os.environ, "NO_COLOR": "1"}
    build = subprocess.Popen(
        [sys.executable, "-m", "agentmake", "-s"], cwd=original, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while not (original / ".agentmake" / "spawned").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        copy = tmp_path / "copy"
        shutil.copytree(original, copy, symlinks=True)
        copied = subprocess.run(
            [sys.executable, "-m", "agentmake", "-s"], cwd=copy, env=env, capture_output=True, text=True,
            timeout=60,
        )  # fmt: skip
        assert copied.returncode == 0, copied.stderr
        out, _ = build.communicate(timeout=60)
    finally:
        if build.poll() is None:
            build.kill()
    assert build.returncode == 0, out  # its agent was not ended: before, it exited -15 and the task failed
    assert (original / "out.txt").read_text() == "1\n"
