"""The build stamp: a no-op proven by stats alone, and every change that must get past it.

A build that leaves everything up to date writes `.agentmake/stamp`; the next build with the same request
answers from it without loading the Agentfile or deciding a task (no run is recorded in the state, which is
how these tests tell the fast path from the normal one). Every edit below must be seen: by the stamp itself
(the normal path runs) or by the normal path after it.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E, fanout_agentfile

from agentmake import workflow
from agentmake.plan import keys, rebuilder, stamp


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def runs(e2e: E2E) -> int:
    """Builds recorded in the state (the stamp's fast path records none)."""
    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake" / "state.db")) as conn:
        return int(conn.execute("SELECT count(*) FROM runs").fetchone()[0])


def built(e2e: E2E, names: str = "abc") -> int:
    """A built fan-out with a stamp; returns the number of recorded runs."""
    e2e.write("Agentfile", fanout_agentfile())
    for n in names:
        e2e.write(f"docs/{n}.md", f"doc {n}\n")
    first = e2e.am()
    assert first.code == 0 and first.summary.ran == len(names) + 1, first
    assert (e2e.root / ".agentmake" / stamp.STAMP_NAME).is_file()
    e2e.reset_calls()
    return runs(e2e)


def test_a_noop_is_answered_by_the_stamp(e2e: E2E) -> None:
    before = built(e2e)
    mtimes = {p: (e2e.root / p).stat().st_mtime_ns for p in e2e.files("build/*.md")}
    again = e2e.am()
    assert again.code == 0, again
    assert (again.summary.ran, again.summary.cached, again.summary.up_to_date) == (0, 0, 4)
    assert runs(e2e) == before, "the stamp answered: no build was recorded"
    assert e2e.calls() == []
    assert {p: (e2e.root / p).stat().st_mtime_ns for p in e2e.files("build/*.md")} == mtimes
    assert "build stamp: nothing changed since the last build" in e2e.am("-v").err
    _edit_input(e2e)
    assert "build stamp: 1 input or output file(s) changed" in e2e.am("-v").err


def test_a_silent_noop_still_prints_the_summary_line(e2e: E2E) -> None:
    """-s keeps failures and the summary line: the stamp's fast path prints the line as a full build does."""
    before = built(e2e)
    quiet = e2e.am("-s")
    assert quiet.code == 0 and quiet.err == "", quiet
    assert runs(e2e) == before, "the stamp answered"
    assert quiet.out.splitlines()[0].startswith("agentmake: 0 ran, 0 cached, 4 up to date, 0 failed in "), (
        quiet
    )
    assert quiet.summary.up_to_date == 4


def _edit_input(e2e: E2E) -> None:
    e2e.write("docs/b.md", "doc b, edited\n")


def _same_size_same_mtime(e2e: E2E) -> None:
    """New bytes, same size, the old mtime and inode: only the content hash can tell."""
    path = e2e.root / "docs/b.md"
    st = path.stat()
    with open(path, "r+b") as fh:
        fh.write(b"DOC")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns, path.stat().st_ino) == (
        st.st_size,
        st.st_mtime_ns,
        st.st_ino,
    )


def _new_input(e2e: E2E) -> None:
    e2e.write("docs/d.md", "doc d\n")


def _variable(e2e: E2E) -> None:
    e2e.write("Agentfile", fanout_agentfile().replace('"French"', '"German"'))


def _output_deleted(e2e: E2E) -> None:
    (e2e.root / "build/a.md").unlink()


