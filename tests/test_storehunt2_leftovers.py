"""`agentmake clean --leftovers` forgets what the state directory keeps of the tasks and files no longer in
the graph: a dropped task's job directory (`.agentmake/home/<task>`, its CLI's config directory) and the
stat cache's rows of files that are gone (a renamed or deleted source: no build looks at it again)."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E, fanout_agentfile

from agentmake.runners.invocation import safe_name


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def _built(e2e: E2E, names: tuple[str, ...] = ("a", "b", "c")) -> None:
    e2e.write("Agentfile", fanout_agentfile())
    for name in names:
        e2e.write(f"docs/{name}.md", f"doc {name}\n")
    assert e2e.am().code == 0
    # each attempt's job directory goes when it ends: one is left only by a build killed meanwhile (or by an
    # older agentmake, which kept them), as here
    for name in names:
        session = e2e.root / ".agentmake" / "home" / safe_name(f"translate:{name}") / "claude" / "projects"
        session.mkdir(parents=True)
        (session / "s.jsonl").write_text("{}\n")


def _stat_rows(e2e: E2E) -> set[str]:
    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake" / "state.db")) as conn:
        return {path for (path,) in conn.execute("SELECT path FROM files")}


def test_clean_leftovers_removes_the_job_directories_of_the_tasks_it_forgets(e2e: E2E) -> None:
    """Each LLM task gets `.agentmake/home/<task>` (its CLI's config directory, which the CLI may fill with
    sessions and history: prompts and answers). clean --leftovers forgot a dropped task's logs, prompt and
    history but kept its job directory, forever: no build removes it."""
    _built(e2e)
    home = e2e.root / ".agentmake" / "home"
    jobs = {name: home / safe_name(f"translate:{name}") for name in ("a", "b", "c")}
    assert all(job.is_dir() for job in jobs.values())
    (e2e.root / "docs/c.md").unlink()
    run = e2e.am("clean", "--leftovers")
    assert run.code == 0, run
    assert not jobs["c"].exists(), sorted(p.name for p in home.iterdir())
    assert jobs["a"].is_dir() and jobs["b"].is_dir()  # (the current tasks' stay)


def test_clean_leftovers_keeps_a_job_directory_that_is_a_link_and_what_it_leads_to(e2e: E2E) -> None:
    """A job directory that is a symbolic link (to elsewhere) is removed as the link, never followed."""
    _built(e2e)
    elsewhere = e2e.root.parent / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("mine\n")
    job = e2e.root / ".agentmake" / "home" / safe_name("translate:c")
    for entry in sorted(job.rglob("*"), reverse=True):
        entry.rmdir() if entry.is_dir() else entry.unlink()
    job.rmdir()
    job.symlink_to(elsewhere)
    (e2e.root / "docs/c.md").unlink()
    assert e2e.am("clean", "--leftovers").code == 0
    assert (elsewhere / "keep.txt").read_text() == "mine\n"


def test_clean_leftovers_forgets_the_stat_cache_rows_of_files_that_are_gone(e2e: E2E) -> None:
    """The stat cache keeps a row for every file ever hashed; a build forgets one only when it looks at the
    path again and finds it gone, which it never does for a source renamed away (its glob no longer matches
    it) or a dropped task's output clean --leftovers removed: rename a fan-out's 1,000 sources a few times and
    the table holds thousands of rows for nothing. clean --leftovers now forgets the rows of files that are
    gone; those of files still there stay (a build then need not read them again)."""
    _built(e2e)
    (e2e.root / "docs/c.md").rename(e2e.root / "docs/d.md")
    assert e2e.am().code == 0
    assert {"docs/c.md", "build/c.md"} <= _stat_rows(e2e)  # (the fault: rows no build will look at again)
    run = e2e.am("clean", "--leftovers")
    assert run.code == 0, run
    rows = _stat_rows(e2e)
    assert not {"docs/c.md", "build/c.md"} & rows, rows
    assert {"docs/a.md", "docs/d.md", "build/a.md", "build/d.md"} <= rows
    e2e.reset_calls()
    again = e2e.am("-v")  # no source changed: no agent runs (the report does: build/c.md left its input glob)
    assert again.code == 0 and e2e.calls() == [], again
    assert {f"translate:{n}" for n in "abd"} <= again.with_state("up-to-date"), again


def test_clean_leftovers_n_forgets_nothing(e2e: E2E) -> None:
    _built(e2e)
    (e2e.root / "docs/c.md").unlink()
    assert e2e.am().code == 0
    before = _stat_rows(e2e)
    job = e2e.root / ".agentmake" / "home" / safe_name("translate:c")
    assert e2e.am("clean", "--leftovers", "-n").code == 0
    assert _stat_rows(e2e) == before and job.is_dir()
