"""A build while an `agentmake watch` holds the project polled the lock for 2 s before it decided (a no-op
build took 2 s; the README promised the wait): a watch holds the project until stopped, so the lock is given
up at once when its holder is a live watch; another holder (a build, which ends) is still waited for, and so
are the lines a watch killed by SIGKILL left (newuser28)."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentmake.store import lock as lockmod
from agentmake.store.lock import LockedError, ProjectLock


class Polled(Exception):
    """`acquire` went on polling (it slept): the test ends it there."""


@pytest.fixture
def held(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A lock file held (flock) by another open file of this process; `acquire`'s sleep raises `Polled`."""
    path = tmp_path / "lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)

    def no_sleep(seconds: float) -> None:
        raise Polled

    monkeypatch.setattr(lockmod.time, "sleep", no_sleep)
    yield path
    os.close(fd)


def test_a_live_watch_is_not_waited_for(held: Path, tmp_path: Path) -> None:
    held.write_text(f"{os.getpid()}\nwatch\n")
    with pytest.raises(LockedError) as refused:
        ProjectLock(held, tmp_path).acquire(30.0)
    assert refused.value.role == "watch" and refused.value.holder == os.getpid()
    assert f"`kill {os.getpid()}`" in str(refused.value)


def test_a_build_is_waited_for(held: Path, tmp_path: Path) -> None:
    held.write_text(f"{os.getpid()}\n")
    with pytest.raises(Polled):
        ProjectLock(held, tmp_path).acquire(30.0)


def test_the_lines_of_a_dead_watch_are_not_believed(held: Path, tmp_path: Path) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()  # fmt: skip
    held.write_text(f"{gone}\nwatch\n")
    with pytest.raises(Polled):
        ProjectLock(held, tmp_path).acquire(30.0)


def test_a_pid_too_big_for_the_system_is_no_traceback(held: Path, tmp_path: Path) -> None:
    """Digits os.kill cannot take (OverflowError): the lock's own liveness check raised it; the shared one
    (`pidtmp.alive`) takes such a pid as one that may be alive, as for another user's."""
    held.write_text("99999999999999999999\nwatch\n")
    with pytest.raises(LockedError) as refused:
        ProjectLock(held, tmp_path).acquire(30.0)
    assert refused.value.role == "watch"
    assert lockmod.watch_holding(held) == 99999999999999999999
