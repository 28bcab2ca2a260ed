"""Faults of the state directory itself, with real builds (the fake agent CLIs count the calls paid for): a
damaged state database, a read-only `.agentmake/`, a state copied into another project or moved with it. Each
is said clearly (exit 2, no traceback), loses no output, and costs no call that was paid for."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E, Run, fanout_agentfile


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def _built(e2e: E2E, names: tuple[str, ...] = ("a", "b", "c")) -> dict[str, str]:
    e2e.write("Agentfile", fanout_agentfile())
    for name in names:
        e2e.write(f"docs/{name}.md", f"doc {name}\n")
    run = e2e.am()
    assert run.code == 0, run
    e2e.reset_calls()
    return {rel: e2e.read(rel) for rel in [*e2e.files("build/*"), "SUMMARY.md"]}


def _damage(db: Path, how: str) -> None:
    if how == "truncated":
        os.truncate(db, db.stat().st_size // 2)
    elif how == "garbage":
        db.write_bytes(os.urandom(db.stat().st_size))
    else:  # garbage over the header only
        with db.open("r+b") as fh:
            fh.write(b"garbage garbage garbage")


@pytest.mark.parametrize("how", ["truncated", "garbage", "header"])
def test_a_damaged_state_database_is_refused_with_the_way_out_and_left_as_it_is(e2e: E2E, how: str) -> None:
    """A build set it aside and started afresh (exit 0, a warning): every result cached only in it was then
    paid for again, with no chance to put back a backup first. Every command now stops (exit 2, one
    message, no traceback) and touches nothing; moving the file aside as told costs no call."""
    outputs = _built(e2e)
    db = e2e.root / ".agentmake/state.db"
    _damage(db, how)
    damaged = db.read_bytes()
    for args in ((), ("status",), ("-n",), ("clean",)):
        run = e2e.am(*args)
        assert run.code == 2 and "Traceback" not in run.text, run
        assert "the file is damaged" in run.err and f"mv {db} {db}.damaged" in run.err, run
        assert len(run.err.strip().splitlines()) == 1, run
    assert db.read_bytes() == damaged
    assert not list(db.parent.glob("state.db.*"))
    assert {rel: e2e.read(rel) for rel in outputs} == outputs
    assert e2e.calls() == []

    db.rename(db.with_name("state.db.damaged"))  # the way out the message gives
    run = e2e.am()
    assert run.code == 0, run
    assert e2e.calls() == [], run  # the answers in the logs are reused
    assert {rel: e2e.read(rel) for rel in outputs if rel.startswith("build/")} == {
        rel: text for rel, text in outputs.items() if rel.startswith("build/")
    }


def _without_write_override() -> list[str]:
    """A command prefix under which a read-only file is read-only: none for a user that is not root; for
    root, `setpriv` without the capabilities that let root write anything (skips the test where that is not
    possible)."""
    if os.geteuid() != 0:
        return []
    prefix = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner"]
    if shutil.which("setpriv") is None or subprocess.run([*prefix, "true"], capture_output=True).returncode:
        pytest.skip("root, and setpriv cannot drop the capability to write read-only files")
    return prefix


def _chmod_tree(top: Path, writable: bool) -> None:
    for path in [top, *top.rglob("*")]:
        if path.is_symlink():
            continue
        mode = path.stat().st_mode
        path.chmod(mode | stat.S_IWUSR if writable else mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def test_a_read_only_state_directory_stops_a_build_clearly_and_costs_nothing(e2e: E2E) -> None:
    """`chmod -R a-w .agentmake`: a build that must run something says which directory to make writable
    (it said "cannot use a file: [Errno 13] Permission denied: '…/lock'"), exit 2, with no traceback, no
    call made and every output as it was; made writable again, the build runs what it had to."""
    prefix = _without_write_override()
    outputs = _built(e2e)
    e2e.write("docs/a.md", "doc a, second version\n")
    state = e2e.root / ".agentmake"
    _chmod_tree(state, writable=False)
    try:
        for args in ((), ("clean",)):
            proc = subprocess.run(
                [*prefix, *e2e.argv(args)], cwd=e2e.root, env=e2e.env(), capture_output=True, text=True,
                timeout=60,
            )  # fmt: skip
            run = Run(args, proc.returncode, proc.stdout, proc.stderr)
            assert run.code == 2 and "Traceback" not in run.text, run
            assert f"cannot write agentmake's state in {state}" in run.err, run
            assert f"make {state} and the files in it writable by this user" in run.err, run
        assert e2e.calls() == []
        assert {rel: e2e.read(rel) for rel in outputs} == outputs
    finally:
        _chmod_tree(state, writable=True)
    run = e2e.am()
    assert run.code == 0, run
    assert e2e.calls() == ["a"], run


def _as_reader(e2e: E2E, prefix: list[str], *args: str) -> Run:
    proc = subprocess.run(
        [*prefix, *e2e.argv(args)], cwd=e2e.root, env=e2e.env(), capture_output=True, text=True, timeout=60
    )
    return Run(args, proc.returncode, proc.stdout, proc.stderr)


def _listing(top: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(top)): (p.stat().st_size, p.stat().st_mtime_ns) for p in top.rglob("*")}


def test_status_dry_run_and_explain_read_a_state_directory_this_user_cannot_write(e2e: E2E) -> None:
    """Another user's project, or a read-only mount: SQLite reads a WAL database through a `-shm` file, which
    the last build removed when it closed and this user cannot make. status, -n and explain failed with exit
    2 ("attempt to write a readonly database"); they now read the state as it is (SQLite's `immutable`),
    under a shared hold of the project lock, and say so in one line; nothing in .agentmake changes, and a
    build or clean still stops with the clear error."""
    prefix = _without_write_override()
    _built(e2e)
    e2e.write("docs/a.md", "doc a, second version\n")
    state = e2e.root / ".agentmake"
    assert not list(state.glob("state.db-*"))  # (the build's last connection removed them)
    _chmod_tree(state, writable=False)
    try:
        before = _listing(state)
        note = f"agentmake: note: {state} is not writable by this user: its state is read as it is"
        run = _as_reader(e2e, prefix, "status")
        assert run.code == 0 and "Traceback" not in run.text, run
        assert "docs/a.md changed" in run.out and "up to date  translate:b" in run.out, run
        assert note in run.err and len(run.err.strip().splitlines()) == 1, run
        run = _as_reader(e2e, prefix, "-n")
        assert run.code == 0 and "would run translate:a: input docs/a.md changed" in run.text, run
        assert "1 to run" in run.out and note in run.err, run
        run = _as_reader(e2e, prefix, "explain", "translate:a")
        assert run.code == 0 and "is stale: input docs/a.md changed" in run.out and note in run.err, run
        for args in ((), ("clean",)):
            run = _as_reader(e2e, prefix, *args)
            assert run.code == 2 and f"cannot write agentmake's state in {state}" in run.err, run
        assert _listing(state) == before
        assert e2e.calls() == []
    finally:
        _chmod_tree(state, writable=True)


def test_a_reader_of_an_unwritable_state_holds_builds_off_and_reads_a_live_one_through_its_files(
    e2e: E2E,
) -> None:
    """Read as immutable, the state must not change under the reader: while a reader has it open, a build
    waits for the project (and, past its wait, says another process is using it), then runs. Where a
    writer has the database open (its -wal and -shm files are there), the reader reads through them, as
    SQLite allows read-only, with no note and no hold on the project."""
    prefix = _without_write_override()
    _built(e2e)
    state = e2e.root / ".agentmake"
    _chmod_tree(state, writable=False)
    script = (
        "import sys; from agentmake.store import Store; s = Store.open(sys.argv[1], lock=False);"
        " print(len(s.task_ids()), flush=True); sys.stdin.read(); s.close()"
    )
    reader = subprocess.Popen(
        [*prefix, sys.executable, "-c", script, str(e2e.root)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert reader.stdout is not None and reader.stdout.readline() == "4\n"
        e2e.write("docs/b.md", "doc b, second version\n")
        _chmod_tree(state, writable=True)  # (the owner may write it: only the reader may not)
        run = e2e.am()
        assert run.code == 2 and "another agentmake (another process) is using" in run.err, run
    finally:
        _, err = reader.communicate("", timeout=30)
    assert reader.returncode == 0 and "its state is read as it is" in err, err
    run = e2e.am()
    assert run.code == 0 and e2e.calls() == ["b"], run

    with sqlite3.connect(state / "state.db") as writer:  # a build's connection, open
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("INSERT INTO events (time, message) VALUES (1, 'a writer is here')")
        _chmod_tree(state, writable=False)
        try:
            run = _as_reader(e2e, prefix, "status")
            assert run.code == 0 and "up to date  translate:b" in run.out, run
            assert "note" not in run.err, run
        finally:
            _chmod_tree(state, writable=True)
    writer.close()


def test_a_state_copied_into_another_project_runs_what_differs_there_and_loses_nothing(
    e2e: E2E, tmp_path: Path, fake_agents: FakeAgents
) -> None:
    """`.agentmake/` copied, build stamp and all, into another project whose docs/a.md differs and whose
    build/a.md someone else wrote: no wrong "up to date" (a runs for its own input), b and c are restored from
    the copied cache with no call, the file that was at build/a.md is saved, and the first project is as
    it was."""
    outputs = _built(e2e)
    other = E2E(tmp_path / "other", fake_agents)
    other.write("Agentfile", fanout_agentfile())
    for name in ("a", "b", "c"):
        other.write(f"docs/{name}.md", "another doc a\n" if name == "a" else f"doc {name}\n")
    other.write("build/a.md", "mine\n")
    shutil.copytree(e2e.root / ".agentmake", other.root / ".agentmake", symlinks=True)
    run = other.am()
    assert run.code == 0, run
    assert other.calls() == ["a"], run
    assert other.read("build/a.md") == "ANSWER:\nTranslate into French:\nanother doc a\n"
    assert other.read("build/b.md") == outputs["build/b.md"]
    assert run.summary.cached == 2, run
    assert [p.read_text() for p in (other.root / ".agentmake/edited").rglob("a.md")] == ["mine\n"]
    again = e2e.am()
    assert again.code == 0 and again.summary.up_to_date == 4, again
    assert {rel: e2e.read(rel) for rel in outputs} == outputs


def test_a_project_moved_or_copied_whole_stays_up_to_date_and_sees_its_own_edits(
    e2e: E2E, tmp_path: Path, fake_agents: FakeAgents
) -> None:
    """The project directory renamed (its state moves with it), then copied whole (`cp -a`, new inodes): each
    is up to date without a call, and an edit in the copy reruns what reads it there, in the copy only."""
    _built(e2e)
    moved = tmp_path / "renamed"
    e2e.root.rename(moved)
    there = E2E(moved, fake_agents)
    run = there.am()
    assert run.code == 0 and run.summary.up_to_date == 4 and there.calls() == [], run
    subprocess.run(["cp", "-a", str(moved), str(tmp_path / "copy")], check=True)
    copy = E2E(tmp_path / "copy", fake_agents)
    run = copy.am()
    assert run.code == 0 and run.summary.up_to_date == 4 and copy.calls() == [], run
    copy.write("docs/c.md", "doc c, in the copy\n")
    run = copy.am()
    assert run.code == 0 and copy.calls() == ["c"], run
    assert "in the copy" in copy.read("build/c.md") and "in the copy" not in there.read("build/c.md")
    run = there.am()
    assert run.code == 0 and run.summary.up_to_date == 4 and copy.calls() == ["c"], run
