"""`agentmake clean --leftovers` forgets the tasks no longer in the graph whole: their logs, prompts and
history go with their records (they grew with every source a fan-out ever had), while their results stay
cached: a source that comes back is restored with no call."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E, fanout_agentfile

from agentmake.runners.invocation import safe_name


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def _files_of(state: Path, task_id: str) -> list[str]:
    stem = safe_name(task_id)
    logs = sorted(p.name for p in (state / "logs").glob(f"{stem}.*"))
    prompts = sorted(p.name for p in (state / "tasks").glob(f"{stem}.*"))
    return logs + prompts


def _history(state: Path) -> set[str]:
    conn = sqlite3.connect(state / "state.db")
    try:
        return {r[0] for r in conn.execute("SELECT task_id FROM attempts")}
    finally:
        conn.close()


def test_clean_leftovers_removes_the_logs_prompts_and_history_of_the_tasks_it_forgets(e2e: E2E) -> None:
    e2e.write("Agentfile", fanout_agentfile())
    for n in ("a", "ab", "b"):
        e2e.write(f"docs/{n}.md", f"doc {n}\n")
    assert e2e.am().code == 0
    state = e2e.root / ".agentmake"
    kept = {t: _files_of(state, t) for t in ("translate:a", "translate:ab", "translate:b")}
    assert all(kept.values())
    (e2e.root / "docs/b.md").unlink()
    assert e2e.am().code == 0
    run = e2e.am("clean", "--leftovers")
    assert run.code == 0, run
    assert _files_of(state, "translate:b") == []
    assert "translate:b" not in _history(state)
    for task_id in ("translate:a", "translate:ab"):  # the current tasks' are as they were
        assert _files_of(state, task_id) == kept[task_id]
        assert task_id in _history(state)
    calls = len(e2e.calls())
    e2e.write("docs/b.md", "doc b\n")  # the source comes back: its result is restored, no call
    back = e2e.am()
    assert back.code == 0 and back.summary.cached == 1, back
    assert len(e2e.calls()) == calls


def test_clean_leftovers_dry_run_removes_nothing(e2e: E2E) -> None:
    e2e.write("Agentfile", fanout_agentfile())
    for n in ("a", "b"):
        e2e.write(f"docs/{n}.md", f"doc {n}\n")
    assert e2e.am().code == 0
    state = e2e.root / ".agentmake"
    before = _files_of(state, "translate:b")
    (e2e.root / "docs/b.md").unlink()
    assert e2e.am("clean", "--leftovers", "-n").code == 0
    assert _files_of(state, "translate:b") == before and "translate:b" in _history(state)
