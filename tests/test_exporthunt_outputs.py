"""What scripts and readers parse: `agentmake status --json` keeps one schema for every task."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def test_status_json_has_the_same_keys_for_every_task(e2e: E2E) -> None:
    e2e.write("src/good.txt", "g")
    e2e.write("src/bad.txt", "b")
    e2e.write(
        "Agentfile",
        """\
        retries = 0
        agent copy:
            run     = "test {name} = good && cp {input} {output}"
            inputs  = src/{name}.txt
            outputs = out/{name}.txt
        """,
    )
    assert e2e.am("-k").code == 1
    rows = json.loads(e2e.am("status", "--json").out)
    by = {r["task"]: r for r in rows}
    assert by["copy:bad"]["state"] == "failed" and by["copy:good"]["state"] == "up to date", rows
    # a script reads row["last_success_duration"] of any row: a key present on some rows only is a KeyError
    assert [list(r) for r in rows] == [list(rows[0])] * len(rows), rows
    assert by["copy:good"]["last_success_duration"] is None  # (only a failed task's are apart)
    assert by["copy:bad"]["last_success_duration"] is None  # it never succeeded
