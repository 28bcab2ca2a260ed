"""An output of a path-free key (`plan.pathless`) given another suffix (`notes/a.md` now `notes/a.txt`): its
key holds the suffix, so the task runs again, and `-n`, explain and status say why (the suffix changed), not
"the task's configuration changed" (real CLI, fake agents)."""

from __future__ import annotations

from pathlib import Path

from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = '''\
agent notes:
    inputs = docs/{{name}}.txt
    outputs = notes/{{name}}{suffix}
    prompt = """
        FAKE: label=notes
        Summarise: {{{{ read(input) }}}}
        """
'''


def test_a_new_suffix_is_told_as_such(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("docs/a.txt", "alpha\n")
    e2e.write("Agentfile", AGENTFILE.format(suffix=".md"))
    assert e2e.am().summary.ran == 1
    e2e.write("Agentfile", AGENTFILE.format(suffix=".txt"))
    dry = e2e.am("-n")
    assert "would run notes:a: output suffix changed .md → .txt" in dry.out, dry
    assert "configuration changed" not in dry.out, dry
    assert "output suffix changed .md → .txt" in e2e.am("explain", "notes/a.txt").out
    assert "output suffix changed .md → .txt" in e2e.am("status").out
