"""Sequences of user actions after which the build stamp must not answer "up to date" when a full decision
says a task must run (found by the stamphunt session). Each builds a small project of shell agents in process
and checks the stamp's answer against what a build without it (no stamp file) says."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from agentmake import workflow

COPY = """\
agent copy:
    inputs = docs/{n}.md
    outputs = out/{n}.md
    run = "cat {input} > {output}"
"""


def runs(root: Path) -> int:
    """Builds recorded in the state (a no-op the stamp answers records none)."""
    with contextlib.closing(sqlite3.connect(root / ".agentmake" / "state.db")) as conn:
        return int(conn.execute("SELECT count(*) FROM runs").fetchone()[0])


def build(root: Path) -> int:
    return workflow.build(workflow.Request(directory=root, silent=True))


def test_a_project_whose_agentfile_links_to_another_projects_is_not_answered_by_that_ones_stamp(
    tmp_path: Path,
) -> None:
    """Two projects share one Agentfile (a symbolic link to the other's): each has its own root, sources,
    outputs and state, so the stamp of one says nothing of the other."""
    shared, mine = tmp_path / "shared", tmp_path / "mine"
    for root, doc in ((shared, "a"), (mine, "b")):
        (root / "docs").mkdir(parents=True)
        (root / "docs" / f"{doc}.md").write_text(f"doc {doc}\n")
    (shared / "Agentfile").write_text(COPY)
    (mine / "Agentfile").symlink_to(shared / "Agentfile")
    assert build(shared) == 0 and build(shared) == 0
    assert (shared / ".agentmake" / "stamp").is_file()
    assert build(mine) == 0
    assert (mine / "out" / "b.md").read_text() == "doc b\n", "the linked project was built"
    assert not (shared / "out" / "b.md").exists()
    # and the linked project's own stamp answers its next no-op
    assert (mine / ".agentmake" / "stamp").is_file()
    before = runs(mine)
    assert build(mine) == 0 and runs(mine) == before
