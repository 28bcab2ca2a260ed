"""An endpoint variable (ANTHROPIC_BASE_URL, CLAUDE_CODE_USE_BEDROCK, ...) that an ``env`` block of claude's
settings sets is applied over claude's environment (`runners.modelconfig.CLAUDE_ENDPOINTS`), so it chooses
the service claude calls. A task's key held the environment's alone: pointing claude at another proxy in
``~/.claude/settings.json`` or the project's ``.claude/settings.json`` kept the other service's answers, said
up to date. It is now keyed as the environment's is (`presets.env_endpoint`: the host, and a digest of the
value without its user, password or key), so the same URL set either way is the same key, and no secret
reaches the key, explain or the state. Real builds with the fake CLIs, HOME a temporary directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FakeAgents
from test_keyhunt3_endpoints import EnvE2E, _agentfile, _state_bytes

from agentmake.runners.modelconfig import config_reading
from agentmake.runners.presets import PRESETS


def _settings(path: Path, **env: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"permissions": {"allow": []}, "env": env}), encoding="utf-8")


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch) -> EnvE2E:
    monkeypatch.delenv("CLAUDE_CONFIG_DIR", raising=False)
    project = EnvE2E(tmp_path / "proj", fake_agents)
    project.extra = {}
    project.write("src.txt", "hello\n")
    return project


def test_a_base_url_in_claudes_settings_is_keyed_as_the_environments(e2e: EnvE2E) -> None:
    _agentfile(e2e, "claude")
    user = e2e.fake.home / ".claude" / "settings.json"
    e2e.extra = {"ANTHROPIC_BASE_URL": "https://me:hunter2@one.example/"}
    assert e2e.am().code == 0
    _settings(user, ANTHROPIC_BASE_URL="https://me:swordfish@one.example/", OTHER="x")
    e2e.extra = {"ANTHROPIC_BASE_URL": "https://me:hunter2@elsewhere.example/"}  # (the block's beats it)
    run = e2e.am()  # (the same service: no call)
    assert run.summary.up_to_date == 1 and e2e.calls("sum") == ["sum"], run
    project = e2e.root / ".claude" / "settings.json"
    _settings(project, ANTHROPIC_BASE_URL="https://me:swordfish@two.example/")  # (the project's beats it)
    explained = e2e.am("explain", "sum")
    assert "endpoint changed (ANTHROPIC_BASE_URL: one.example → two.example)" in explained.text, explained
    run = e2e.am()
    assert run.summary.ran == 1, run
    assert e2e.am().summary.up_to_date == 1  # (the build stamp's answer)
    _settings(project, CLAUDE_CODE_USE_BEDROCK="1")  # (the user's URL again, and a switch)
    explained = e2e.am("explain", "sum")
    assert "CLAUDE_CODE_USE_BEDROCK" in explained.text, explained
    assert e2e.am().summary.ran == 1
    project.unlink()  # (the first service's answer again: restored, no call)
    run = e2e.am()
    assert run.summary.cached + run.summary.up_to_date == 1, run
    assert e2e.calls("sum") == ["sum", "sum", "sum"]
    state = _state_bytes(e2e)
    assert b"hunter2" not in state and b"swordfish" not in state


def test_the_files_blocks_are_read_in_claudes_order(tmp_path: Path) -> None:
    home, root = tmp_path / "home", tmp_path / "proj"
    env = {"HOME": str(home)}
    claude = PRESETS["claude"]
    assert config_reading("claude", claude, env, root).endpoints == {}
    _settings(home / ".claude" / "settings.json", ANTHROPIC_BASE_URL=5, CLAUDE_CODE_USE_VERTEX="  ")
    assert config_reading("claude", claude, env, root).endpoints == {}  # (no string: names none)
    _settings(
        home / ".claude" / "settings.json", ANTHROPIC_BASE_URL="https://user.example", OPENAI_BASE_URL="x"
    )
    _settings(root / ".claude" / "settings.json", ANTHROPIC_BASE_URL="https://project.example")
    _settings(root / ".claude" / "settings.local.json", CLAUDE_CODE_USE_VERTEX="1")
    (root / ".claude" / "settings.local.json").write_text("{broken")  # (names none: the next file's)
    assert config_reading("claude", claude, env, root).endpoints == {
        "ANTHROPIC_BASE_URL": "https://project.example"
    }
    _settings(root / ".claude" / "settings.local.json", CLAUDE_CODE_USE_VERTEX="1")
    assert config_reading("claude", claude, env, root).endpoints == {
        "ANTHROPIC_BASE_URL": "https://project.example",
        "CLAUDE_CODE_USE_VERTEX": "1",
    }
    assert config_reading("codex", PRESETS["codex"], env, root).endpoints == {}
