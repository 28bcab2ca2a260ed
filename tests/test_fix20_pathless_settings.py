"""A path-free key (`plan.pathless`) is only for an agent that cannot write files: not only by its runner's
flags, but by its CLI's own settings files (`runners.modelconfig.WRITES`): claude's ``permissions`` in the
project's or the user's settings.json, codex's ``sandbox_mode`` in its configuration (config.toml, a
profile file: test_review23_codex_profile_override), gemini's ``general.defaultApprovalMode``. Such an
agent could write where it likes, so a rename in the Agentfile runs it again rather than restore the result
made at the old path (real CLI, fake agents).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = '''\
agent notes:
    runner = {runner}
    inputs = docs/{{name}}.txt
    outputs = {out}/{{name}}.md
    prompt = """
        FAKE: label=notes
        Summarise: {{{{ read(input) }}}}
        """
'''
RUNNERS = {"claude": "claude", "codex": "codex", "gemini": "gemini"}


def _project(tmp_path: Path, fake_agents: FakeAgents, cli: str) -> E2E:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("docs/a.txt", "alpha\n")
    e2e.write("Agentfile", AGENTFILE.format(runner=RUNNERS[cli], out="notes"))
    return e2e


def _renamed(e2e: E2E, cli: str) -> list[str]:
    """Build, rename the output in the Agentfile, build again: the calls of the agent."""
    first = e2e.am()
    assert first.summary.ran == 1, first
    e2e.write("Agentfile", AGENTFILE.format(runner=RUNNERS[cli], out="summaries"))
    build = e2e.am()
    assert build.code == 0 and e2e.exists("summaries/a.md"), build
    return e2e.calls("notes")


SETTINGS = {
    "claude project acceptEdits": (
        "claude",
        ".claude/settings.json",
        '{"permissions": {"defaultMode": "acceptEdits"}}',
    ),
    "claude project local allow": (
        "claude",
        ".claude/settings.local.json",
        '{"permissions": {"allow": ["Write(notes/**)"]}}',
    ),
    "claude user bypass": (
        "claude",
        "~/.claude/settings.json",
        '{"permissions": {"defaultMode": "bypassPermissions"}}',
    ),
    "codex top level": ("codex", "~/.codex/config.toml", 'sandbox_mode = "workspace-write"\n'),
    "gemini project": (
        "gemini",
        ".gemini/settings.json",
        '{"general": {"defaultApprovalMode": "auto_edit"}}',
    ),
}


@pytest.mark.parametrize("case", sorted(SETTINGS))
def test_settings_that_let_the_agent_write_keep_the_path_in_the_key(
    tmp_path: Path, fake_agents: FakeAgents, case: str
) -> None:
    cli, where, text = SETTINGS[case]
    e2e = _project(tmp_path, fake_agents, cli)
    path = fake_agents.home / where[2:] if where.startswith("~/") else e2e.root / where
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    assert _renamed(e2e, cli) == ["notes", "notes"]  # (before: restored from the cache, one call)


@pytest.mark.parametrize("cli", sorted(RUNNERS))
def test_settings_that_do_not_let_it_write_keep_the_path_free_key(
    tmp_path: Path, fake_agents: FakeAgents, cli: str
) -> None:
    e2e = _project(tmp_path, fake_agents, cli)
    read_only = {
        "claude": (".claude/settings.json", '{"permissions": {"defaultMode": "plan", "allow": ["Read"]}}'),
        "codex": (
            "~/.codex/config.toml",
            'sandbox_mode = "read-only"\n[profiles.w]\nsandbox_mode = "workspace-write"\n',
        ),
        "gemini": (".gemini/settings.json", '{"general": {"defaultApprovalMode": "default"}}'),
    }[cli]
    path = fake_agents.home / read_only[0][2:] if read_only[0].startswith("~/") else e2e.root / read_only[0]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(read_only[1])
    assert _renamed(e2e, cli) == ["notes"]  # restored from the cache


def test_a_setting_that_allows_writes_added_later_reruns_nothing(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    """The key now holds the path where it held the suffix: the record is read as it is, nothing runs."""
    e2e = _project(tmp_path, fake_agents, "claude")
    assert e2e.am().summary.ran == 1
    e2e.write(".claude/settings.json", '{"permissions": {"defaultMode": "acceptEdits"}}')
    again = e2e.am()
    assert again.summary.ran == 0 and e2e.calls("notes") == ["notes"], again
