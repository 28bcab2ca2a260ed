"""Sequences of user actions after which the build stamp must not answer "up to date" when a full decision
says a task must run (found by the stamphunt session). Each builds a small project of shell agents in process
and checks the stamp's answer against what a build without it (no stamp file) says."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
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


RACED = """\
agent up:
    inputs = src/a.txt
    outputs = mid/a.txt
    run = "tr a-z A-Z < {input} > {output}"

agent slow:
    inputs = mid/a.txt
    outputs = mid2/a.txt
    # (a person saving src/a.txt while this runs, after `up` read it and was recorded)
    run = "[ -e edited ] || {{ printf 'alpha!\\\\n' > src/a.txt && touch edited; }}; cat {input} > {output}"

agent final:
    inputs = src/a.txt mid2/a.txt
    outputs = final.txt
    run = "cat {inputs} > {output}"
"""


def test_a_source_saved_during_the_build_after_one_reader_finished_is_not_stamped_as_read(
    tmp_path: Path,
) -> None:
    """`up` read src/a.txt and was recorded; then src/a.txt was saved, and `final`, decided later, read the
    new content. Every task was up to date as decided, but `up`'s result is of the old content: the stamp
    must not vouch for the file's new stat (the next build answered "up to date" from it, while a full
    decision reruns `up`)."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("delta\n")
    (tmp_path / "Agentfile").write_text(RACED)
    assert build(tmp_path) == 0
    assert (tmp_path / "edited").exists() and (tmp_path / "src" / "a.txt").read_text() == "alpha!\n"
    assert (tmp_path / "mid" / "a.txt").read_text() == "DELTA\n"  # (made before the save)
    assert build(tmp_path) == 0
    assert (tmp_path / "mid" / "a.txt").read_text() == "ALPHA!\n", "up was run for the saved content"
    assert (tmp_path / "final.txt").read_text() == "alpha!\nALPHA!\n"
    before = runs(tmp_path)
    assert build(tmp_path) == 0 and runs(tmp_path) == before, "and then the stamp answers"


def test_a_dangling_link_whose_target_appears_makes_its_task(tmp_path: Path) -> None:
    """docs/y.md links to a file not made yet: the fan-out skips it. Creating the target makes it a file of
    docs/ with no change to docs/ itself (its mtime and listing stay as they were), so a stamp resting on
    docs/'s stat answered "up to date" while a build without it makes copy:y."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "gen").mkdir()
    (tmp_path / "docs" / "a.md").write_text("doc a\n")
    (tmp_path / "docs" / "y.md").symlink_to("../gen/y.md")
    (tmp_path / "Agentfile").write_text(COPY)
    old = time.time() - 60  # (past the racily-clean margin: the stamp trusts docs/'s stat alone)
    for path in ("docs/a.md", "docs", "Agentfile"):
        os.utime(tmp_path / path, (old, old))
    assert build(tmp_path) == 0 and build(tmp_path) == 0
    assert (tmp_path / ".agentmake" / "stamp").is_file() and not (tmp_path / "out" / "y.md").exists()
    docs = (tmp_path / "docs").stat()
    (tmp_path / "gen" / "y.md").write_text("doc y\n")
    assert (tmp_path / "docs").stat().st_mtime_ns == docs.st_mtime_ns
    assert build(tmp_path) == 0
    assert (tmp_path / "out" / "y.md").read_text() == "doc y\n"
    before = runs(tmp_path)
    assert build(tmp_path) == 0 and runs(tmp_path) == before, "and then the stamp answers"
    (tmp_path / "gen" / "y.md").unlink()  # dangling again: its task leaves the graph
    assert build(tmp_path) == 0 and runs(tmp_path) == before + 1
