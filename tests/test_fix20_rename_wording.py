"""An output renamed in the Agentfile, restored from the cache at its new path (a key that holds no path:
`plan.pathless`, `Decision.moved`), is said to be renamed, by `-n`, `status` and `explain`: "output uno.md
was renamed from one.md; result found in the cache", not that it is missing (real CLI, fake agents)."""

from __future__ import annotations

from pathlib import Path

from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = 'agent notes:\n    outputs = {out}\n    prompt = "FAKE: label=notes"\n'
SAID = "output uno.md was renamed from one.md; result found in the cache"


def test_a_rename_restored_from_the_cache_is_said_to_be_one(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE.format(out="one.md"))
    assert e2e.am().summary.ran == 1
    e2e.write("Agentfile", AGENTFILE.format(out="uno.md"))
    dry = e2e.am("-n")
    assert f"would restore notes: {SAID}" in dry.out, dry
    assert "is missing" not in dry.out, dry
    explain = e2e.am("explain", "notes")
    assert "restored from cache: output uno.md was renamed from one.md" in explain.out, explain
    assert "is missing" not in explain.out, explain
    status = e2e.am("status")
    assert "- output uno.md was renamed from one.md" in status.out and "is missing" not in status.out, status
    build = e2e.am()
    assert build.summary.cached == 1, build
    assert e2e.calls("notes") == ["notes"] and e2e.read("uno.md") == e2e.read("one.md")


def test_a_rename_the_cache_no_longer_has_is_said_missing(tmp_path: Path, fake_agents: FakeAgents) -> None:
    """Nothing is restored (`clean --cache`): the output is missing, and the agent runs."""
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE.format(out="one.md"))
    assert e2e.am().summary.ran == 1
    assert e2e.am("clean", "--cache").code == 0
    e2e.write("Agentfile", AGENTFILE.format(out="uno.md"))
    dry = e2e.am("-n")
    assert "would run notes: output uno.md is missing" in dry.out and "renamed from" not in dry.out, dry
