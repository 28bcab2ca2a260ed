"""codex finds its project's root by ``project_root_markers`` (``.git`` by default): a ``git init`` in a
directory above a project without one moves the root there, and codex then reads that directory's trusted
``.codex/config.toml`` too. The key followed (another model, a rerun), but the build stamp did not: no file it
digests changed, so the next build was a stamp no-op that ran nothing. Now the stamp's signature holds where
codex finds the root (`configstamp._codex_roots`)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E
from test_auth28_codex_provider import _write
from test_codex28_merged_config import AGENTFILE, _builds

from agentmake.runners import configfiles
from agentmake.runners.configstamp import stamp_digests

pytestmark = pytest.mark.skipif(sys.version_info < (3, 11), reason="3.10 reads no TOML tables")


def _outer(tmp_path: Path, home: Path) -> Path:
    """outer/proj, outer's .codex naming o4 and trusted, config.toml naming o3; no .git anywhere yet."""
    outer = tmp_path / "outer"
    _write(outer / ".codex" / "config.toml", 'model = "o4"\n')
    _write(
        home / ".codex" / "config.toml",
        f'model = "o3"\n[projects."{outer.resolve()}"]\ntrust_level = "trusted"\n',
    )
    return outer


def test_a_git_init_above_is_no_stamp_no_op(tmp_path: Path, fake_agents: FakeAgents) -> None:
    outer = _outer(tmp_path, fake_agents.home)
    e2e = E2E(outer / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE.format(flags=""), dedent=False)
    e2e.write("src.txt", "hello\n")
    if any((d / ".git").exists() for d in outer.resolve().parents):
        pytest.skip("a .git above the test's directory: codex's root is there already")
    assert _builds(e2e) == 1  # (o3: the root is proj, which codex reads no .codex of)
    (outer / ".git").mkdir()  # (git init: the root is outer now, whose .codex says o4)
    explained = e2e.am("explain", "sum")
    assert "o3 → o4" in explained.text, explained
    assert _builds(e2e) == 1


def test_the_signature_is_as_before_without_project_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(configfiles, "CODEX_SYSTEM", tmp_path / "no-system.toml")
    home = tmp_path / "home"
    _write(home / ".codex" / "config.toml", 'model = "o3"\n')
    root = tmp_path / "a" / "proj"
    root.mkdir(parents=True)
    env = {"HOME": str(home)}
    plain = stamp_digests(env, root)
    (tmp_path / "a" / ".git").mkdir()
    assert stamp_digests(env, root) == plain  # (no .codex to read: the root is not stamped)
    _write(tmp_path / "a" / ".codex" / "config.toml", 'model = "o4"\n')
    with_file = stamp_digests(env, root)
    (root / ".git").mkdir()  # (the root moves down to proj)
    assert stamp_digests(env, root) != with_file
