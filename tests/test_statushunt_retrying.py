"""`agentmake status` from another terminal while a build waits to retry a task (its backoff after a failed
attempt): the task is the running build's, which will try it again, not "stale - never built". Real CLI runs,
the fake claude failing its first call."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E, wait_for

AGENT = """\
retries = 3
backoff = 60s

agent t:
    inputs = src.md
    outputs = out.md
    prompt = \"\"\"
        FAKE: label=t fail=500 times=1
        {{ read(input) }}
        \"\"\"
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def retry_logged(root: Path) -> bool:
    """Whether the build logged the retry it waits for (the moment `status` can know of it)."""
    db = root / ".agentmake" / "state.db"
    if not db.exists():
        return False
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return conn.execute("SELECT 1 FROM events WHERE action LIKE 'retrying in %'").fetchone() is not None
    except sqlite3.OperationalError:  # (not created yet)
        return False
    finally:
        conn.close()


def test_status_says_the_running_build_retries_a_task_waiting_for_its_backoff(e2e: E2E) -> None:
    e2e.write("Agentfile", AGENT)
    e2e.write("src.md", "hello\n")
    build = e2e.spawn()
    try:
        wait_for(lambda: retry_logged(e2e.root), what="the retry logged")
        text = e2e.am("status").out
        first = text.splitlines()[0]
        assert re.match(r"retrying \(attempt 2 at \d\d:\d\d:\d\d\)\s+t\s", first), text
        assert "never built" not in first and "500" in text, text  # (why: its first attempt's error)
        assert text.splitlines()[-1] == "1 retrying", text
        (row,) = json.loads(e2e.am("status", "--json").out)
        assert row["state"] == "stale" and row["retry_attempt"] == 2, row  # (added, not renamed)
        assert isinstance(row["retry_at"], float), row
    finally:
        build.kill()
        build.communicate()
    # the build is gone: nothing retries it now, whatever its events said
    after = e2e.am("status")
    assert "retrying" not in after.out.splitlines()[0], after
    (row,) = json.loads(e2e.am("status", "--json").out)
    assert row["retry_attempt"] is None and row["retry_at"] is None
