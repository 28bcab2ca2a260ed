"""`agentmake watch -B` forces its first build only: every later build rebuilds exactly what the edit made
stale. It forced every build of the session, so one saved input paid again for every agent."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from test_watch import Watch, make_project, write

__all__ = ["make_project"]  # (the fixture, used by name)


class ForcedWatch(Watch):
    """`agentmake watch -B` (Watch's, with -B)."""

    def __init__(self, project: Path, log: Path) -> None:
        self.project, self.log = project, log
        self.out = (project.parent / "watch.out").open("w+")
        self.err = (project.parent / "watch.err").open("w+")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "agentmake", "watch", "-B"],
            cwd=project,
            stdout=self.out,
            stderr=self.err,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "NO_COLOR": "1", "CI": "1"},
        )


def test_watch_B_forces_the_first_build_then_rebuilds_only_what_an_edit_made_stale(
    make_project: Callable[..., tuple[Path, Path]],
) -> None:
    project, log = make_project({"a": "alpha\n", "b": "beta\n"})
    subprocess.run([sys.executable, "-m", "agentmake"], cwd=project, check=True, capture_output=True)
    log.write_text("")  # (the plain build's runs are not the session's)
    w = ForcedWatch(project, log)
    try:
        w.wait_for(lambda: len(w.summaries()) == 1 and "watching" in w.stderr(), "the first build")
        assert sorted(w.runs()) == ["copy:a", "copy:b"]  # up to date, and forced
        write(project / "docs/a.md", "alpha 2\n")
        w.wait_for(lambda: len(w.summaries()) == 2, "the build of the edit")
        assert sorted(w.runs()) == ["copy:a", "copy:a", "copy:b"]  # b, not stale, is not paid for again
        assert (project / "build/a.txt").read_text() == "alpha 2\n"
    finally:
        assert w.stop() == 130
