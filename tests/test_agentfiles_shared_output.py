"""Two Agentfiles in one directory (`Agentfile`, `ci.Agentfile` built with `-f`) that declare the same output.

They share the directory's state, each with its own task records. Before, nothing said so: a build of
ci.Agentfile ran its task over the result Agentfile's build had paid for (overwritten, kept only in the
cache), and the next build of Agentfile took ci.Agentfile's result for a hand edit ("edited by hand; keeping
it"), up to date. Now a build, `-n` and `status` warn, naming the output and both Agentfiles, and a build
that would run (or restore) a task over the other Agentfile's result, there now, stops first (exit 2, nothing
run): a result paid for is never lost to the other Agentfile."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E, Run

from agentmake.store import Store

WARNING = "is an output of both"


def _agent(name: str, output: str = "shared.md") -> str:
    return f'''agent {name}:
    inputs = src.md
    outputs = {output}
    prompt = """
        FAKE: label={name}
        {name} says: {{{{ read(input) }}}}
        """
'''


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("src.md", "hello\n")
    return e2e


def _says_both(run: Run, path: str = "shared.md") -> None:
    """`run` warned once of `path`, naming both Agentfiles and what to do."""
    lines = [line for line in run.err.splitlines() if WARNING in line]
    assert len(lines) == 1, run
    assert path in lines[0] and "ci.Agentfile (task b" in lines[0] and "Agentfile (task a" in lines[0], run
    assert "rename the output in one of them, or declare it in one only" in run.err, run


def test_a_build_that_would_overwrite_the_other_agentfiles_result_stops(e2e: E2E) -> None:
    """Before: `-f ci.Agentfile` ran b over a's answer (exit 0, shared.md b's, nothing said)."""
    e2e.write("Agentfile", _agent("a"))
    e2e.write("ci.Agentfile", _agent("b"))
    assert e2e.am().code == 0
    paid = e2e.read("shared.md")
    assert "a says: hello" in paid

    run = e2e.am("-f", "ci.Agentfile")
    assert run.code == 2, run
    assert "agentmake: error: shared.md holds the result of task a of Agentfile" in run.err, run
    assert "building its task b would overwrite that result" in run.err, run
    assert "rename the output in one of them" in run.err and "move shared.md away" in run.err, run
    assert e2e.read("shared.md") == paid and e2e.calls("b") == []


def test_the_other_agentfiles_result_taken_for_a_hand_edit_is_warned_of(e2e: E2E) -> None:
    """Before: Agentfile's build called ci.Agentfile's result a hand edit of its own, and said no more; and
    once its input changed, ran a over it."""
    e2e.write("Agentfile", _agent("a"))
    e2e.write("ci.Agentfile", _agent("b"))
    assert e2e.am().code == 0
    (e2e.root / "shared.md").rename(e2e.root / "a-kept.md")  # (as the refusal says: moved away)
    ci = e2e.am("-f", "ci.Agentfile")
    assert ci.code == 0 and ci.summary.ran == 1, ci
    assert WARNING in ci.err and "shared.md" in ci.err, ci
    theirs = e2e.read("shared.md")
    assert "b says: hello" in theirs

    for _ in range(2):  # (each build says so: no build stamp answers the next one unwarned)
        run = e2e.am()
        assert run.code == 0 and run.summary.up_to_date == 1, run
        _says_both(run)
        assert "ci.Agentfile's result now" in run.err, run
    for args in (("-n",), ("status",)):
        run = e2e.am(*args)
        assert run.code == 0, run
        _says_both(run)

    # a change that makes a stale: its build stops rather than run a over b's result
    e2e.write("src.md", "changed\n")
    run = e2e.am()
    assert run.code == 2, run
    assert "shared.md holds the result of task b of ci.Agentfile" in run.err, run
    assert e2e.read("shared.md") == theirs and e2e.calls("a") == ["a"]


def test_only_the_shared_output_is_named(e2e: E2E) -> None:
    """Two Agentfiles with an output each of their own and one both declare: only that one is warned of."""
    e2e.write("Agentfile", _agent("a") + "\n" + _agent("a2", "a.md"))
    e2e.write("ci.Agentfile", _agent("b") + "\n" + _agent("b2", "b.md"))
    assert e2e.am().code == 0
    (e2e.root / "shared.md").unlink()
    assert e2e.am("-f", "ci.Agentfile").code == 0
    run = e2e.am()
    assert run.code == 0 and run.summary.up_to_date == 2, run
    _says_both(run)
    assert "a.md" not in run.err and "b.md" not in run.err, run


def test_two_agentfiles_with_outputs_of_their_own_say_nothing(e2e: E2E) -> None:
    """No warning where nothing is shared, nor for one Agentfile alone (checks against false alarms: these
    passed before too, there being no warning at all)."""
    e2e.write("Agentfile", _agent("a", "a.md"))
    for args in ((), (), ("-n",), ("status",)):
        run = e2e.am(*args)
        assert run.code == 0 and WARNING not in run.err, run
    e2e.write("ci.Agentfile", _agent("b", "b.md"))
    for args in ((), ("-n",), ("status",)):
        for agentfile in ((), ("-f", "ci.Agentfile")):
            run = e2e.am(*agentfile, *args)
            assert run.code == 0 and WARNING not in run.err, run
    assert "a says" in e2e.read("a.md") and "b says" in e2e.read("b.md")


def test_one_agentfile_reads_no_records_for_it(e2e: E2E) -> None:
    """In a directory of one Agentfile, looking for another's outputs asks the state one question (which
    Agentfiles wrote records), once however often it is asked, and reads no record: a build's normal
    path pays nothing for it."""
    e2e.write("Agentfile", _agent("a", "a.md"))
    assert e2e.am().code == 0
    statements: list[str] = []
    with Store.open(e2e.root, lock=False, agentfile="Agentfile") as store:
        store._conn.set_trace_callback(statements.append)
        assert store.own_task_ids() == ["a"]
        assert store.others_outputs() == {}
        assert store.others_outputs() == {}
        store._conn.set_trace_callback(None)
    owners = [s for s in statements if "DISTINCT agentfile" in s]
    assert len(owners) == 1, statements
    assert not [s for s in statements if "outputs" in s], statements


def test_the_other_agentfiles_task_of_the_same_name_is_named_plainly(e2e: E2E) -> None:
    """A task both Agentfiles name alike has a row of its own for the second (`RowIds`): the warning names
    it as its Agentfile does."""
    e2e.write("Agentfile", _agent("a"))
    e2e.write("ci.Agentfile", _agent("a").replace("label=a", "label=ci"))
    assert e2e.am().code == 0
    (e2e.root / "shared.md").unlink()
    assert e2e.am("-f", "ci.Agentfile").code == 0
    run = e2e.am("status")
    assert "ci.Agentfile (task a, by its last build)" in run.err and "\x1f" not in run.err, run
    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake" / "state.db")) as conn:
        rows = sorted(r[0] for r in conn.execute("SELECT task_id FROM tasks"))
    assert rows == ["a", "ci.Agentfile\x1fa"]


def test_watch_stops_as_a_build_does_and_warns_once(e2e: E2E, capsys: pytest.CaptureFixture[str]) -> None:
    """`agentmake -f ci.Agentfile watch` builds as a build does: it says why it runs nothing over
    Agentfile's result (and waits for an edit), and once that file is moved away, warns once a session."""
    from agentmake.watch.session import WatchSession
    from agentmake.workflow import Request

    e2e.write("Agentfile", 'agent a:\n    run = "echo A > {output}"\n    outputs = shared.txt\n')
    e2e.write("ci.Agentfile", 'agent b:\n    run = "echo B > {output}"\n    outputs = shared.txt\n')
    assert e2e.am().code == 0
    session = WatchSession(Request(directory=e2e.root, agentfile=e2e.root / "ci.Agentfile", silent=True))
    try:
        assert session.load()
        assert session.build() == 0
        err = capsys.readouterr().err
        assert "agentmake: error: shared.txt holds the result of task a of Agentfile" in err, err
        assert e2e.read("shared.txt") == "A\n"
        (e2e.root / "shared.txt").unlink()
        assert session.build() == 0 and e2e.read("shared.txt") == "B\n"
        assert capsys.readouterr().err.count(WARNING) == 1
        e2e.touch("Agentfile")  # (a build that decides again: said already, not again)
        assert session.build() == 0
        assert WARNING not in capsys.readouterr().err
    finally:
        session.close()


