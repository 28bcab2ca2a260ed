"""Rebuild decisions the differential test (tests/test_rebuild_differential.py) found wrong, each pinned
by the smallest project that shows it (real CLI, fake agents)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

TWO_STAGES = '''\
agent up:
    inputs = src/{n}.txt
    outputs = mid/{n}.txt
    run = "tr a-z A-Z < {input} > {output}"

agent tr:
    inputs = mid/{n}.txt
    outputs = llm/{n}.md
    prompt = """
        FAKE: label=tr-{{ n }}
        {{ read(input) }}
        """
'''


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def test_a_dry_run_renders_a_prompt_from_the_input_it_would_restore(e2e: E2E) -> None:
    """An edit undone: `up` comes back from the cache, and so does `tr`, whose prompt reads up's output.
    The dry run used to render tr's prompt from the output on disk (the edit's) instead of the one it would
    restore, and said `would run tr:a` for a build that then restored it (0 calls)."""
    e2e.write("Agentfile", TWO_STAGES)
    e2e.write("src/a.txt", "alpha\n")
    assert e2e.am().code == 0
    e2e.write("src/a.txt", "bravo\n")
    assert e2e.am().summary.ran == 2
    e2e.write("src/a.txt", "alpha\n")
    dry = e2e.am("-n")
    assert "would restore up:a" in dry.out, dry
    assert "would restore tr:a" in dry.out, dry
    assert "agentmake: 0 to run, 2 to restore from the cache, 0 up to date (dry run)" in dry.out, dry
    e2e.reset_calls()
    build = e2e.am()
    assert (build.summary.ran, build.summary.cached) == (0, 2), build
    assert e2e.calls() == []
