"""What a `-B` build killed with -9 paid for and never recorded is found by the build that takes over its run
(`scheduler.earlier.find_left`) when the clocks are not as on one quiet machine: the log directory on a file
server whose clock lags this machine's (its files' times are the server's: `salvage.paid_in_logs` skipped
each key file written "before" the killed build began), and this machine's clock stepped back between the
killed build and the next (a crash, then the clock set right as it boots: the killed build's attempts
started "after" the next build did, outside the killed build's span).

Each agentmake (and fake agent) runs with its `time.time` shifted (a `sitecustomize` on PYTHONPATH); the
kernel's file times are not. Build A records the task; build B (`-B`) pays for a new answer and is killed."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E, kill_quietly, wait_for
from test_money25_killed_rebuild import ANSWERS

from agentmake.scheduler.summary import usd

_SHIFTED = """\
import os, time
_shift = float(os.environ.get("REVIEW10_CLOCK_SHIFT", "0") or 0)
if _shift:
    _time, _time_ns = time.time, time.time_ns
    time.time = lambda: _time() + _shift
    time.time_ns = lambda: _time_ns() + int(_shift * 1e9)
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch) -> E2E:
    shim = tmp_path / "clock"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(_SHIFTED)
    paths = (str(shim), os.environ.get("PYTHONPATH"))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))
    return E2E(tmp_path / "proj", fake_agents)


def _killed_rebuild(e2e: E2E, monkeypatch: pytest.MonkeyPatch, shift: float) -> tuple[float, Path]:
    """A records `bad`, B (-B) pays for a new answer and is killed, both with clocks `shift` s ahead. What
    B's answer cost, and its key file."""
    monkeypatch.setenv("REVIEW10_CLOCK_SHIFT", str(shift))
    e2e.write("Agentfile", ANSWERS)
    e2e.write("docs/a.md", "one\n")
    stop = e2e.fake.state / "stop-lingering"
    stop.touch()
    assert e2e.am("-j1").summary.ran == 1
    stop.unlink()
    e2e.reset_calls()
    build = e2e.spawn("-j1", "-B")
    try:
        wait_for(lambda: any(ev == "end" for ev, *_ in e2e.fake.log_lines()), what="the agent's result")
    finally:
        kill_quietly(build.pid, signal.SIGKILL)
        E2E.finish(build)
    stop.touch()
    logs = e2e.root / ".agentmake" / "logs"
    out = (logs / "bad.1.out").read_text()
    return float(json.loads(out.splitlines()[-1])["total_cost_usd"]), logs / "bad.1.key"


def _reported(e2e: E2E, paid: float) -> None:
    e2e.reset_calls()
    run = e2e.am("-j1")
    assert run.code == 0 and run.summary.up_to_date == 1 and e2e.calls() == [], run
    assert f"{usd(paid)} (paid by an interrupted run)" in run.out, run
    again = e2e.am("-j1")
    assert "interrupted run" not in again.out, again  # (once)


def test_a_killed_build_s_spend_is_found_in_logs_on_a_file_server_whose_clock_lags(
    e2e: E2E, monkeypatch: pytest.MonkeyPatch
) -> None:
    paid, _ = _killed_rebuild(e2e, monkeypatch, shift=30.0)  # (the server's clock: 30 s behind)
    _reported(e2e, paid)


def test_a_killed_build_s_spend_is_found_after_the_clock_was_stepped_back(
    e2e: E2E, monkeypatch: pytest.MonkeyPatch
) -> None:
    paid, key = _killed_rebuild(e2e, monkeypatch, shift=60.0)  # (the clock 60 s fast, then set right)
    started = float(key.read_text().split("\n")[1])
    os.utime(key, (started, started))  # (a local disk: its files' times are the clock's)
    monkeypatch.setenv("REVIEW10_CLOCK_SHIFT", "0")
    _reported(e2e, paid)
