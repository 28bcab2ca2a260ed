"""The temporary file a stamp is written to (`.agentmake/.stamp.{pid}.tmp`), left by a writer killed as it
wrote (kill -9), is removed as a stamp is written (`StampWriter.write`, `stamp._settle`: `pidtmp.sweep`),
at most once a day (`.agentmake/.stamp-swept`: a build lists `.agentmake/` once already); never a live
writer's, nor another file of `.agentmake/`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentmake.plan import stamp
from agentmake.plan.stampwrite import StampWriter

# a stamp writer stopped once its temporary file is written, before it is renamed into place
_WRITER = (
    "import os, sys, time\n"
    "from pathlib import Path\n"
    "from agentmake.plan.stampwrite import StampWriter\n"
    "def stop(*args):\n"
    "    print('stopped', flush=True)\n"
    "    time.sleep(600)\n"
    "os.replace = stop\n"
    "StampWriter(Path(sys.argv[1])).write('sig', 1)\n"
)


def stopped(root: Path) -> tuple[subprocess.Popen[str], Path]:
    """A process writing a stamp in `root`, once it says it is stopped before renaming its temporary file
    into place, and that file."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(root)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None
    with proc.stdout:
        assert proc.stdout.readline() == "stopped\n"
    tmp = root / ".agentmake" / f".stamp.{proc.pid}.tmp"
    assert tmp.exists()
    return proc, tmp


def _aged(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


@pytest.fixture
def leftovers(tmp_path: Path) -> Iterator[tuple[Path, Path, Path]]:
    """In `tmp_path/.agentmake`: (a killed writer's temporary file, a live writer's, another file), each
    two minutes old."""
    (tmp_path / ".agentmake").mkdir()
    killed, left = stopped(tmp_path)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    live, writing = stopped(tmp_path)
    try:
        other = tmp_path / ".agentmake" / "other.999999999.tmp"  # (not a stamp's: not ours to remove)
        other.write_bytes(b"x")
        for path in (left, writing, other):
            _aged(path, 120)
        yield left, writing, other
    finally:
        live.kill()
        live.wait()


def test_a_stamp_write_removes_a_killed_writers_leftover(
    tmp_path: Path, leftovers: tuple[Path, Path, Path]
) -> None:
    left, writing, other = leftovers
    StampWriter(tmp_path).write("sig", 1)
    assert (tmp_path / ".agentmake" / "stamp").exists()
    assert not left.exists()
    assert writing.exists() and other.exists()


def test_settling_a_stamp_removes_a_killed_writers_leftover(
    tmp_path: Path, leftovers: tuple[Path, Path, Path]
) -> None:
    left, writing, other = leftovers
    (tmp_path / ".agentmake" / "lock").write_bytes(b"")
    header = {"sig": "sig", "racy": {"0": "p"}}
    data = stamp.MAGIC + json.dumps(header).encode() + b"\n" + b"rest"
    (tmp_path / ".agentmake" / "stamp").write_bytes(data)
    stamp._settle(tmp_path, data, header, data.index(b"\n", len(stamp.MAGIC)), ["0"])
    assert b'"racy": {}' in (tmp_path / ".agentmake" / "stamp").read_bytes()  # (it was rewritten)
    assert not left.exists()
    assert writing.exists() and other.exists()


def test_looked_for_at_most_once_a_day(tmp_path: Path) -> None:
    (tmp_path / ".agentmake").mkdir()
    StampWriter(tmp_path).write("sig", 1)  # (the first: looks, and marks when)
    killed, left = stopped(tmp_path)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    _aged(left, 120)
    StampWriter(tmp_path).write("sig", 1)
    assert left.exists()  # (looked for less than a day ago: `.agentmake/` not listed again)
    _aged(tmp_path / ".agentmake" / ".stamp-swept", 24 * 3600 + 60)
    StampWriter(tmp_path).write("sig", 1)
    assert not left.exists()
