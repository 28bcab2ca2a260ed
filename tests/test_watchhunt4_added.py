"""`agentmake watch`: a file added, while a build runs, that a fan-out pattern matches (`docs/c.md` for
`docs/{name}.md`) holds the build at once, as a save of the Agentfile does, until it is quiet and what the
Agentfile plans with it is known. The build used to go on for the quiet time (or the 2 s a stream of saves,
a `git checkout`, may take) and start what reads the fan-out (`all` over `build/*.txt`) on the old plan: a
paid call, then cancelled by the new plan or, finished, paid again by the next build.

The watcher runs in-process over a real directory; `on_added` stands for `WatchSession.added` (it answers
the hold) and notes whether the build was held when it was called."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from agentmake.graph.globs import compile_pattern
from agentmake.scheduler import BuildControl
from agentmake.watch.watcher import Watcher


def _wait(cond: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


@pytest.fixture
def watcher(tmp_path: Path) -> object:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs/a.md").write_text("alpha\n")
    w = Watcher(tmp_path)
    w.readers = {"docs/a.md": ["copy:a"], "build/a.txt": ["all"]}
    w.producer = {"build/a.txt": "copy:a", "all.txt": "all"}
    w.patterns = (compile_pattern("docs/{name}.md"), compile_pattern("build/*.txt"))
    w.control = BuildControl()
    w.calls = calls = []  # type: ignore[attr-defined]

    def added(paths: set[str], control: BuildControl) -> None:
        calls.append((set(paths), control.held()))
        control.replan(None)  # (as `WatchSession.added` does when the plan is the same)

    w.on_added = added
    w.thread.start()
    yield w
    w.stop.set()
    w.thread.join(10)


def _watching(w: Watcher, root: Path) -> None:
    """Until the watcher has seen a save of a file no pattern matches (it watches; it held nothing)."""
    calls = w.calls  # type: ignore[attr-defined]

    def seen() -> bool:
        return any("notes.txt" in paths for paths, _ in calls)

    deadline = time.monotonic() + 20
    while not seen():
        assert time.monotonic() < deadline, "the watcher never saw notes.txt"
        (root / "notes.txt").write_text(f"{time.monotonic()}\n")  # (again: it may not have watched yet)
        step = time.monotonic() + 1.0
        while not seen() and time.monotonic() < step:
            time.sleep(0.01)


def test_a_file_added_to_a_fan_out_holds_the_running_build_at_once(watcher: Watcher, tmp_path: Path) -> None:
    _watching(watcher, tmp_path)
    calls = watcher.calls  # type: ignore[attr-defined]
    assert not any(held for paths, held in calls if "notes.txt" in paths)  # a log file holds nothing
    n = len(calls)
    (tmp_path / "docs/c.md").write_text("gamma\n")
    _wait(lambda: any("docs/c.md" in paths for paths, _ in calls[n:]), "docs/c.md to be looked at")
    held = [h for paths, h in calls[n:] if "docs/c.md" in paths]
    assert held == [True]  # held from the moment it was seen until what it plans is known
    assert not watcher.control.held()  # (answered: the build goes on, or stops for the new plan)


def test_a_file_added_then_gone_again_does_not_leave_the_build_held(watcher: Watcher, tmp_path: Path) -> None:
    _watching(watcher, tmp_path)
    probe = tmp_path / "docs/probe.md"
    for _ in range(3):  # (an editor's probe: created and removed again at once)
        probe.write_text("x\n")
        probe.unlink()
    queued: list[set[str]] = []

    def seen() -> bool:
        while not watcher.changes.empty():
            queued.append(watcher.changes.get())
        return any("docs/probe.md" in paths for paths in queued)

    _wait(seen, "the probe to be seen")
    assert not watcher.control.held()