CHANGES: dict[str, tuple[Callable[[E2E], None], list[str], int]] = {
    # change -> (agent calls expected, tasks that ran)
    "input edited": (_edit_input, ["b"], 2),
    "new input file": (_new_input, ["d"], 2),
    "variable changed": (_variable, ["a", "b", "c"], 4),
    "output deleted": (_output_deleted, [], 0),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_every_change_gets_past_the_stamp(e2e: E2E, change: str) -> None:
    edit, calls, ran = CHANGES[change]
    before = built(e2e)
    edit(e2e)
    after = e2e.am()
    assert after.code == 0, after
    assert sorted(e2e.calls()) == calls
    assert after.summary.ran == ran
    assert runs(e2e) == before + 1
    if change == "output deleted":
        assert after.summary.cached == 1 and e2e.exists("build/a.md")
    # and the build that followed left a new stamp: the next no-op is answered by it
    e2e.reset_calls()
    again = e2e.am()
    assert (again.code, again.summary.ran, again.summary.cached) == (0, 0, 0), again
    assert runs(e2e) == before + 1 and e2e.calls() == []


def test_a_racily_clean_input_is_checked_by_content(e2e: E2E) -> None:
    """docs/b.md is stamped while its mtime is within the racily-clean margin of the moment it was read (here:
    a clock ahead of ours), so a rewrite in the same timestamp tick keeps its stat: the stamp holds its
    content hash and sees the new bytes."""
    e2e.write("Agentfile", fanout_agentfile())
    for n in "abc":
        e2e.write(f"docs/{n}.md", f"doc {n}\n")
    ahead = time.time_ns() + 30_000_000_123
    os.utime(e2e.root / "docs/b.md", ns=(ahead, ahead))
    assert e2e.am().code == 0
    e2e.reset_calls()
    before = runs(e2e)
    assert e2e.am().summary.up_to_date == 4 and runs(e2e) == before, "the stamp answers (b: by content)"
    _same_size_same_mtime(e2e)
    after = e2e.am()
    assert after.code == 0 and e2e.calls() == ["b"], after


def test_comment_touch_and_hand_edit_take_the_normal_path_and_run_nothing(e2e: E2E) -> None:
    before = built(e2e)
    e2e.write("Agentfile", fanout_agentfile() + "# a comment\n")
    comment = e2e.am()
    assert (comment.code, comment.summary.ran, comment.summary.up_to_date) == (0, 0, 4), comment
    assert runs(e2e) == before + 1
    e2e.touch("docs/a.md")
    touched = e2e.am()
    assert (touched.code, touched.summary.ran) == (0, 0) and runs(e2e) == before + 2
    e2e.write("build/c.md", "my own words\n")
    edited = e2e.am()
    assert edited.code == 0 and edited.with_state("done") == {"summary"}, "the report reads the edit"
    assert "edited by hand; keeping it" in edited.text
    assert e2e.read("build/c.md") == "my own words\n"
    assert runs(e2e) == before + 3
    # a kept hand edit is worth telling every time: no stamp hides it
    assert "edited by hand; keeping it" in e2e.am().text
    assert runs(e2e) == before + 4
    assert e2e.calls() == []


def test_prompt_file_and_include_edits_are_seen(e2e: E2E) -> None:
    e2e.write("vars.Agentfile", 'lang = "French"\n')
    e2e.write("prompts/t.md", "FAKE: label={{ name }}\nTranslate into {{ lang }}:\n{{ read(input) }}\n")
    e2e.write(
        "Agentfile",
        """\
        include "vars.Agentfile"

        agent translate:
            inputs = docs/{name}.md
            outputs = build/{name}.md
            prompt = prompts/t.md
        """,
    )
    for n in "ab":
        e2e.write(f"docs/{n}.md", f"doc {n}\n")
    assert e2e.am().code == 0
    before = runs(e2e)
    assert e2e.am().summary.up_to_date == 2 and runs(e2e) == before
    e2e.reset_calls()
    e2e.write("prompts/t.md", "FAKE: label={{ name }}\nPlease, into {{ lang }}:\n{{ read(input) }}\n")
    assert e2e.am().summary.ran == 2 and sorted(e2e.calls()) == ["a", "b"]
    e2e.reset_calls()
    e2e.write("vars.Agentfile", 'lang = "Dutch"\n')
    assert e2e.am().summary.ran == 2 and sorted(e2e.calls()) == ["a", "b"]
    assert "Dutch" in e2e.read("build/a.md")


def test_other_requests_are_not_answered_by_this_stamp(e2e: E2E) -> None:
    before = built(e2e)
    assert e2e.am("translate:a").summary.up_to_date == 1 and runs(e2e) == before + 1
    german = e2e.am("lang=German")
    assert german.summary.ran == 4 and sorted(e2e.calls()) == ["a", "b", "c"]
    e2e.reset_calls()
    back = e2e.am()
    # (the summary report, which holds the run summary, is rendered anew rather than restored)
    assert (back.summary.cached, back.summary.ran) == (3, 1) and e2e.calls() == [], "back to French"
    forced = e2e.am("-B")
    assert forced.summary.ran == 4, "-B never takes the stamp's word"


def test_question_dry_run_and_report_use_the_stamp(e2e: E2E) -> None:
    before = built(e2e)
    assert e2e.am("-q").code == 0
    dry = e2e.am("-n")
    assert dry.code == 0 and "0 to run, 4 up to date (dry run)" in dry.out
    first = e2e.am("report")
    assert first.code == 0 and f"report summary: {e2e.root / 'SUMMARY.md'}" in first.out
    reported = runs(e2e)
    again = e2e.am("report")
    assert again.code == 0 and f"report summary: {e2e.root / 'SUMMARY.md'}" in again.out
    assert runs(e2e) == reported and reported <= before + 1
    _edit_input(e2e)
    assert e2e.am("-q").code == 1, "-q sees the edit past the stamp"


def test_lock_holders_remove_the_stamp_and_a_broken_one_is_ignored(e2e: E2E) -> None:
    before = built(e2e)
    marker = e2e.root / ".agentmake" / stamp.STAMP_NAME
    assert e2e.am("clean").code == 0
    assert not marker.exists()
    again = e2e.am().summary  # (the summary report is rendered anew: it holds the run summary)
    assert (again.cached, again.ran) == (3, 1) and runs(e2e) == before + 1
    assert marker.exists()
    marker.write_bytes(marker.read_bytes()[:-40])  # truncated
    assert e2e.am().summary.up_to_date == 4 and runs(e2e) == before + 2
    marker.write_bytes(b"agentmake-stamp 1\n{not json")
    assert e2e.am().summary.up_to_date == 4 and runs(e2e) == before + 3


def test_looking_keeps_the_stamp_and_a_state_from_elsewhere_is_seen(e2e: E2E) -> None:
    before = built(e2e)
    for command in (("status",), ("explain", "summary"), ("graph",)):
        assert e2e.am(*command).code == 0
    assert e2e.am().summary.up_to_date == 4 and runs(e2e) == before, "reading the state changes nothing"
    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake" / "state.db")) as conn:
        conn.execute("PRAGMA user_version = 0")  # e.g. an older agentmake's (a newer one's is refused)
    rebuilt = e2e.am()
    # the stamp did not answer it: the summary report ran, the agents' answers were salvaged (no call)
    assert rebuilt.code == 0 and (rebuilt.summary.ran, rebuilt.summary.cached) == (1, 3), rebuilt
    assert "moved to state.db.v0-" in rebuilt.err, rebuilt
    # (the agents' answers are not asked for again: the logs prove them, see `runners.salvage`)
    assert e2e.calls() == [] and rebuilt.err.count("never recorded, salvaged from") == 3, rebuilt


def test_a_lost_state_is_not_hidden_by_the_stamp(e2e: E2E) -> None:
    built(e2e)
    for name in ("state.db", "state.db-wal", "state.db-shm"):
        (e2e.root / ".agentmake" / name).unlink(missing_ok=True)
    rebuilt = e2e.am()
    assert rebuilt.code == 0 and (rebuilt.summary.ran, rebuilt.summary.cached) == (1, 3), rebuilt
    assert e2e.calls() == [] and rebuilt.err.count("never recorded, salvaged from") == 3, rebuilt


COPY_AGENTFILE = """\
agent copy:
    inputs = src/{n}.txt
    outputs = out/{n}.txt
    run = "cp {input} {output}"
"""
JOIN = """
agent join:
    inputs = out/*.txt
    outputs = all.txt
    run = "cat {inputs} > {output}"
"""


def copy_project(root: Path, n: int, *, join: bool = False) -> workflow.Request:
    """`n` sources copied by shell agents (and joined into all.txt); the in-process build request for it."""
    (root / "src").mkdir()
    for i in range(n):
        (root / f"src/f{i:02d}.txt").write_text(f"{i}\n")
    (root / "Agentfile").write_text(COPY_AGENTFILE + (JOIN if join else ""))
    return workflow.Request(directory=root, silent=True)


def test_only_the_tasks_of_changed_files_are_decided(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    req = copy_project(tmp_path, 20, join=True)
    assert workflow.build(req) == 0
    decided: list[str] = []
    real = rebuilder.Rebuilder.decide

    def counting(self: rebuilder.Rebuilder, task, **kw):  # type: ignore[no-untyped-def]
        decided.append(task.id)
        return real(self, task, **kw)

    monkeypatch.setattr(rebuilder.Rebuilder, "decide", counting)
    assert workflow.build(req) == 0
    assert decided == [], "a no-op answered by the stamp decides nothing"
    (tmp_path / "src/f07.txt").write_text("seven\n")
    assert workflow.build(req) == 0
    assert decided == ["copy:f07", "join"], "only the edited file's task and what depends on it"
    assert (tmp_path / "out/f07.txt").read_text() == "seven\n"
    assert "seven" in (tmp_path / "all.txt").read_text()


def test_a_stamp_read_before_another_build_took_the_lock_proves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stamp is read before the lock is taken: if another agentmake held the lock in between (it may have
    changed the state), the build decides every task itself."""
    req = copy_project(tmp_path, 6, join=True)
    assert workflow.build(req) == 0
    (tmp_path / "src/f03.txt").write_text("three\n")
    real_check = stamp.check

    def check_then_another_build(root: Path, sig: str) -> stamp.Verdict | None:
        verdict = real_check(root, sig)
        assert verdict is not None and verdict.graph_same and verdict.changed == {"src/f03.txt"}
        from agentmake.store import Store

        Store.open(tmp_path).close()  # someone else's run: it takes the lock, so the stamp goes
        return verdict

    decided: list[str] = []
    real_decide = rebuilder.Rebuilder.decide

    def counting(self: rebuilder.Rebuilder, task, **kw):  # type: ignore[no-untyped-def]
        decided.append(task.id)
        return real_decide(self, task, **kw)

    monkeypatch.setattr(stamp, "check", check_then_another_build)
    monkeypatch.setattr(rebuilder.Rebuilder, "decide", counting)
    assert workflow.build(req) == 0
    assert sorted(decided) == sorted([f"copy:f{i:02d}" for i in range(6)] + ["join"])
    assert (tmp_path / "out/f03.txt").read_text() == "three\n"


def test_a_settled_noop_reads_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the racily-clean margin, the stamp's no-op reads no project file: stats only. (Within it, the
    state database, written moments ago, is checked by content: `.agentmake/` is allowed.)"""
    req = copy_project(tmp_path, 5)
    assert workflow.build(req) == 0
    old = time.time() - 60
    for path in [tmp_path / "Agentfile", *tmp_path.glob("src/*.txt"), *tmp_path.glob("out/*.txt")]:
        os.utime(path, (old, old))
    assert workflow.build(req) == 0  # every stat moved: the normal path (nothing runs), and a settled stamp
    from agentmake.plan import hashing

    real_hash = hashing.hash_path

    def no_reading(*args: object) -> str:
        raise AssertionError(f"a settled no-op decided a task: {args}")

    def state_only(path: Path | str) -> str:
        assert ".agentmake" in Path(path).parts, f"a settled no-op read {path}"
        return real_hash(path)

    monkeypatch.setattr(hashing, "hash_path", state_only)
    monkeypatch.setattr(rebuilder.Rebuilder, "decide", no_reading)
    before = {p: p.stat().st_mtime_ns for p in tmp_path.glob("out/*.txt")}
    assert workflow.build(req) == 0
    assert {p: p.stat().st_mtime_ns for p in tmp_path.glob("out/*.txt")} == before


def test_fresh_outputs_are_read_once_then_settled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Outputs written moments before the stamp are racily clean: the next no-op checks them by content,
    and once their mtimes are past the margin it settles them, so the one after reads none."""
    req = copy_project(tmp_path, 5)
    assert workflow.build(req) == 0
    if any(p.stat().st_mtime_ns % 1_000_000 == 0 for p in tmp_path.glob("out/*.txt")):
        pytest.skip("coarse timestamps here: the margin is 2 s")
    time.sleep(0.3)  # past the 100 ms margin of fine-grained timestamps
    from agentmake.plan import hashing

    real_hash = hashing.hash_path
    read: list[str] = []

    def recording(path: Path | str) -> str:
        read.append(str(path))
        return real_hash(path)

    monkeypatch.setattr(hashing, "hash_path", recording)
    assert workflow.build(req) == 0
    assert sorted(Path(p).name for p in read if "/out/" in p) == [f"f{i:02d}.txt" for i in range(5)]
    read.clear()
    assert workflow.build(req) == 0
    assert [p for p in read if ".agentmake" not in p] == []


def test_the_stamp_follows_the_versions_of_the_decisions() -> None:
    assert stamp.DECIDER_VERSIONS == (
        keys.KEY_VERSION,
        rebuilder.FAST_VERSION,
        rebuilder.RENDER_VERSION,
        rebuilder.REPORT_RENDERER,
    )
    from agentmake.plan import hashing, racy

    assert stamp.racily_clean is hashing.racily_clean, "the stamp and the stat cache share one racy rule"
    for mtime, margin in (
        (0, racy.RACY_MARGIN_NS),
        (1_700_000_000_000_000_000, racy.RACY_MARGIN_NS),
        (1_700_000_000_123_000_000, racy.RACY_MARGIN_NS),
        (1_700_000_000_123_456_789, racy.FINE_MARGIN_NS),
    ):
        assert hashing.racy_margin(mtime) == margin
    from agentmake.store import db

    assert db.STAMP_NAME == stamp.STAMP_NAME


def test_verbose_says_nothing_of_a_stamp_there_is_not(e2e: E2E) -> None:
    """-v of a first build opens with its first task, not with a line about a stamp not there yet."""
    e2e.write("Agentfile", fanout_agentfile())
    e2e.write("docs/a.md", "doc a\n")
    first = e2e.am("-v")
    assert first.code == 0, first
    assert "build stamp" not in first.err, first
    assert "build stamp: nothing changed since the last build" in e2e.am("-v").err
