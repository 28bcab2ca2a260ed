"""A codex runner's profile is the ``<NAME>.config.toml`` file its ``-p``/``--profile NAME`` chooses in
CODEX_HOME, a layer over config.toml (codex 0.134 and later: openai/codex#24051, #24076; no ``profile``
selector, not even a ``-c profile=NAME`` override, nor ``[profiles.NAME]`` table is read): its
``sandbox_mode`` read, one that lets codex write keeps the output path in the key (a rename in the Agentfile
asks the agent again). Before, the legacy ``[profiles.NAME]`` table was read, the profile file never. Real
CLI, fake agents."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E
from test_fix21_may_write import CODEX, _renamed, _settings

# (legacy tables: the opposite of each profile file)
LEGACY = '[profiles.w]\nsandbox_mode = "read-only"\n[profiles.v]\nsandbox_mode = "workspace-write"\n'


@pytest.mark.parametrize(
    ("flags", "calls"),
    [
        ("-c profile=v", ["notes"]),  # (before: ["notes", "notes"], the legacy table read)
        ("--config=profile=v", ["notes"]),
        ("--profile w", ["notes", "notes"]),  # (its file; before: ["notes"], the legacy table)
        ("-p w", ["notes", "notes"]),
        ("-p v", ["notes"]),  # (no v.config.toml; before: ["notes", "notes"])
    ],
)
def test_the_profile_is_the_file_the_flag_chooses(
    tmp_path: Path, fake_agents: FakeAgents, flags: str, calls: list[str]
) -> None:
    e2e = E2E(tmp_path / "p", fake_agents)
    _settings(e2e, fake_agents, "~/.codex/config.toml", LEGACY)
    _settings(e2e, fake_agents, "~/.codex/w.config.toml", 'sandbox_mode = "workspace-write"\n')
    assert _renamed(e2e, "codex", f"{CODEX} {flags}") == calls


@pytest.mark.parametrize(
    ("files", "flags", "calls"),
    [
        ("w", "--profile w -c sandbox_mode=read-only", ["notes"]),  # (-c: the highest layer)
        ("w", "--profile w -s read-only", ["notes"]),  # (the flag beats every layer)
        ("", "-c sandbox_mode=read-only", ["notes"]),
        ("", "-c sandbox_mode=workspace-write", ["notes", "notes"]),
        ("r", "-p r -c sandbox_mode=workspace-write", ["notes", "notes"]),
    ],
)
def test_an_override_beats_the_profile_file(
    tmp_path: Path, fake_agents: FakeAgents, files: str, flags: str, calls: list[str]
) -> None:
    """codex merges its ``-c`` overrides over every file, the profile's too (before: the active legacy
    profile's ``sandbox_mode`` beat a top-level ``-c``)."""
    e2e = E2E(tmp_path / "p", fake_agents)
    _settings(e2e, fake_agents, "~/.codex/config.toml", 'sandbox_mode = "workspace-write"\n')
    mode = {"w": "workspace-write", "r": "read-only"}.get(files)
    if mode is not None:
        _settings(e2e, fake_agents, f"~/.codex/{files}.config.toml", f'sandbox_mode = "{mode}"\n')
    assert _renamed(e2e, "codex", f"{CODEX} {flags}") == calls
