"""Upgrading a project built with key format 1 (`agentmake.plan.keys_v1`) costs nothing: its state is the one
an agentmake with format 1 keys made (tests/fixtures/keys_v1, see make_fixture.py there: an SQL dump of the
state and the built project, so the test runs what that version wrote, not a reconstruction of it)."""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.plan.keys import KEY_VERSION

FIXTURE = Path(__file__).parent / "fixtures" / "keys_v1"


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    root = tmp_path / "proj"
    shutil.copytree(FIXTURE / "project", root)
    (root / ".agentmake").mkdir()
    with contextlib.closing(sqlite3.connect(root / ".agentmake" / "state.db")) as conn:
        conn.executescript((FIXTURE / "state.sql").read_text(encoding="utf-8"))
    return E2E(root, fake_agents)


def snapshot(e2e: E2E) -> dict[str, tuple[int, bytes]]:
    """Every file outside .agentmake: mtime and content."""
    found = {}
    for path in sorted(e2e.root.rglob("*")):
        if path.is_file() and ".agentmake" not in path.relative_to(e2e.root).parts:
            found[str(path.relative_to(e2e.root))] = (path.stat().st_mtime_ns, path.read_bytes())
    return found


def versions(e2e: E2E) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake" / "state.db")) as conn:
        rows = conn.execute("SELECT task_id, parts FROM tasks").fetchall()
    return {task_id: json.loads(parts).get("v") for task_id, parts in rows}


TASKS = {"translate:a", "translate:b", "pair", "tagged", "count", "summary"}


def test_the_fixture_is_of_key_format_1(e2e: E2E) -> None:
    assert KEY_VERSION > 1
    assert versions(e2e) == dict.fromkeys(TASKS, 1)


def test_a_project_built_with_format_1_keys_is_up_to_date_after_the_upgrade(e2e: E2E) -> None:
    before = snapshot(e2e)
    out = e2e.am("-n")
    assert out.code == 0 and "agentmake: 0 to run, 6 up to date (dry run)" in out.out, out
    run = e2e.am()
    assert run.code == 0 and run.summary.up_to_date == 6 and run.summary.ran == 0, run
    assert e2e.calls() == [] and snapshot(e2e) == before
    assert versions(e2e) == dict.fromkeys(TASKS, KEY_VERSION)  # each record now holds its new key
    out = e2e.am("-n")
    assert "agentmake: 0 to run, 6 up to date (dry run)" in out.out, out
    assert e2e.am().summary.up_to_date == 6 and e2e.calls() == [] and snapshot(e2e) == before


def test_after_the_upgrade_a_lost_output_is_restored_from_the_cache(e2e: E2E) -> None:
    assert e2e.am().summary.up_to_date == 6
    text = e2e.read("build/a.md")
    (e2e.root / "build/a.md").unlink()
    (e2e.root / "pair/two.md").unlink()
    run = e2e.am()
    assert run.code == 0 and run.summary.cached == 2 and run.summary.ran == 0, run
    assert e2e.calls() == [] and e2e.read("build/a.md") == text


def test_a_lost_output_is_restored_from_the_cache_by_the_upgrading_build(e2e: E2E) -> None:
    (e2e.root / "tagged.md").unlink()
    run = e2e.am()
    assert run.code == 0 and run.summary.cached == 1 and run.summary.up_to_date == 5, run
    assert e2e.calls() == []


def test_after_the_upgrade_an_edit_reruns_what_reads_it(e2e: E2E) -> None:
    assert e2e.am().summary.up_to_date == 6
    e2e.write("docs/b.md", "beta, edited\n")
    run = e2e.am("-v")  # (-v: a line for each task up to date)
    assert run.code == 0, run
    assert sorted(e2e.calls()) == ["b", "tagged"]
    assert run.with_state("done") == {"translate:b", "tagged", "count", "summary"}, run
    assert run.with_state("up-to-date") == {"translate:a", "pair"}, run
