"""The watcher failing while a build runs: what it had gathered is lost (a save of the Agentfile among it,
maybe), so the build starts nothing until the watcher watches again and its rescan says what the files that
plan the build plan now. It used to go on starting tasks on the old plan for the whole restart delay (paid
calls, then cancelled by the rescan's new plan)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from agentmake.scheduler import BuildControl
from agentmake.watch import watcher as watcher_mod
from agentmake.watch.watcher import Watcher


def _failing_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """watchfiles raises at its first run (as it does on a path that is not valid UTF-8), then watches."""
    real, runs = watcher_mod.watchfiles.watch, []

    def watch(*args: Any, **kwargs: Any) -> Any:
        runs.append(1)
        if len(runs) == 1:
            raise RuntimeError("Unable to decode path")
        return real(*args, **kwargs)

    monkeypatch.setattr(watcher_mod.watchfiles, "watch", watch)


def _wait(cond: Any, what: str) -> None:
    deadline = time.monotonic() + 20
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def test_a_watcher_failure_during_a_build_holds_it_until_the_rescan_replans(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _failing_once(monkeypatch)
    monkeypatch.setattr(watcher_mod, "RESTART_DELAY", 60.0)  # (it does not watch again during the test)
    watcher = Watcher(tmp_path)
    watcher.control = control = BuildControl()
    watcher.plan_files = frozenset({"Agentfile"})
    watcher.thread.start()
    try:
        said = ""

        def failed() -> bool:
            nonlocal said
            said += capsys.readouterr().err
            return "the file watcher failed" in said

        _wait(failed, "the failure to be said")
        assert control.held()  # while it does not watch, nothing starts on what may be the old plan
    finally:
        watcher.stop.set()
        watcher.thread.join(10)


def test_the_rescan_after_a_watcher_failure_answers_the_hold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _failing_once(monkeypatch)
    monkeypatch.setattr(watcher_mod, "RESTART_DELAY", 0.05)
    watcher = Watcher(tmp_path)
    watcher.control = control = BuildControl()
    watcher.plan_files = frozenset({"Agentfile"})
    planned: list[set[str]] = []

    def replan(edited: set[str], c: BuildControl) -> None:
        planned.append(edited)
        c.replan(None)  # (the same plan: the build goes on)

    watcher.on_plan_edit = replan
    watcher.thread.start()
    try:
        _wait(lambda: bool(planned), "the rescan to replan")
        assert planned == [{"Agentfile"}] and not control.held()
    finally:
        watcher.stop.set()
        watcher.thread.join(10)
