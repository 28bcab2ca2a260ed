"""`Supervisor.wait(0)`, the look the build loop takes between two decisions, sees to the timers once (after
its poll) and computes no wait; a wait that may block still sees to them first and wakes for the nearest
deadline. Both sides end a child at its time limit or its cancel."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import pytest
from test_supervise import add, sup  # noqa: F401  (the fixture)

from agentmake.runners import supervise
from agentmake.runners.process import ProcResult
from agentmake.runners.supervise import Supervisor

pytestmark = pytest.mark.skipif(not supervise.available(), reason="needs pidfd, epoll and eventfd (Linux)")


def looks(sup: Supervisor, limit: float = 30.0) -> dict[str, ProcResult]:  # noqa: F811
    """Non-blocking looks only (`wait(0)`), a few milliseconds apart, until every child is reported."""
    results: dict[str, ProcResult] = {}
    deadline = time.monotonic() + limit
    while len(sup):
        assert time.monotonic() < deadline, f"only {sorted(results)} ended"
        results.update(sup.wait(0.0))
        time.sleep(0.005)
    return results


def test_looks_that_never_wait_still_end_a_child_at_its_time_limit(tmp_path: Path, sup: Supervisor) -> None:  # noqa: F811
    add(sup, tmp_path, "slow", "echo before; sleep 60", timeout=3.0)  # (room for the echo on a loaded runner)
    res = looks(sup)["slow"]
    assert res.timed_out and res.exit_code == -signal.SIGTERM
    assert (tmp_path / "logs" / "slow.out").read_text() == "before\n"


def test_looks_that_never_wait_still_end_a_cancelled_child(tmp_path: Path, sup: Supervisor) -> None:  # noqa: F811
    cancel = threading.Event()
    add(sup, tmp_path, "c", "sleep 60", cancel=cancel)
    assert sup.wait(0.0) == []
    cancel.set()
    res = looks(sup)["c"]
    assert res.cancelled and res.exit_code == -signal.SIGTERM


def test_a_wait_wakes_for_the_nearest_deadline(tmp_path: Path, sup: Supervisor) -> None:  # noqa: F811
    """One wait of 60 s: it returns once the 0.3 s time limit is due (to end the child), not at its end."""
    add(sup, tmp_path, "slow", "sleep 60", timeout=0.3)
    started = time.monotonic()
    done = sup.wait(60.0)
    while not done:  # (the group told to end; reported once it is gone)
        assert time.monotonic() - started < 30
        done = sup.wait(60.0)
    assert done[0][0] == "slow" and done[0][1].timed_out
    assert time.monotonic() - started < 30
