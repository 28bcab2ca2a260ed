"""A once-a-day marker (`pidtmp.due`: `.agentmake/.stamp-swept`, the parse cache's `parsed/.trimmed`) that is
a FIFO, not a file (planted in a shared project's `.agentmake/`, or made by mistake), is not waited on: its
`open` for writing would block until a reader came, and the build that writes the stamp as it ends, up to
date, would never end. It is no marker that can be set: the sweep is not done (as for any marker that cannot
be set)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

_DUE = "import sys\nfrom agentmake.pidtmp import due\nprint(due(sys.argv[1], 60))\n"
_SWEPT = "import sys\nfrom agentmake.plan.stamp import swept\nswept(sys.argv[1])\nprint('done')\n"


def _fifo(path: Path) -> None:
    os.mkfifo(path, 0o600)
    old = time.time() - 3 * 24 * 3600  # (set days ago: the marker says the work is due)
    os.utime(path, (old, old))


def _run(code: str, arg: Path) -> str:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, str(arg)], capture_output=True, text=True, env=env, timeout=20
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the marker's open waited for a reader of the FIFO (a build would hang)")
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_due_does_not_wait_on_a_fifo_marker(tmp_path: Path) -> None:
    marker = tmp_path / ".trimmed"
    _fifo(marker)
    assert _run(_DUE, marker) == "False"


def test_stamp_sweep_does_not_wait_on_a_fifo_marker(tmp_path: Path) -> None:
    state = tmp_path / ".agentmake"
    state.mkdir()
    _fifo(state / ".stamp-swept")
    assert _run(_SWEPT, state) == "done"


def test_a_missing_marker_is_still_made_and_due(tmp_path: Path) -> None:
    from agentmake.pidtmp import due

    marker = tmp_path / ".trimmed"
    assert due(str(marker), 60)
    assert marker.is_file()
    assert not due(str(marker), 60)
