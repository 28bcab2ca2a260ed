"""`agentmake clean` after a `kill -9` and on a damaged state database (real processes, the fake agent CLIs
count the calls paid for)."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

import pytest
from conftest import FakeAgents
from crash_helpers import crash_at
from e2e_helpers import E2E, fanout_agentfile


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def _fanout(e2e: E2E) -> None:
    e2e.write("Agentfile", fanout_agentfile())
    for name in ("a", "b", "c"):
        e2e.write(f"docs/{name}.md", f"doc {name}\n")
    assert e2e.am().code == 0


def test_clean_removes_the_staged_files_a_killed_build_left_and_the_directory_they_kept(e2e: E2E) -> None:
    """Killed as it renamed a staged answer onto build/a.md: the staged file (`.a.agentmake-tmp-….md`, a
    whole answer or, killed earlier, half of one) stays beside the outputs. clean removed the outputs and
    left it, and with it build/, which `clean -n` had said would be removed ("left empty"). A build removes
    such files as it starts; clean now does too, in the directories of the outputs it removes."""
    _fanout(e2e)
    e2e.write("docs/a.md", "doc a, second version\n")
    crash_at(e2e, "os.rename", "build/a.md", "-j1")
    staged = [name for name in os.listdir(e2e.root / "build") if ".agentmake-tmp-" in name]
    assert staged, "the kill left a staged file (the fault to clean up after)"

    dry = e2e.am("clean", "-n")
    assert dry.code == 0, dry
    assert "would remove build/ (left empty)" in dry.out, dry
    assert [n for n in os.listdir(e2e.root / "build") if ".agentmake-tmp-" in n] == staged  # (-n: nothing)

    run = e2e.am("clean")
    assert run.code == 0, run
    assert not e2e.exists("build"), (run, os.listdir(e2e.root / "build"))
    assert "and 1 directory left empty" in run.out, run


def test_clean_n_says_a_directory_holding_only_stale_staged_files_would_be_removed(e2e: E2E) -> None:
    """`clean -n` judges a directory left empty as clean leaves it: staged files a killed build left there
    are removed with the outputs."""
    _fanout(e2e)
    (e2e.root / "build" / ".b.agentmake-tmp-1234abcd.md").write_text("half an answ")
    dry = e2e.am("clean", "-n")
    assert dry.code == 0, dry
    assert "would remove build/ (left empty)" in dry.out, dry
    assert e2e.exists("build/.b.agentmake-tmp-1234abcd.md")
    run = e2e.am("clean")
    assert run.code == 0, run
    assert not e2e.exists("build"), run


def _damage_page_of(db: Path, table: str) -> bytes:
    """Garbage over the root page of `table` (a page inside the file: the header and the schema are whole,
    so the database opens); returns the damaged file's bytes."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()
    with db.open("r+b") as fh:
        fh.seek((root - 1) * page_size)
        fh.write(b"\xde\xad\xbe\xef" * (page_size // 4))
    return db.read_bytes()


@pytest.mark.parametrize(
    "args", [("clean",), ("clean", "--cache"), ("clean", "-n"), ("clean", "--leftovers")]
)
def test_clean_refuses_a_damaged_state_database_before_it_removes_anything(
    e2e: E2E, args: tuple[str, ...]
) -> None:
    """A state database damaged inside (garbage over the pages of the cached answers; its header and schema
    whole) was not noticed by clean, which reads no blob: it removed every output, the only whole copy of
    results paid for, and exited 0 (`--cache` then stopped on the damage, exit 2, the outputs gone). The
    README promises that a damaged state.db stops every command with exit 2, the file left as it is: clean
    now checks the database before it removes anything."""
    _fanout(e2e)
    outputs = {rel: e2e.read(rel) for rel in [*e2e.files("build/*"), "SUMMARY.md"]}
    db = e2e.root / ".agentmake/state.db"
    damaged = _damage_page_of(db, "blobs")

    run = e2e.am(*args)
    assert run.code == 2 and "Traceback" not in run.text, run
    assert "the file is damaged" in run.err and f"mv {db} {db}.damaged" in run.err, run
    assert {rel: e2e.read(rel) for rel in outputs} == outputs, run
    assert db.read_bytes() == damaged


_BIG = """\
agent big:
    run = "echo run >> runs.log; yes {input} | head -c 200000 > {output}"
    inputs = src/{n}.txt
    outputs = out/{n}.txt
"""


def test_clean_caches_a_result_the_build_could_not_cache_before_it_removes_it(e2e: E2E) -> None:
    """A result the build could not put in the cache (a full disk; here the blob directory blocked by a file)
    is recorded and kept in place, 'not cached'. Nothing caches it later, so `clean` removed the only copy
    and the next build paid for it again, though the README says a clean never costs a call again. clean
    now files such an output in the cache before it removes it (the cache has room again)."""
    e2e.write("Agentfile", _BIG)
    e2e.write("src/1.txt", "one\n")
    e2e.write(".agentmake/cache", "a file where the cache's directory goes\n")
    run = e2e.am()
    assert run.code == 0 and "not cached" in run.text, run
    (e2e.root / ".agentmake/cache").unlink()  # (room in the cache again)
    made = e2e.read("out/1.txt")

    run = e2e.am("clean")
    assert run.code == 0 and not e2e.exists("out/1.txt"), run
    run = e2e.am()
    assert run.code == 0 and run.summary.cached == 1 and run.summary.ran == 0, run
    assert e2e.read("out/1.txt") == made
    assert e2e.read("runs.log") == "run\n"


def test_clean_says_so_when_it_cannot_cache_a_result_it_removes(e2e: E2E) -> None:
    """Where the cache still cannot be written, clean removes the output as asked, and says that the task
    will run again (it said nothing)."""
    e2e.write("Agentfile", _BIG)
    e2e.write("src/1.txt", "one\n")
    e2e.write(".agentmake/cache", "a file where the cache's directory goes\n")
    assert e2e.am().code == 0
    run = e2e.am("clean")
    assert run.code == 0 and not e2e.exists("out/1.txt"), run
    assert "out/1.txt" in run.text and "not in the cache" in run.text and "runs again" in run.text, run
