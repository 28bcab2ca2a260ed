"""Whether a task's agent may write files is one rule (`runners.writing.agent_may_write`), asked by the key
(`plan.pathless`: such an agent keeps its output path in its key) and by the run (`runners.execute`: its
output is set aside while it runs, so what it writes there itself is kept beside its logs, not taken for the
result): its runner's flags, and its CLI's settings files (real CLI, fake agents)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

CODEX = "codex exec --json --skip-git-repo-check"
CLAUDE = "claude -p --output-format json"
ACCEPT = '{"permissions": {"defaultMode": "acceptEdits"}}'
ALLOW_WRITE = '{"permissions": {"allow": ["Write"]}}'

OWN_WRITE = """\
runner {preset}:
    command = "{command}"
agent a:
    runner = {preset}
    prompt = prompts/a.md
    outputs = out.md
    retries = 0
"""


def _settings(e2e: E2E, fake_agents: FakeAgents, where: str, text: str) -> None:
    path = fake_agents.home / where[2:] if where.startswith("~/") else e2e.root / where
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


SET_ASIDE = {  # the agent may write by its settings files
    "claude user settings": ("claude", CLAUDE, "~/.claude/settings.json", ACCEPT),
    "claude project settings": ("claude", CLAUDE, ".claude/settings.json", ALLOW_WRITE),
    "codex config": ("codex", CODEX, "~/.codex/config.toml", 'sandbox_mode = "workspace-write"\n'),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(SET_ASIDE))
def test_an_agent_its_settings_let_write_has_its_output_set_aside(
    tmp_path: Path, fake_agents: FakeAgents, case: str
) -> None:
    """A failed attempt that wrote its output leaves the last good result there (before: the agent's own
    write replaced it, and was then kept as the output)."""
    preset, command, where, text = SET_ASIDE[case]
    e2e = E2E(tmp_path / "p", fake_agents)
    e2e.write("Agentfile", OWN_WRITE.format(preset=preset, command=command), dedent=False)
    if where:
        _settings(e2e, fake_agents, where, text)
    e2e.write("prompts/a.md", "FAKE: answer=good one\n")
    first = e2e.am()
    assert first.code == 0 and e2e.read("out.md") == "good one", first
    e2e.write("prompts/a.md", "FAKE: write=out.md fail=500\n")
    run = e2e.am()
    assert run.code == 1, run
    assert e2e.read("out.md") == "good one", run
    kept = e2e.root / ".agentmake" / "logs" / "a.1.wrote"
    assert kept.read_text().startswith(f"written by fake {preset}: out.md"), run
