"""`agentmake clean` after, and under, a `kill -9` (real processes, the fake agent CLIs count the calls paid
for): clean first puts right what a killed build left, as a build does (its processes ended, its cut-short
commits finished), and a clean killed halfway loses nothing that the next clean or build cannot finish."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FakeAgents
from crash_helpers import crash_at
from e2e_helpers import E2E, fanout_agentfile, group_alive, kill_quietly, wait_for


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def _fanout(e2e: E2E) -> None:
    e2e.write("Agentfile", fanout_agentfile())
    for name in ("a", "b", "c"):
        e2e.write(f"docs/{name}.md", f"doc {name}\n")
    assert e2e.am().code == 0


def test_clean_finishes_a_commit_a_killed_build_cut_short_instead_of_calling_its_output_a_hand_edit(
    e2e: E2E,
) -> None:
    """Killed as it renamed a paid, recorded answer onto build/a.md: the old output is still there. clean took
    it for a hand edit ("edited by hand or not made by agentmake; saved a copy") and left the commit pending;
    it now finishes the commit first, says so, and the result stays cached for the next build."""
    _fanout(e2e)
    e2e.write("docs/a.md", "doc a, second version\n")
    e2e.reset_calls()
    crash_at(e2e, "os.rename", "build/a.md", "-j1")
    assert e2e.calls() == ["a"]
    assert "second version" not in e2e.read("build/a.md")  # recorded and cached, not in place

    run = e2e.am("clean")
    assert run.code == 0, run
    assert "edited by hand" not in run.text and not e2e.exists(".agentmake/edited"), run
    assert "finished translate:a's commit" in run.out and "stays in the cache" in run.out, run
    assert not e2e.exists("build/a.md") and not e2e.exists("SUMMARY.md"), run

    run = e2e.am()
    assert run.code == 0, run
    assert e2e.calls() == ["a"], run  # the answer paid for before the kill is not paid again
    assert "second version" in e2e.read("build/a.md")
    assert run.summary.cached == 3, run


def _listing(top: Path) -> dict[str, bytes | list[str]]:
    """Every file under `top` and its content; the state database by what it holds (a reader closing it
    last folds its -wal into it: other bytes, the same rows)."""
    files: dict[str, bytes | list[str]] = {
        str(p.relative_to(top)): p.read_bytes()
        for p in sorted(top.rglob("*"))
        if p.is_file() and not p.name.startswith("state.db")
    }
    with contextlib.closing(sqlite3.connect(top / ".agentmake/state.db")) as db:
        files["state.db"] = list(db.iterdump())
    return files


@pytest.mark.parametrize("edited", [False, True], ids=["old-output", "edited-since"])
def test_clean_dry_run_after_a_cut_short_commit_says_what_clean_will_do(e2e: E2E, edited: bool) -> None:
    """Killed as it renamed a paid, recorded answer onto build/a.md: `clean -n` said a copy of the old output
    "would be saved", which clean, finishing the commit first, never does. It now says the commit would be
    finished and build/a.md removed, as clean then does, and changes nothing. An output edited by hand
    after the kill is saved by clean (before the commit puts the result in place): -n says so, and clean
    says where the copy went, as it does of a copy it saves before removing an output."""
    _fanout(e2e)
    e2e.write("docs/a.md", "doc a, second version\n")
    crash_at(e2e, "os.rename", "build/a.md", "-j1")
    if edited:
        e2e.write("build/a.md", "edited after the kill\n")
    before = _listing(e2e.root)

    dry = e2e.am("clean", "-n")
    assert dry.code == 0, dry
    assert _listing(e2e.root) == before  # (nothing written: not the commit, not the state, not a copy)
    assert "would finish translate:a's commit, which an agentmake that was killed cut short" in dry.out, dry
    copy = "would remove build/a.md (not as agentmake made it: a copy would be saved)"
    assert (copy in dry.out) == edited and "would remove build/a.md" in dry.out, dry
    assert "would remove 4 outputs" in dry.out, dry

    run = e2e.am("clean")
    assert run.code == 0, run
    assert "finished translate:a's commit" in run.out and "removed 4 outputs" in run.out, run
    copies = list((e2e.root / ".agentmake/edited").rglob("a.md"))
    assert [p.read_text() for p in copies] == (["edited after the kill\n"] if edited else []), run
    assert not e2e.exists("build/a.md"), run
    # the copy the commit's take-over saved is said, with where, as clean says a copy it saves itself (it
    # went to the error log only)
    said = [line for line in run.out.splitlines() if "saved a copy" in line]
    copy = "build/a.md was edited by hand or not made by agentmake; saved a copy to "
    assert said == ([f"{copy}{copies[0]}"] if edited else []), run
    if edited:  # (before the commit's line: the copy is saved before its result replaces the edit)
        assert run.out.index(copy) < run.out.index("finished translate:a's commit"), run


_SLOW = """\
agent slow:
    run = "trap '' TERM; echo $$ > agent.pgid; sleep 120; echo late > {output}"
    outputs = out/slow.txt