def test_one_task_both_agentfiles_take_from_a_shared_include_is_no_shared_output(e2e: E2E) -> None:
    """Before: a build of either warned "is an output of both", though both made the same result under the
    same key and neither ever took the other's for a hand edit."""
    e2e.write("common.Agentfile", _agent("scan", "scan.md"))
    e2e.write("Agentfile", 'include "common.Agentfile"\n')
    e2e.write("nightly.Agentfile", 'include "common.Agentfile"\n')
    assert e2e.am().code == 0
    nightly = e2e.am("-f", "nightly.Agentfile")
    assert nightly.code == 0 and nightly.summary.ran == 0, nightly  # (the same key: up to date, no call)
    assert WARNING not in nightly.err, nightly
    again = e2e.am()
    assert again.code == 0 and WARNING not in again.err, again
    assert WARNING not in e2e.am("status").err
    assert e2e.calls("scan") == ["scan"]
    e2e.write("src.md", "hello again\n")  # (one builds the new result, the other then finds it its own)
    assert e2e.am().summary.ran == 1
    nightly = e2e.am("-f", "nightly.Agentfile")
    assert nightly.code == 0 and nightly.summary.ran == 0 and WARNING not in nightly.err, nightly
    assert e2e.calls("scan") == ["scan", "scan"]


