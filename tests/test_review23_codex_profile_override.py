"""A codex runner that chooses its profile with a ``-c profile=NAME`` override (codex applies ``-c`` over
config.toml, so it picks that profile, unless ``-p``/``--profile`` names another) has that profile's
``sandbox_mode`` read: one that lets codex write keeps the output path in the key (a rename in the Agentfile
asks the agent again) as ``--profile NAME`` does. Before, only ``-p``/``--profile`` chose the profile, and the
file's own ``profile`` (none here) was taken: the agent was deemed unable to write. Real CLI, fake agents."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E
from test_fix21_may_write import CODEX, _renamed, _settings

CONFIG = '[profiles.w]\nsandbox_mode = "workspace-write"\n[profiles.r]\nsandbox_mode = "read-only"\n'


@pytest.mark.parametrize(
    ("flags", "calls"),
    [
        ("-c profile=w", ["notes", "notes"]),  # (before: ["notes"], restored from the cache)
        ("--config=profile=w", ["notes", "notes"]),
        ("--profile w", ["notes", "notes"]),
        ("-p r -c profile=w", ["notes"]),  # (the flag beats the override: read-only)
    ],
)
def test_a_profile_chosen_by_a_config_override_is_the_one_read(
    tmp_path: Path, fake_agents: FakeAgents, flags: str, calls: list[str]
) -> None:
    e2e = E2E(tmp_path / "p", fake_agents)
    _settings(e2e, fake_agents, "~/.codex/config.toml", CONFIG)
    assert _renamed(e2e, "codex", f"{CODEX} {flags}") == calls


ACTIVE_W = 'profile = "w"\n[profiles.w]\nsandbox_mode = "workspace-write"\n'


@pytest.mark.parametrize(
    ("config", "flags", "calls"),
    [
        (ACTIVE_W, "-c sandbox_mode=read-only", ["notes", "notes"]),  # (before: ["notes"])
        (ACTIVE_W, "-s read-only", ["notes"]),  # (the flag beats the profile)
        ('sandbox_mode = "workspace-write"\n', "-c sandbox_mode=read-only", ["notes"]),
        ('sandbox_mode = "read-only"\n', "-c sandbox_mode=workspace-write", ["notes", "notes"]),
    ],
)
def test_a_top_level_override_does_not_beat_the_active_profiles_sandbox(
    tmp_path: Path, fake_agents: FakeAgents, config: str, flags: str, calls: list[str]
) -> None:
    """codex resolves its sandbox as the ``-s`` flag, else the active profile's ``sandbox_mode``, else the
    top level's, which ``-c sandbox_mode=...`` sets: such an override does not beat a profile that lets it
    write (before, agentmake took it as beating every file: read-only, path-free, not set aside)."""
    e2e = E2E(tmp_path / "p", fake_agents)
    _settings(e2e, fake_agents, "~/.codex/config.toml", config)
    assert _renamed(e2e, "codex", f"{CODEX} {flags}") == calls
