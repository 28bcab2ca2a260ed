"""Several Agentfiles in one directory share its `.agentmake/` (one lock, one result cache: a result paid for
once is restored by either), but each Agentfile's tasks are its own: a task the other Agentfile declares is
not "no longer in the graph", so `clean --leftovers` (and the build's leftover warning) never takes the other
Agentfile's outputs for leftovers, nor an output the other Agentfile's task of the same name makes for one
renamed in this Agentfile."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def _shell(name: str, out: str, text: str) -> str:
    return f'agent {name}:\n    run = "echo {text} > {{output}}"\n    outputs = {out}\n'


def _two(e2e: E2E) -> None:
    """Agentfile (agent a -> a.out) and other.Agentfile (agent b -> b.out), each built."""
    e2e.write("Agentfile", _shell("a", "a.out", "A"))
    e2e.write("other.Agentfile", _shell("b", "b.out", "B"))
    assert e2e.am().code == 0
    assert e2e.am("-f", "other.Agentfile").code == 0
    assert e2e.exists("a.out") and e2e.exists("b.out")


def _sql(e2e: E2E, *statements: str) -> None:
    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake" / "state.db")) as conn:
        for sql in statements:
            conn.execute(sql)
        conn.commit()


def test_clean_leftovers_of_one_agentfile_keeps_the_other_agentfiles_outputs(e2e: E2E) -> None:
    """Each Agentfile took the other's task for one no longer in the graph: `clean --leftovers -n` said
    "would remove b.out", and `-f other.Agentfile clean --leftovers` removed a.out."""
    _two(e2e)
    for args in ((), ("-f", "other.Agentfile")):
        dry = e2e.am(*args, "clean", "--leftovers", "-n")
        assert dry.code == 0, dry
        assert "would remove 0 leftover outputs" in dry.out, dry
        run = e2e.am(*args, "clean", "--leftovers")
        assert run.code == 0, run
        assert e2e.exists("a.out") and e2e.exists("b.out"), run
    # and each is still up to date, its record kept (nothing forgotten, nothing rerun)
    assert e2e.am().summary.up_to_date == 1
    assert e2e.am("-f", "other.Agentfile").summary.up_to_date == 1


def test_a_build_reads_the_other_agentfiles_output_without_a_leftover_warning(e2e: E2E) -> None:
    """An Agentfile reading what the other makes is told nothing about leftovers: that output is current."""
    reads = 'agent a:\n    run = "cat {inputs} > {output}"\n    inputs = b.out\n    outputs = a.out\n'
    e2e.write("Agentfile", reads)
    e2e.write("other.Agentfile", _shell("b", "b.out", "B"))
    assert e2e.am("-f", "other.Agentfile").code == 0
    run = e2e.am()
    assert run.code == 0, run
    assert "left over" not in run.err, run


def test_a_task_dropped_from_one_agentfile_is_still_its_leftover(e2e: E2E) -> None:
    """The scoping takes nothing away: a task dropped from this Agentfile is a leftover of it, the other's
    outputs stay."""
    _two(e2e)
    e2e.write("Agentfile", _shell("c", "c.out", "C"))
    assert e2e.am().code == 0
    run = e2e.am("clean", "--leftovers")
    assert run.code == 0, run
    assert "removed 1 leftover output of 1 task" in run.out, run
    assert not e2e.exists("a.out") and e2e.exists("b.out") and e2e.exists("c.out")


def test_the_same_task_name_in_two_agentfiles_is_no_renamed_output(e2e: E2E) -> None:
    """Both declare `agent a`, making a.out and x.out: building one over the other's record is not an
    output renamed in the Agentfile, so neither output is a leftover of either."""
    e2e.write("Agentfile", _shell("a", "a.out", "A"))
    e2e.write("other.Agentfile", _shell("a", "x.out", "X"))
    assert e2e.am().code == 0
    assert e2e.am("-f", "other.Agentfile").code == 0
    for args in ((), ("-f", "other.Agentfile")):
        run = e2e.am(*args, "clean", "--leftovers")
        assert run.code == 0, run
        assert e2e.exists("a.out") and e2e.exists("x.out"), run


def test_an_output_renamed_in_the_agentfile_is_still_a_leftover(e2e: E2E) -> None:
    e2e.write("Agentfile", _shell("a", "a.out", "A"))
    e2e.write("other.Agentfile", _shell("b", "b.out", "B"))
    assert e2e.am("-f", "other.Agentfile").code == 0
    assert e2e.am().code == 0
    e2e.write("Agentfile", _shell("a", "a2.out", "A"))
    assert e2e.am().code == 0
    run = e2e.am("clean", "--leftovers")
    assert run.code == 0, run
    assert not e2e.exists("a.out") and e2e.exists("a2.out") and e2e.exists("b.out"), run


def test_records_from_before_the_agentfile_was_recorded_are_claimed_by_a_build(e2e: E2E) -> None:
    """A state.db written before tasks named their Agentfile: the column is added, and each Agentfile's
    build claims its tasks' records, after which neither cleans the other's outputs."""
    _two(e2e)
    drop = ("DROP INDEX tasks_agentfile", "ALTER TABLE tasks DROP COLUMN agentfile")
    _sql(e2e, *drop, "ALTER TABLE strays DROP COLUMN agentfile")
    assert e2e.am().summary.up_to_date == 1
    assert e2e.am("-f", "other.Agentfile").summary.up_to_date == 1
    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake" / "state.db")) as conn:
        assert conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'tasks_agentfile'").fetchone()
    for args in ((), ("-f", "other.Agentfile")):
        run = e2e.am(*args, "clean", "--leftovers")
        assert run.code == 0, run
        assert e2e.exists("a.out") and e2e.exists("b.out"), run


def test_an_agentfile_renamed_leaves_its_old_tasks_to_the_new_name(e2e: E2E) -> None:
    """The Agentfile that recorded a task is gone (renamed): its tasks not in the new one's graph are
    leftovers of the new one, as they were before tasks named their Agentfile."""
    e2e.write("old.Agentfile", _shell("a", "a.out", "A") + _shell("z", "z.out", "Z"))
    assert e2e.am("-f", "old.Agentfile").code == 0
    (e2e.root / "old.Agentfile").rename(e2e.root / "Agentfile")
    e2e.write("Agentfile", _shell("a", "a.out", "A"))
    assert e2e.am().code == 0
    run = e2e.am("clean", "--leftovers")
    assert run.code == 0, run
    assert "removed 1 leftover output of 1 task" in run.out, run
    assert not e2e.exists("z.out") and e2e.exists("a.out")
