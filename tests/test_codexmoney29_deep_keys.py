"""A codex ``-c`` override of a dotted key deeper than Python's stack (``-c k0.k1.….k1499=1``), or a
config file's table as deep, raised RecursionError from `authsettings._merge` at the start of every build
(a traceback); the merge is iterative now, and such a key merges as any other."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.runners import configfiles
from agentmake.runners.authsettings import codex_config

pytestmark = pytest.mark.skipif(sys.version_info < (3, 11), reason="3.10 reads no TOML tables")

DEPTH = sys.getrecursionlimit() + 500
KEY = ".".join(f"k{i}" for i in range(DEPTH))


def _leaf(config: dict, depth: int = DEPTH) -> object:
    node: object = config
    for i in range(depth):
        assert isinstance(node, dict)
        node = node[f"k{i}"]
    return node


def test_a_deep_override_merges_over_a_deep_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(configfiles, "CODEX_SYSTEM", tmp_path / "no-system.toml")
    home = tmp_path / "codex-home"
    home.mkdir()
    (home / "config.toml").write_text(f'model = "o3"\n[{KEY}]\nfile = 1\n')
    config = codex_config({"CODEX_HOME": str(home)}, None, ["codex", "exec", "-c", f"{KEY}.over=2"])
    assert config["model"] == "o3"
    assert _leaf(config) == {"file": 1, "over": 2}


def test_a_build_with_a_deep_override_runs(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write(
        "Agentfile",
        "runner work:\n    base = codex\n"
        f'    command = "codex exec --json --skip-git-repo-check -c {KEY}=1"\n'
        'agent sum:\n    runner = work\n    outputs = sum.md\n    prompt = "FAKE: label=sum\\nhi"\n',
        dedent=False,
    )
    run = e2e.am()
    assert run.code == 0 and run.summary.ran == 1, run
    assert "Traceback" not in run.err
