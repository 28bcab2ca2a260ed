"""An output renamed in the Agentfile, of an LLM agent whose answer is its one output and whose prompt does
not name it: its key holds no output path (`plan.pathless`), so the build restores the result made under
the old name from the cache, calling no agent; a task whose prompt renders `{{ output }}` still runs (real
CLI, fake agents)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = '''\
agent notes:
    inputs = docs/{{name}}.txt
    outputs = {out}/{{name}}.md
    prompt = """
        FAKE: label=notes
        Summarise: {{{{ read(input) }}}}
        """

agent named:
    inputs = docs/{{name}}.txt
    outputs = {out}/{{name}}.named.md
    prompt = """
        FAKE: label=named
        Write {{{{ output }}}} from {{{{ read(input) }}}}
        """
'''


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("docs/a.txt", "alpha\n")
    e2e.write("docs/b.txt", "beta\n")
    e2e.write("Agentfile", AGENTFILE.format(out="notes"))
    assert e2e.am().summary.ran == 4
    return e2e


def test_a_renamed_output_is_restored_from_the_cache(e2e: E2E) -> None:
    old = {n: e2e.read(f"notes/{n}.md") for n in "ab"}
    e2e.write("Agentfile", AGENTFILE.format(out="summaries"))
    dry = e2e.am("-n")
    for n in "ab":
        assert (
            f"would restore notes:{n}: output summaries/{n}.md was renamed from notes/{n}.md; "
            "result found in the cache" in dry.out
        )
    assert "would run named:a" in dry.out, dry
    status = e2e.am("status")
    assert "notes:a" in status.out and "cache" in status.out, status
    build = e2e.am("-v")
    assert (build.summary.ran, build.summary.cached) == (2, 2), build
    assert build.states["notes:a"] == "cached" and build.states["named:a"] == "done", build
    for n in "ab":
        assert e2e.read(f"summaries/{n}.md") == old[n]
    assert e2e.calls("notes") == ["notes", "notes"]  # no new call for the renamed outputs
    assert e2e.calls("named") == ["named"] * 4  # `{{ output }}` is in its prompt: it runs again
    again = e2e.am()
    assert (again.summary.ran, again.summary.cached, again.summary.up_to_date) == (0, 0, 4), again


def test_an_output_moved_by_hand_and_renamed_is_up_to_date(e2e: E2E) -> None:
    """`mv` and the Agentfile's rename together: the file in place is the result, adopted as it is."""
    (e2e.root / "summaries").mkdir()
    for n in "ab":
        (e2e.root / f"notes/{n}.md").rename(e2e.root / f"summaries/{n}.md")
    e2e.write("Agentfile", AGENTFILE.format(out="summaries"))
    build = e2e.am()
    assert (build.summary.ran, build.summary.cached, build.summary.up_to_date) == (2, 0, 2), build
    assert e2e.calls("notes") == ["notes", "notes"], build
    assert e2e.am().summary.up_to_date == 4


def _forget_the_cache(e2e: E2E) -> None:
    """As a cache trimmed to its size limit leaves it: no result of any key."""
    import contextlib
    import sqlite3

    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake" / "state.db")) as conn, conn:
        conn.execute("DELETE FROM cache")


def test_the_rename_hint_only_where_the_rename_still_pays(e2e: E2E) -> None:
    """A task whose key holds no path gets no hint while the cache holds its result (a build restores it),
    nor while its logs hold the answer (a build salvages it: newuser2); once both are lost, the build would
    pay again, and the hint's move keeps the result."""
    e2e.write("Agentfile", AGENTFILE.format(out="summaries"))
    hints = [line for line in e2e.am("-n").err.splitlines() if "hint:" in line]
    assert [h.split(":")[2].strip() for h in hints] == ["named", "named"], hints  # (named:a, named:b)
    _forget_the_cache(e2e)
    run = e2e.am("-n")  # (before: "would run notes:a" and its hint, though the build called nothing)
    assert "would salvage notes:a: " in run.out and "no longer in the cache, paid for" in run.out, run
    assert not any("hint: notes:" in line for line in run.err.splitlines()), run
    for log in (e2e.root / ".agentmake" / "logs").glob("notes_*"):  # (its logs gone too)
        log.unlink()
    run = e2e.am("-n")
    assert "would run notes:a" in run.out, run
    assert (
        "agentmake: hint: notes:a: its output notes/a.md is now summaries/a.md in the Agentfile, so a build"
        " calls its agent again; `mkdir -p summaries && mv notes/a.md summaries/a.md && agentmake -t notes:a`"
        " keeps the result it made, calling nothing"
    ) in run.err.splitlines(), run
    old = e2e.read("notes/a.md")
    (e2e.root / "summaries").mkdir()
    (e2e.root / "notes/a.md").rename(e2e.root / "summaries/a.md")
    assert e2e.am("-t", "notes:a").code == 0
    build = e2e.am("-v", "notes:a")
    assert build.summary.ran == 0 and build.states["notes:a"] == "up-to-date", build
    assert e2e.calls("notes") == ["notes", "notes"] and e2e.read("summaries/a.md") == old, build
