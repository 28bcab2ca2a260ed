"""Upgrading a project built by an agentmake whose keys held every output path costs nothing: its state is
the one that agentmake made (tests/fixtures/keys_paths, see make_fixture.py there), and a task whose key
holds no output path now (`plan.pathless`) is up to date after the upgrade, its record rewritten the new way
once it is decided in full, its output restored from the cache when it is renamed; a real input change still
runs it (real CLI, fake agents)."""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

FIXTURE = Path(__file__).parent / "fixtures" / "keys_paths"
TASKS = {"notes:a", "notes:b", "named:a", "named:b", "checked", "copy:a", "copy:b"}


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    root = tmp_path / "proj"
    shutil.copytree(FIXTURE / "project", root)
    (root / ".agentmake").mkdir()
    with contextlib.closing(sqlite3.connect(root / ".agentmake" / "state.db")) as conn:
        conn.executescript((FIXTURE / "state.sql").read_text(encoding="utf-8"))
    return E2E(root, fake_agents)


def records(e2e: E2E) -> dict[str, tuple[str, dict[str, object]]]:
    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake" / "state.db")) as conn:
        rows = conn.execute("SELECT task_id, key, parts FROM tasks").fetchall()
    return {task_id: (key, json.loads(parts)) for task_id, key, parts in rows}


def test_the_fixture_keys_every_output_path(e2e: E2E) -> None:
    found = records(e2e)
    assert set(found) == TASKS
    assert all("outputs" in parts and "output_suffix" not in parts for _, parts in found.values())


def test_a_project_built_before_runs_nothing_after_the_upgrade(e2e: E2E) -> None:
    before = records(e2e)
    dry = e2e.am("-n")
    assert dry.code == 0 and "agentmake: 0 to run, 7 up to date (dry run)" in dry.out, dry
    build = e2e.am()
    assert (build.summary.ran, build.summary.cached, build.summary.up_to_date) == (0, 0, 7), build
    assert e2e.calls() == []
    # a variable no prompt reads: every task is decided in full (no memo holds), and still none runs
    text = e2e.read("Agentfile")
    e2e.write("Agentfile", "unused = 1\n" + text)
    build = e2e.am()
    assert (build.summary.ran, build.summary.cached, build.summary.up_to_date) == (0, 0, 7), build
    assert e2e.calls() == []
    after = records(e2e)
    for task_id in ("notes:a", "notes:b"):  # rewritten without the path, under the key they have now
        assert after[task_id][1].get("output_suffix") == ".md" and "outputs" not in after[task_id][1]
        assert after[task_id][0] != before[task_id][0]
    for task_id in ("named:a", "checked", "copy:a"):  # (their keys hold their paths: byte for byte)
        assert after[task_id][0] == before[task_id][0]
    assert e2e.am("status", "--json").code == 0
    assert e2e.am().summary.up_to_date == 7
    stamped = e2e.am("-v")  # (the build stamp, written by that build, answers: nothing is decided)
    assert "up to date without loading the Agentfile" in stamped.err and stamped.summary.up_to_date == 7
    # a real change still runs
    e2e.write("docs/a.txt", "alpha, edited\n")
    build = e2e.am("-v")
    assert build.summary.ran == 4 and e2e.calls("notes") == ["notes"], (
        build
    )  # notes:a, named:a, checked, copy:a


def test_an_output_renamed_right_after_the_upgrade_is_restored(e2e: E2E) -> None:
    """The old record, keyed with the old path, is of the same call: its result comes from the cache."""
    old = e2e.read("notes/a.md")
    e2e.write("Agentfile", e2e.read("Agentfile").replace("notes/{name}.md", "summaries/{name}.md"))
    build = e2e.am("-v")
    assert (build.summary.ran, build.summary.cached, build.summary.up_to_date) == (0, 2, 5), build
    assert e2e.read("summaries/a.md") == old and e2e.calls() == []
    assert e2e.am().summary.up_to_date == 7
    stamped = e2e.am("-v")
    assert "up to date without loading the Agentfile" in stamped.err and stamped.summary.up_to_date == 7
