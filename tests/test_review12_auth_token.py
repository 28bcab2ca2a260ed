"""A claude given ANTHROPIC_AUTH_TOKEN (a gateway's bearer token, which `presets.AUTH_ENV`
passes on) that was refused was told "set ANTHROPIC_API_KEY or CLAUDE_CODE_OAUTH_TOKEN": the credential it
had set went unnamed, as a refused ANTHROPIC_API_KEY did before `presets.auth_fix`."""

from __future__ import annotations

import pytest

from agentmake.runners.classify import classify_failure
from agentmake.runners.parse import Parsed
from agentmake.runners.presets import AUTH_ENV, AUTH_KEYS, auth_fix


def test_a_refused_auth_token_is_named_not_asked_for() -> None:
    said = auth_fix("claude", {"ANTHROPIC_AUTH_TOKEN": "wrong-token"})
    assert said.startswith("ANTHROPIC_AUTH_TOKEN is set, yet refused: check its value"), said
    assert "wrong-token" not in said, said


def test_the_verdict_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in AUTH_ENV["claude"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", "wrong-token")
    verdict = classify_failure("claude", 1, Parsed(), "", "API Error: 401 authentication_error")
    assert verdict.error_type == "auth", verdict
    assert "ANTHROPIC_AUTH_TOKEN is set, yet refused" in verdict.message, verdict.message
    assert "set ANTHROPIC_API_KEY or" not in verdict.message, verdict.message


def test_every_key_named_is_one_the_cli_is_given() -> None:
    for preset, keys in AUTH_KEYS.items():
        assert set(keys) <= set(AUTH_ENV[preset]), preset
