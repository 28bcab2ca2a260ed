"""`agentmake watch` tells of an output edited by hand and kept once: a later save that leaves nothing to do
(a `touch`, a comment added to the Agentfile) is no build, as it is without such an edit, instead of a build
that ran nothing only to tell of the edit again."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from test_watch import Watch, make_project, write

__all__ = ["make_project"]  # (the fixture, used by name)

KEPT = "REPORT.md was edited by hand; keeping it"


class VerboseWatch(Watch):
    """`agentmake watch -v`: it says in a line when a change leaves nothing to rebuild."""

    def __init__(self, project: Path, log: Path) -> None:  # (Watch's, with -v)
        self.project, self.log = project, log
        self.out = (project.parent / "watch.out").open("w+")
        self.err = (project.parent / "watch.err").open("w+")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "agentmake", "watch", "-v"],
            cwd=project,
            stdout=self.out,
            stderr=self.err,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "NO_COLOR": "1", "CI": "1"},
        )

    def outcome(self, save: Callable[[], object], saved: str) -> str:
        """Save (`save()`) and wait for what the change of `saved` led to: "build" or "nothing"."""
        nothing = f"nothing to rebuild ({saved}"
        builds, said = len(self.summaries()), self.stderr().count(nothing)
        save()
        self.wait_for(
            lambda: len(self.summaries()) > builds or self.stderr().count(nothing) > said,
            f"what saving {saved} led to",
        )
        return "build" if len(self.summaries()) > builds else "nothing"


def test_a_kept_hand_edit_is_told_once_not_at_every_later_save(
    make_project: Callable[..., tuple[Path, Path]],
) -> None:
    project, log = make_project({"a": "alpha\n"})
    w = VerboseWatch(project, log)
    try:
        w.wait_for(lambda: len(w.summaries()) == 1 and "watching" in w.stderr(), "the first build")
        write(project / "REPORT.md", "my own report\n")
        # (the notice is on stderr before its build's summary line is on stdout: wait for both)
        w.wait_for(lambda: KEPT in w.stderr() and len(w.summaries()) >= 2, "the hand edit to be told")
        builds = len(w.summaries())
        assert builds == 2

        assert w.outcome(lambda: os.utime(project / "docs/a.md"), "docs/a.md") == "nothing"  # a touch
        agentfile = project / "Agentfile"
        comment = agentfile.read_text() + "# a comment\n"
        assert w.outcome(lambda: write(agentfile, comment), "Agentfile") == "nothing"
        assert len(w.summaries()) == builds
        assert w.stderr().count(KEPT) == 1

        # a new edit of it is told again; a real change still builds what it made stale
        write(project / "REPORT.md", "my own report, edited again\n")
        w.wait_for(
            lambda: w.stderr().count(KEPT) == 2 and len(w.summaries()) > builds, "the new edit to be told"
        )
        assert len(w.summaries()) == builds + 1
        assert w.outcome(lambda: write(project / "docs/a.md", "alpha 2\n"), "docs/a.md") == "build"
        assert w.runs() == ["copy:a", "copy:a"]
        assert "alpha 2" in (project / "REPORT.md").read_text()  # (the report reran: its edit saved first)
    finally:
        assert w.stop() == 130
