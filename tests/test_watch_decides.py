"""`agentmake watch` decides each task once per change: the "nothing to do" check that comes before a build
(`agentmake.watch.idle`) decides every task, and the build it does not spare takes the tasks it found up to
date as decided, instead of deciding them all again. Read from the run's trace (`AGENTMAKE_TRACE`: the build
marks how many tasks it decided before it started anything)."""

from __future__ import annotations

import json
import queue
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_watch import AGENTFILE, Watch, write

import agentmake.watch.session as session_module
from agentmake.watch.idle import Idle
from agentmake.watch.session import WatchSession
from agentmake.workflow import Request


def _decided(trace: Path) -> list[int]:
    """How many tasks each build of the traced run decided before it started anything."""
    events = [json.loads(line) for line in trace.read_text().splitlines()]
    return [int(e["detail"]) for e in events if e["moment"] == "predecided"]


def test_a_build_after_an_edit_decides_again_only_what_the_check_did_not_find_up_to_date(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    project, log = tmp_path / "proj", tmp_path / "runs.log"
    (project / "docs").mkdir(parents=True)
    (project / "Agentfile").write_text(AGENTFILE.format(log=log, sleep=""))
    for i in range(12):
        write(project / f"docs/d{i}.md", f"d{i}\n")
    trace = tmp_path / "trace.jsonl"
    monkeypatch.setenv("AGENTMAKE_TRACE", str(trace))
    w = Watch(project, log)
    try:
        w.wait_for(lambda: len(w.summaries()) == 1 and "watching" in w.stderr(), "the first build")
        assert w.summaries()[0][:4] == (13, 0, 0, 0)
        write(project / "docs/d3.md", "d3 again\n")
        assert w.next_build(1)[:4] == (2, 0, 11, 0)  # copy:d3 and the report; the other copies up to date
        assert w.runs()[12:] == ["copy:d3"]
        assert "d3 again" in (project / "build/d3.txt").read_text()
        write(project / "docs/d5.md", "d5 again\n")
        assert w.next_build(2)[:4] == (2, 0, 11, 0)
        assert w.runs()[13:] == ["copy:d5"]
    finally:
        assert w.stop() == 130
    # the first build decided the copies (the report waits for them); each later one only the copy whose
    # input changed: the other eleven the check had found up to date, and nothing changed since
    assert _decided(trace) == [12, 1, 1]


def test_a_change_the_watcher_sees_during_the_check_is_built_not_taken_as_decided(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The check before a build finds copy:a up to date, and its decisions would have the build take it as
    decided; docs/a.md is saved after the check and before the build, and the watcher sees it: the build
    decides again (and runs copy:a), rather than skip it on the check's word. The save lands there because
    the test wraps the check (in a real session, with its watcher thread): it saves docs/a.md once the
    check is done, and returns once the watcher has seen the save."""
    project, log = tmp_path / "proj", tmp_path / "runs.log"
    (project / "docs").mkdir(parents=True)
    (project / "Agentfile").write_text(AGENTFILE.format(log=log, sleep=""))
    write(project / "docs/a.md", "alpha\n")
    write(project / "docs/b.md", "beta\n")
    session = WatchSession(Request(directory=project, silent=True))
    try:
        session.watcher.thread.start()
        assert session.watcher.ready.wait(5) and session.load()
        assert session.build() == 0 and sorted(log.read_text().split()) == ["copy:a", "copy:b"]
        # (the watcher watches: a file it sees, and what the first build wrote, are taken off its queue)
        write(project / "probe.txt", "probe\n")
        _seen(session, "probe.txt")

        real = session_module.check_idle
        checked: list[Idle] = []

        def check_then_save(*args: Any) -> Idle:
            check = real(*args)
            checked.append(check)
            before = session.watcher.changes_seen
            write(project / "docs/a.md", "alpha 2\n")
            _wait(lambda: session.watcher.changes_seen > before, "the watcher to see docs/a.md")
            return check

        monkeypatch.setattr(session_module, "check_idle", check_then_save)
        write(project / "docs/b.md", "beta 2\n")
        assert session.relevant(_seen(session, "docs/b.md")).rebuild
        assert session.build({"docs/b.md"}) == 0
        # the check found copy:a up to date, and would have vouched for it (docs/a.md unchanged then)
        (check,) = checked
        assert not check.idle and check.decided is not None
        assert check.decided.vouches(("docs/a.md",)) and check.decided.vouches(("build/a.txt",))
        # the build decided it again: copy:a ran on the save made meanwhile, and the report has it
        assert log.read_text().split()[2:] in (["copy:a", "copy:b"], ["copy:b", "copy:a"])
        assert (project / "build/a.txt").read_text() == "alpha 2\n"
        assert "alpha 2" in (project / "REPORT.md").read_text()
    finally:
        session.close()
        session.watcher.thread.join(10)


def _wait(cond: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def _seen(session: WatchSession, path: str) -> set[str]:
    """The changes the watcher queued, taken off its queue until one holds `path`; all of them."""
    taken: set[str] = set()
    deadline = time.monotonic() + 20
    while path not in taken:
        assert time.monotonic() < deadline, f"the watcher did not see {path}: {taken}"
        try:
            taken |= session.watcher.changes.get(timeout=0.1)
        except queue.Empty:
            continue
    return taken
