"""`agentmake watch` builds, and says "watching for changes", only once its file watcher watches. The
watcher said it was ready as its thread started, before watchfiles had put its watches in place (which takes
a while over a large tree): a save made during the first build, or right after "watching" was said, could
come before them and never be seen. watchfiles has no ready signal of its own: its first yield (after
`rust_timeout`, with nothing changed) comes once its watches are in place.

The watcher runs in-process, over a watchfiles slowed to start as over a large tree."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentmake.watch import watcher as watcher_mod
from agentmake.watch.watcher import Watcher


def test_the_watcher_is_ready_only_once_its_watches_are_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = watcher_mod.watchfiles.watch
    placed: list[bool] = []

    def slow_watch(*args: Any, **kwargs: Any) -> Iterator[Any]:
        time.sleep(0.5)  # (the watches of a large tree being put in place)
        for changes in real(*args, **kwargs):
            placed.append(True)  # (watchfiles yields only once its watches are in place)
            yield changes

    monkeypatch.setattr(watcher_mod.watchfiles, "watch", slow_watch)
    w = Watcher(tmp_path)
    w.thread.start()
    try:
        assert w.ready.wait(20)
        assert placed, "ready before the watches were in place"
        # and it is: a save made now is seen
        (tmp_path / "a.md").write_text("alpha\n")
        assert "a.md" in w.changes.get(timeout=20)
    finally:
        w.stop.set()
        w.thread.join(10)


def test_a_watch_that_cannot_watch_builds_nothing(tmp_path: Path) -> None:
    """A directory whose name is not valid UTF-8: watchfiles cannot start. watch exits with 1 and why, as
    before, but without a first build and a "watching for changes" it could not keep."""
    project = tmp_path / "proj"
    (project / "docs").mkdir(parents=True)
    (project / "docs/a.md").write_text("alpha\n")
    (project / "Agentfile").write_text(
        "agent copy:\n    inputs  = docs/{name}.md\n    outputs = build/{name}.txt\n"
        '    run     = "cp {input} {output}"\n'
    )
    (project / os.fsdecode(b"dir-\xfa")).mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "agentmake", "watch"],
        cwd=project,
        capture_output=True,
        text=True,
        errors="replace",
        stdin=subprocess.DEVNULL,
        env={**os.environ, "NO_COLOR": "1", "CI": "1"},
        timeout=60,
    )
    assert proc.returncode == 1, proc.stderr
    assert "agentmake: error: cannot watch the project" in proc.stderr
    assert "watching for changes" not in proc.stderr
    assert not (project / "build/a.txt").exists()
