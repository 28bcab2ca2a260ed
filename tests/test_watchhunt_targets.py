"""`agentmake watch TARGET` keeps watching when an edit takes its target away (the input of a fan-out task
deleted, the agent renamed in the Agentfile): it says the target is unknown and builds again once it is
back. It exited with 2 ('unknown target') at the first such save, a `git checkout` of a branch without
the file or an agent renamed mid-edit."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from test_watch import Watch, make_project, write

__all__ = ["make_project"]  # (the fixture, used by name)


class TargetWatch(Watch):
    """`agentmake watch TARGET...` (Watch's, with targets)."""

    def __init__(self, project: Path, log: Path, *targets: str) -> None:
        self.project, self.log = project, log
        self.out = (project.parent / "watch.out").open("w+")
        self.err = (project.parent / "watch.err").open("w+")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "agentmake", "watch", *targets],
            cwd=project,
            stdout=self.out,
            stderr=self.err,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "NO_COLOR": "1", "CI": "1"},
        )


def test_a_target_taken_away_by_an_edit_is_waited_for(make_project: Callable[..., tuple[Path, Path]]) -> None:
    project, log = make_project({"a": "alpha\n", "b": "beta\n"})
    w = TargetWatch(project, log, "build/a.txt")
    try:
        w.wait_for(lambda: len(w.summaries()) == 1 and "watching" in w.stderr(), "the first build")
        assert w.runs() == ["copy:a"]
        (project / "docs/a.md").unlink()  # its task goes, and with it the target
        # (a leftover now, which the report's glob reads: an input, not an output)
        gone = "'build/a.txt' is an input, not an output: no agent makes it (it is read by all)"
        w.wait_for(lambda: gone in w.stderr(), "the target to be said not made")
        write(project / "docs/b.md", "beta 2\n")  # (not the target's: no build, the error is not said again)
        write(project / "docs/a.md", "alpha 2\n")
        w.wait_for(lambda: len(w.summaries()) == 2, "the build once the target is back")
        assert w.runs() == ["copy:a", "copy:a"]
        assert (project / "build/a.txt").read_text() == "alpha 2\n"
        assert w.stderr().count("no agent makes it") == 1
    finally:
        assert w.stop() == 130


def test_an_agent_named_as_target_renamed_mid_edit_is_waited_for(
    make_project: Callable[..., tuple[Path, Path]],
) -> None:
    project, log = make_project({"a": "alpha\n"})
    w = TargetWatch(project, log, "copy")
    try:
        w.wait_for(lambda: len(w.summaries()) == 1 and "watching" in w.stderr(), "the first build")
        agentfile = project / "Agentfile"
        good = agentfile.read_text()
        write(agentfile, good.replace("agent copy:", "agent cop:"))  # an edit under way
        w.wait_for(lambda: "unknown target 'copy'" in w.stderr(), "the target to be said unknown")
        write(agentfile, good.replace("cp {input}", "cat {input} >"))  # the name back, the command changed
        w.wait_for(lambda: len(w.summaries()) == 2, "the build once the target is back")
        assert w.runs() == ["copy:a", "copy:a"]
    finally:
        assert w.stop() == 130


def test_an_unknown_target_on_the_command_line_is_still_a_usage_error(
    make_project: Callable[..., tuple[Path, Path]],
) -> None:
    project, log = make_project({"a": "alpha\n"})
    w = TargetWatch(project, log, "build/nope.txt")
    try:
        assert w.proc.wait(30) == 2
        assert "unknown target 'build/nope.txt'" in w.stderr()
    finally:
        w.stop()
