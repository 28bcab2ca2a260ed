"""Faults of the state directory itself, with real builds (the fake agent CLIs count the calls paid for): a
damaged state database, a read-only `.agentmake/`, a state copied into another project or moved with it. Each
is said clearly (exit 2, no traceback), loses no output, and costs no call that was paid for."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
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