def test_one_task_id_declared_otherwise_in_each_is_still_a_shared_output(e2e: E2E) -> None:
    e2e.write("Agentfile", _agent("scan", "scan.md"))
    e2e.write("nightly.Agentfile", _agent("scan", "scan.md").replace("says:", "writes:"))
    assert e2e.am().code == 0
    nightly = e2e.am("-f", "nightly.Agentfile")
    assert nightly.code == 2 and "holds the result of task scan of Agentfile" in nightly.err, nightly


def test_one_agentfile_declaring_the_shared_task_otherwise_since_is_warned_of(e2e: E2E) -> None:
    """review19: both made scan from one include (one key), then nightly.Agentfile declares it otherwise:
    its build ran scan over Agentfile's result and said nothing (its record's key, not its key now, was
    compared with the other's), where 7ac0e78 warned that scan.md is an output of both."""
    e2e.write("common.Agentfile", _agent("scan", "scan.md"))
    e2e.write("Agentfile", 'include "common.Agentfile"\n')
    e2e.write("nightly.Agentfile", 'include "common.Agentfile"\n')
    assert e2e.am().code == 0
    assert e2e.am("-f", "nightly.Agentfile").summary.ran == 0
    paid = e2e.read("scan.md")
    e2e.write("nightly.Agentfile", _agent("scan", "scan.md").replace("says:", "writes:"))
    nightly = e2e.am("-f", "nightly.Agentfile")
    assert WARNING in nightly.err, nightly  # (as before 89adda2: its record's key was the other's)
    again = e2e.am()  # (Agentfile's build, which takes nightly's result for a hand edit: as the warning says)
    assert WARNING in again.err and "scan.md was edited by hand" in again.err, again
    assert paid


def test_touch_does_not_record_the_other_agentfiles_result_as_its_own(e2e: E2E) -> None:
    """Before: `-f ci.Agentfile -t` recorded Agentfile's answer in shared.md as ci's task b, up to date,
    with a warning alone (review19); a build of ci.Agentfile refuses to overwrite it, and -t now leaves it."""
    e2e.write("Agentfile", _agent("a"))
    e2e.write("ci.Agentfile", _agent("b"))
    assert e2e.am().code == 0
    paid = e2e.read("shared.md")
    run = e2e.am("-f", "ci.Agentfile", "-t")
    assert run.code == 1 and "0 touched" in run.out, run
    assert "not touched b  (output shared.md holds the result of task a of Agentfile" in run.err, run
    assert e2e.am("-f", "ci.Agentfile", "-q").code == 1  # (b is still not built)
    mine = e2e.am()
    assert mine.code == 0 and mine.summary.up_to_date == 1 and e2e.read("shared.md") == paid, mine
    assert e2e.calls("b") == []
