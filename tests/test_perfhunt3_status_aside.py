"""status.md: the file each write replaces is hard-linked aside (`.status.md.agentmake-tmp-old`) and unlinked
on the discard thread, so the rename frees nothing on the scheduler thread; nothing stays aside once the
build ends, and the link a killed build left aside goes with the next build's first write (found without
listing `.agentmake`)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agentmake.display import StatusFile
from agentmake.scheduler.discard import Discard
from agentmake.scheduler.events import BuildResult, TaskEvent, TaskOutcome

T0 = 1_700_000_000.0


ASIDE = ".status.md.agentmake-tmp-old"


def _asides(directory: Path) -> list[str]:
    return sorted(n for n in os.listdir(directory) if n.startswith(ASIDE))


def _gone(path: Path, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while os.path.lexists(path):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_the_replaced_file_goes_to_the_discard_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / ".agentmake" / "status.md"
    path.parent.mkdir()
    path.write_text("# the last build's status\n")
    old = path.stat().st_ino
    handed: list[tuple[str, int, str]] = []  # (name, inode, thread) of each path handed over to be unlinked
    later = Discard.later

    def recording(self: Discard, spare: str) -> None:
        import threading

        handed.append((os.path.basename(spare), os.stat(spare).st_ino, threading.current_thread().name))
        later(self, spare)

    monkeypatch.setattr(Discard, "later", recording)
    sink = StatusFile(path, interval=0.0, cost_factor=0.0)  # (no throttle: every event is written)
    sink(TaskEvent("a", "running", T0, 1, 1))
    assert len(handed) == 1
    name, inode, _ = handed[0]
    assert name == ASIDE and inode == old  # the old file itself, kept aside: the rename freed nothing
    first = path.stat().st_ino
    assert first != old and "| a |" in path.read_text()
    assert _gone(path.parent / ASIDE)  # (unlinked on the discard thread)
    sink(TaskEvent("a", "done", T0 + 1, 1, 1, ran=1.0))
    assert len(handed) == 2 and handed[1][1] == first  # (the first write's file, replaced in turn)
    outcome = TaskOutcome("a", "done", attempts=1, started_at=T0, ended_at=T0 + 1)
    sink.close(BuildResult(1, outcomes={"a": outcome}, started_at=T0, ended_at=T0 + 1))
    assert _asides(path.parent) == []  # each unlinked by the time the build ends
    assert "Finished:" in path.read_text()


def test_a_link_a_killed_build_left_aside_goes_with_the_next_write(tmp_path: Path) -> None:
    directory = tmp_path / ".agentmake"
    directory.mkdir()
    (directory / "status.md").write_text("old\n")
    left = directory / ASIDE
    left.write_text("left by a killed build\n")
    other = directory / ".status-abc.tmp"  # (not one of its links: left alone)
    other.write_text("x")
    sink = StatusFile(directory / "status.md", interval=0.0, cost_factor=0.0)
    sink(TaskEvent("a", "running", T0, 1, 1))
    sink.abort("stopped")
    assert _asides(directory) == [] and other.exists()
    assert "Ended with an error: stopped" in (directory / "status.md").read_text()


def test_builds_leave_nothing_aside(tmp_path: Path) -> None:
    root = tmp_path / "p"
    (root / "out").mkdir(parents=True)
    (root / "seed.txt").write_text("seed\n")
    (root / "Agentfile").write_text(
        "agent first:\n    inputs = seed.txt\n    outputs = out/first.txt\n"
        '    run = "cat {inputs} > {output}"\n'
    )
    env = {k: v for k, v in os.environ.items() if k != "AGENTMAKE_TRACE"}
    env.update(NO_COLOR="1", CI="1", XDG_CACHE_HOME=str(tmp_path / "cache"))
    for _ in range(2):  # (the second replaces the first's status.md)
        run = subprocess.run(
            [sys.executable, "-m", "agentmake", "-C", str(root), "build", "-B"],
            capture_output=True, text=True, env=env, timeout=60,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
    assert (
        _asides(root / ".agentmake") == [] and "Finished:" in (root / ".agentmake" / "status.md").read_text()
    )