"""


def test_clean_ends_what_a_killed_build_left_running(e2e: E2E) -> None:
    """A killed build's agent that outlives it (it ignores the SIGTERM its parent's death sends) would go on
    working, and writing, behind the clean: clean ends it, as the next build would. `clean -n` lists it
    (task, pid), once though both the running table and the spawn log name it, and ends nothing: it said
    nothing of it."""
    e2e.write("Agentfile", _SLOW)
    proc = e2e.spawn()
    pgid = 0
    try:
        wait_for(lambda: e2e.exists("agent.pgid") and e2e.read("agent.pgid").strip(), what="the agent")
        pgid = int(e2e.read("agent.pgid"))
        wait_for(lambda: _recorded_running(e2e), what="the agent in the running table")
        proc.kill()
        proc.communicate(timeout=30)
        assert group_alive(pgid), "the agent outlived agentmake (the fault to clean up after)"
        killed = "still running after an agentmake that was killed started it"
        dry = e2e.am("clean", "-n")
        assert dry.code == 0, dry
        assert [line for line in dry.out.splitlines() if "would end" in line] == [
            f"would end slow's process {pgid} and its group, {killed}"
        ], dry
        assert group_alive(pgid), dry
        run = e2e.am("clean")
        assert run.code == 0, run
        assert not group_alive(pgid), run
        assert f"ended slow's process {pgid} and its group, {killed}" in run.out, run
    finally:
        if pgid:
            kill_quietly(-pgid)


def _recorded_running(e2e: E2E) -> bool:
    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake/state.db")) as db:
        return bool(db.execute("SELECT count(*) FROM running").fetchone()[0])


def test_clean_n_lists_no_process_of_a_build_that_runs(e2e: E2E) -> None:
    """While a build runs (it holds the lock) its processes are its own, not a killed agentmake's: clean -n
    lists none of them (clean would wait for the build, and find nothing left to end)."""
    e2e.write("Agentfile", _SLOW)
    proc = e2e.spawn()
    pgid = 0
    try:
        wait_for(lambda: e2e.exists("agent.pgid") and e2e.read("agent.pgid").strip(), what="the agent")
        pgid = int(e2e.read("agent.pgid"))
        wait_for(lambda: _recorded_running(e2e), what="the agent in the running table")
        dry = e2e.am("clean", "-n")
        assert dry.code == 0, dry
        assert "would end" not in dry.out and group_alive(pgid), dry
    finally:
        kill_quietly(proc.pid)
        proc.communicate(timeout=30)
        if pgid:
            kill_quietly(-pgid)


def test_a_clean_killed_halfway_is_finished_by_the_next_and_costs_no_call(e2e: E2E) -> None:
    """kill -9 while clean removes the outputs (after a hand-edited one was saved, before it was removed):
    the next clean saves it again and removes the rest, and the build after it restores every result from
    the cache, with no call."""
    _fanout(e2e)
    e2e.write("build/b.md", "edited by hand\n")
    e2e.reset_calls()
    crash_at(e2e, "os.remove", "build/b.md", "clean")
    assert e2e.exists("build/b.md")
    saved = [p for p in (e2e.root / ".agentmake/edited").rglob("b.md")]
    assert [p.read_text() for p in saved] == ["edited by hand\n"]

    run = e2e.am("clean")
    assert run.code == 0, run
    assert not e2e.files("build/*"), run
    saved = [p for p in (e2e.root / ".agentmake/edited").rglob("b.md")]
    assert {p.read_text() for p in saved} == {"edited by hand\n"}, saved  # complete copies, none lost

    run = e2e.am()
    assert run.code == 0, run
    assert e2e.calls() == [], run
    assert e2e.read("build/b.md") == "ANSWER:\nTranslate into French:\ndoc b\n", run


def test_a_clean_cache_killed_halfway_is_finished_by_the_next(e2e: E2E) -> None:
    """kill -9 while `clean --cache` forgets the answers in the logs (the cache emptied, the outputs gone):
    the next `clean --cache` finishes, and the state is usable (the build then runs every task again, as
    emptying the cache means)."""
    _fanout(e2e)
    run = crash_at(e2e, "os.remove", ".key", "clean", "--cache")
    assert run.code == -signal.SIGKILL
    assert not e2e.exists("build/a.md") and list((e2e.root / ".agentmake/logs").glob("*.key"))
    run = e2e.am("clean", "--cache")
    assert run.code == 0 and "emptied the cache" in run.out, run
    e2e.reset_calls()
    run = e2e.am()
    assert run.code == 0, run
    assert sorted(e2e.calls()) == ["a", "b", "c"], run
    assert os.path.exists(e2e.root / "SUMMARY.md")


_KILLED_MID_COPY = """\
import resource, signal, sys
def hook(name, args):
    if name == "shutil.copyfile" and ".agentmake/edited" in str(args[1]):
        signal.signal(signal.SIGXFSZ, signal.SIG_DFL)  # (Python ignores it: a write past the limit kills)
        resource.setrlimit(resource.RLIMIT_FSIZE, (65536, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
sys.addaudithook(hook)
sys.argv = ["agentmake", *sys.argv[1:]]
from agentmake.cli import main
sys.exit(main())
"""


def test_a_copy_of_a_hand_edit_cut_short_by_a_kill_is_never_kept_as_the_saved_edit(e2e: E2E) -> None:
    """Killed while it saved a large hand-edited output to .agentmake/edited/ (the process dies by signal
    once the copy has written 64 KiB of 1 MiB): the partial copy stayed there under the output's name, as
    if it were the saved edit. The copy is now written under a temporary name and renamed once complete:
    the kill leaves no file under the output's name (nor the dated directory the copy was to go to), the
    next clean saves a complete copy and removes the leftover temporary."""
    _fanout(e2e)
    edit = "".join(f"line {n} of a long hand edit\n" for n in range(40_000))
    assert len(edit) > 1 << 20
    e2e.write("build/b.md", edit)
    edited = e2e.root / ".agentmake/edited"
    proc = subprocess.run(
        [sys.executable, "-c", _KILLED_MID_COPY, "clean"], cwd=e2e.root, env=e2e.env(), capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == -signal.SIGXFSZ, proc
    assert e2e.read("build/b.md") == edit  # (not removed: its copy was never finished)
    assert [p.stat().st_size for p in edited.rglob("*") if p.is_file()] == [65536]  # the copy cut short
    assert not list(edited.rglob("b.md")), "a partial copy is kept under the output's name"
    assert not [p for p in edited.rglob("*") if p.is_dir()], "an empty dated directory looks like a save"

    run = e2e.am("clean")
    assert run.code == 0, run
    assert not e2e.exists("build/b.md"), run
    assert [p.read_text() for p in edited.rglob("b.md")] == [edit], run
    assert [p.name for p in edited.rglob("*") if p.is_file()] == ["b.md"], run  # the leftover removed


@pytest.mark.parametrize("command", [(), ("clean",)], ids=["build", "clean"])
def test_the_next_build_or_clean_removes_a_copy_cut_short_and_keeps_the_saved_edits(
    e2e: E2E, command: tuple[str, ...]
) -> None:
    """A clean killed while it saved a large hand edit (build/b.md) left its copy cut short in
    .agentmake/edited/ (after saving build/a.md's edit whole). With that output gone, nothing is saved
    again, and the leftover stayed for good: only the next save of a hand edit removed it. The next build or
    clean removes it, as it starts; the saved edit of build/a.md stays."""
    _fanout(e2e)
    e2e.write("build/a.md", "a small hand edit\n")
    e2e.write("build/b.md", "".join(f"line {n} of a long hand edit\n" for n in range(40_000)))
    edited = e2e.root / ".agentmake/edited"
    proc = subprocess.run(
        [sys.executable, "-c", _KILLED_MID_COPY, "clean"], cwd=e2e.root, env=e2e.env(), capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == -signal.SIGXFSZ, proc
    [partial] = [p for p in edited.iterdir() if p.is_file()]
    assert partial.name.startswith(".partial-") and partial.stat().st_size == 65536, proc
    assert [p.read_text() for p in edited.rglob("*.md")] == ["a small hand edit\n"], proc
    (e2e.root / "build/b.md").unlink()  # (nothing left to save: no save tidies for the command)
    assert e2e.am("clean", "-n").code == 0 and partial.exists()  # (a dry run changes nothing)

    run = e2e.am(*command)
    assert run.code == 0, run
    assert [p.name for p in edited.iterdir() if p.is_file()] == [], run  # the copy cut short: removed
    assert [p.read_text() for p in edited.rglob("*.md")] == ["a small hand edit\n"], run  # the saved edit
