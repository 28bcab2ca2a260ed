"""A codex runner given ``-C``/``--cd DIR`` works in DIR: codex looks for the project's ``.codex`` files
from the project root down to DIR (codex-rs exec: the flag is the config loader's ``cwd``; docs "Config
basics": "ordered from the project root down to your current working directory"). agentmake read them from
the project root alone: a model set in ``DIR/.codex/config.toml`` was not in the key, and changing it
reran nothing (`authsettings.codex_cwd`). The build stamp holds those files too (`stampwrite`)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E
from test_auth28_codex_provider import _write
from test_codex28_merged_config import _builds, _e2e

from agentmake.model import RunnerSpec
from agentmake.runners import configfiles
from agentmake.runners.modelconfig import config_reading
from agentmake.runners.presets import PRESETS

pytestmark = pytest.mark.skipif(sys.version_info < (3, 11), reason="3.10 reads no TOML tables")


@pytest.mark.parametrize("flags", [("-C", "sub"), ("--cd", "sub"), ("--cd=sub",), ("-Csub",)])
def test_the_model_is_read_where_codex_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flags: tuple[str, ...]
) -> None:
    monkeypatch.setattr(configfiles, "CODEX_SYSTEM", tmp_path / "no-system.toml")
    root = tmp_path / "proj"
    (root / ".git").mkdir(parents=True)
    _write(
        tmp_path / "home" / ".codex" / "config.toml",
        f'model = "o3"\n[projects."{root}"]\ntrust_level = "trusted"\n',
    )
    _write(root / "sub" / ".codex" / "config.toml", 'model = "o4"\n')
    env = {"HOME": str(tmp_path / "home")}
    runner = RunnerSpec(name="c", command=(*PRESETS["codex"].command, *flags), base="codex")
    assert config_reading("codex", runner, env, root).found == ("o4", "codex", "sub/.codex/config.toml")
    plain = RunnerSpec(name="c", command=PRESETS["codex"].command, base="codex")
    assert config_reading("codex", plain, env, root).found is not None
    assert config_reading("codex", plain, env, root).found[0] == "o3"  # (no -C: the root's files alone)


def test_a_change_of_the_model_where_codex_works_reruns(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e2e: E2E = _e2e(tmp_path, fake_agents, " -C sub")
    (e2e.root / ".git").mkdir()
    (e2e.root / "sub").mkdir()
    assert _builds(e2e) == 1
    config = e2e.write("sub/.codex/config.toml", 'model = "o4"\n')
    explained = e2e.am("explain", "sum")
    assert "sub/.codex/config.toml changed: o3 → o4" in explained.text, explained
    assert _builds(e2e) == 1  # (before: none, the key held config.toml's o3; and the stamp vouched for it)
    _write(config, 'model = "o5"\n')
    assert _builds(e2e) == 1


def test_a_git_init_where_codex_works_is_no_stamp_no_op(tmp_path: Path, fake_agents: FakeAgents) -> None:
    # (review29a: the root trusted, its .codex naming o4, codex working in sub; a `git init sub` moves codex's
    # root to sub, untrusted, so codex asks config.toml's o3: explain said so, the build stamp ran nothing)
    e2e: E2E = _e2e(tmp_path, fake_agents, " -C sub")
    (e2e.root / ".git").mkdir()
    (e2e.root / "sub").mkdir()
    _write(
        fake_agents.home / ".codex" / "config.toml",
        f'model = "o3"\n[projects."{e2e.root.resolve()}"]\ntrust_level = "trusted"\n',
    )
    e2e.write(".codex/config.toml", 'model = "o4"\n')
    assert _builds(e2e) == 1
    (e2e.root / "sub" / ".git").mkdir()
    explained = e2e.am("explain", "sum")
    assert "o4 → o3" in explained.text, explained
    assert _builds(e2e) == 1  # (before: 0, the stamp vouched for the build)
