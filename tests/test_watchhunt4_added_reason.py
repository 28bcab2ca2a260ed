"""`agentmake watch`: a file added during a build that adds a task stops the build for the new plan, and
each task it ends or holds back says why ("docs/c.md added: the next build runs it"). The reason named
every file no task read among the saves gathered: a `git checkout` adding 200 documents made a line of 200
paths for each such task, and a log file saved meanwhile was named as if it were why. It names the files the
new plan reads, the first few of many."""

from __future__ import annotations

from pathlib import Path

from test_watch import AGENTFILE, write

from agentmake.scheduler import BuildControl
from agentmake.watch.session import WatchSession
from agentmake.workflow import Request


def _reason(project: Path, added: list[str]) -> str:
    session = WatchSession(Request(directory=project, silent=True))
    try:
        assert session.load()
        for path in added:
            write(project / path, f"{path}\n")
        control = BuildControl()
        session.added(set(added), control)
        replan = control.take_replan()
        assert replan is not None and replan[0] is not None  # (other work: the new plan)
        return replan[1]
    finally:
        session.close()


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "proj"
    (project / "docs").mkdir(parents=True)
    (project / "Agentfile").write_text(AGENTFILE.format(log=tmp_path / "runs.log", sleep=""))
    write(project / "docs/a.md", "alpha\n")
    return project


def test_the_reason_names_the_files_added_the_new_plan_reads(tmp_path: Path) -> None:
    assert _reason(_project(tmp_path), ["docs/c.md", "notes.txt"]) == "docs/c.md added"


def test_the_reason_names_the_first_few_of_many_files_added(tmp_path: Path) -> None:
    added = [f"docs/n{i:03}.md" for i in range(200)]
    reason = _reason(_project(tmp_path), [*added, "notes.txt"])
    assert reason == "docs/n000.md, docs/n001.md, docs/n002.md and 197 more added"
