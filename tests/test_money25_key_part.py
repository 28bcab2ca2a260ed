"""`agentmake clean --cache` removes the key files of the attempts' logs (`salvage.forget_answers`), and with
them a ``.key.part`` a kill -9 left as a key file was being replaced (`capture.replace_private`): before, it
stayed behind (it vouches for nothing, but was never cleaned)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from crash_helpers import crash_after_create
from e2e_helpers import E2E
from test_money25_killed_rebuild import ANSWERS


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def test_clean_cache_removes_a_key_file_a_kill_left_half_replaced(e2e: E2E) -> None:
    e2e.write("Agentfile", ANSWERS)
    e2e.write("docs/a.md", "one\n")
    crash_after_create(e2e, "bad.1.key.part", "-j1")  # (killed as the attempt's key is written)
    logs = e2e.root / ".agentmake" / "logs"
    assert [p.name for p in logs.glob("*.key*")] == ["bad.1.key.part"]
    cleaned = e2e.am("clean", "--cache")
    assert cleaned.code == 0, cleaned
    assert list(logs.glob("*.key*")) == [], cleaned
