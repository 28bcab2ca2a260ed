"""What a refused login tells a person. A claude whose ANTHROPIC_API_KEY was set but wrong said "set
ANTHROPIC_API_KEY or CLAUDE_CODE_OAUTH_TOKEN": the one thing they had done. Now it says the key set was
refused; and a runner on no preset said "agent authentication failed (...): " with nothing after the colon."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.runners.classify import classify_failure
from agentmake.runners.parse import Parsed

CLAUDE_KEYS = ("ANTHROPIC_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN")


def _said(preset: str | None, text: str) -> str:
    verdict = classify_failure(preset, 1, Parsed(), "", text)
    assert (verdict.outcome, verdict.error_type) == ("fatal", "auth"), verdict
    return verdict.message


def test_a_key_set_and_refused_is_named_not_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CLAUDE_KEYS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-wrong-key")
    said = _said("claude", "Invalid API key · Fix external API key")
    assert "ANTHROPIC_API_KEY is set, yet refused: check its value" in said, said
    assert "set ANTHROPIC_API_KEY or" not in said and "sk-wrong-key" not in said, said


def test_no_key_set_still_says_how_to_log_in(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CLAUDE_KEYS:
        monkeypatch.delenv(name, raising=False)
    said = _said("claude", "Not logged in · Please run /login")
    assert said.endswith("set ANTHROPIC_API_KEY or CLAUDE_CODE_OAUTH_TOKEN (or run `claude` and /login)"), (
        said
    )


def test_two_keys_set_are_both_named() -> None:
    from agentmake.runners.presets import auth_fix

    env = {"ANTHROPIC_API_KEY": "a", "CLAUDE_CODE_OAUTH_TOKEN": "b"}
    assert auth_fix("claude", env).startswith(
        "ANTHROPIC_API_KEY and CLAUDE_CODE_OAUTH_TOKEN are set, yet refused: check their"
    )


def test_a_runner_on_no_preset_is_told_what_to_check() -> None:
    said = _said(None, "Error: 401 Unauthorized: invalid api key")
    assert not said.rstrip().endswith(":"), said
    assert said.endswith("check the credentials the runner's command uses"), said


def test_a_refused_key_end_to_end(tmp_path: Path, fake_agents: FakeAgents) -> None:
    """The fake claude refuses the key (401) though ANTHROPIC_API_KEY is set, as the fixture sets it."""
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", 'agent a:\n    prompt = "FAKE: fail=401"\n    outputs = a.md\n')
    run = e2e.am()
    assert run.code == 1, run
    assert "ANTHROPIC_API_KEY is set, yet refused" in run.err, run
