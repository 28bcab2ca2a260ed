"""What a refused login tells a person, CLI by CLI, when a key is already set: `codex exec` does not read
OPENAI_API_KEY (it said "OPENAI_API_KEY is set, yet refused: check its value", a key maybe right); gemini
reads GOOGLE_API_KEY only for Vertex AI (it said both keys were refused); llm takes a key saved with `llm
keys set` first, and `ollama run` signs in with `ollama signin` (both said "set ..." of a key that was
set). `runners.authfix`."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.runners.classify import classify_failure
from agentmake.runners.parse import Parsed
from agentmake.runners.presets import AUTH_ENV, auth_fix

SECRET = "sk-do-not-print-me"


def _said(monkeypatch: pytest.MonkeyPatch, preset: str, text: str, **env: str) -> str:
    """The auth verdict of `preset`'s CLI refusing with `text` (its real wording), with only `env` set."""
    for name in AUTH_ENV[preset]:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    verdict = classify_failure(preset, 1, Parsed(), "", text)
    assert (verdict.outcome, verdict.error_type) == ("fatal", "auth"), verdict
    assert SECRET not in verdict.message, verdict.message
    return verdict.message


CODEX_401 = "ERROR: exceeded retry limit, last status: 401 Unauthorized, request id: 9a4af5870a31a58e-WAW"


def test_codex_with_openai_api_key_is_told_to_log_in_with_it(monkeypatch: pytest.MonkeyPatch) -> None:
    said = _said(monkeypatch, "codex", CODEX_401, OPENAI_API_KEY=SECRET)
    assert "`codex exec` does not read OPENAI_API_KEY (set)" in said, said
    assert "printenv OPENAI_API_KEY | codex login --with-api-key" in said, said
    assert "yet refused" not in said, said


def test_codex_with_codex_api_key_names_that_key(monkeypatch: pytest.MonkeyPatch) -> None:
    said = _said(monkeypatch, "codex", CODEX_401, CODEX_API_KEY=SECRET, OPENAI_API_KEY=SECRET)
    assert said.endswith("CODEX_API_KEY is set, yet refused: check its value (mistyped, expired or revoked?)")


def test_codex_with_no_key_is_not_told_to_set_openai_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    said = _said(monkeypatch, "codex", "Not logged in: run `codex login`")
    assert "run `codex login`, or set CODEX_API_KEY" in said, said
    assert "set OPENAI_API_KEY" not in said, said


GEMINI_401 = "API key not valid. Please pass a valid API key. API_KEY_INVALID"


def test_gemini_google_api_key_without_vertex_is_said_unread(monkeypatch: pytest.MonkeyPatch) -> None:
    said = _said(monkeypatch, "gemini", GEMINI_401, GOOGLE_API_KEY=SECRET)
    assert "gemini reads GOOGLE_API_KEY (set) only for Vertex AI" in said, said
    assert "set GEMINI_API_KEY" in said and "GOOGLE_GENAI_USE_VERTEXAI=true" in said, said


def test_gemini_vertex_key_refused_is_said_so(monkeypatch: pytest.MonkeyPatch) -> None:
    said = _said(monkeypatch, "gemini", GEMINI_401, GOOGLE_API_KEY=SECRET, GOOGLE_GENAI_USE_VERTEXAI="true")
    assert "GOOGLE_API_KEY is set, yet refused by Vertex AI" in said, said


def test_gemini_vertex_without_a_key_is_told_of_its_project(monkeypatch: pytest.MonkeyPatch) -> None:
    said = _said(monkeypatch, "gemini", "Error: 401 UNAUTHENTICATED", GOOGLE_GENAI_USE_VERTEXAI="true")
    assert "GOOGLE_CLOUD_PROJECT and GOOGLE_CLOUD_LOCATION" in said, said
    assert "set GEMINI_API_KEY" not in said, said


def test_gemini_api_key_is_the_one_refused_when_both_are_set(monkeypatch: pytest.MonkeyPatch) -> None:
    said = _said(monkeypatch, "gemini", GEMINI_401, GEMINI_API_KEY=SECRET, GOOGLE_API_KEY=SECRET)
    assert said.endswith(
        "GEMINI_API_KEY is set, yet refused: check its value (mistyped, expired or revoked?)"
    )


def test_gemini_exit_41_with_google_api_key_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """gemini's own auth exit code (41), as when GOOGLE_API_KEY alone chose no auth method."""
    for name in AUTH_ENV["gemini"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GOOGLE_API_KEY", SECRET)
    text = (
        "Please set an Auth method in your settings.json or specify one of the following "
        "environment variables"
    )
    verdict = classify_failure("gemini", 41, Parsed(), "", text)
    assert "only for Vertex AI" in verdict.message, verdict.message


def test_llm_with_a_key_set_points_at_its_saved_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (
        "Error: Error code: 401 - "
        "{'error': {'message': 'Incorrect API key provided', 'code': 'invalid_api_key'}}"
    )
    said = _said(monkeypatch, "llm", text, OPENAI_API_KEY=SECRET)
    assert (
        "llm uses a key saved with `llm keys set` before the provider's variable (OPENAI_API_KEY set)" in said
    )
    assert "`llm keys list`" in said and "set the provider's key" not in said, said


def test_three_keys_set_are_listed_as_a_sentence() -> None:
    said = auth_fix("llm", {"OPENAI_API_KEY": "a", "ANTHROPIC_API_KEY": "b", "GEMINI_API_KEY": "c"})
    assert "(OPENAI_API_KEY, ANTHROPIC_API_KEY and GEMINI_API_KEY set)" in said, said


def test_llm_with_no_key_is_still_told_to_set_one(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (
        "Error: No key found - add one using 'llm keys set openai' "
        "or set the OPENAI_API_KEY environment variable"
    )
    said = _said(monkeypatch, "llm", text)
    assert said.endswith("set the provider's key with `llm keys set ...` or its *_API_KEY variable"), said


OLLAMA_SIGNIN = "You need to be signed in to Ollama to run Cloud models."


def test_ollama_with_its_api_key_set_is_told_to_sign_in(monkeypatch: pytest.MonkeyPatch) -> None:
    said = _said(monkeypatch, "ollama", OLLAMA_SIGNIN, OLLAMA_API_KEY=SECRET)
    assert "run `ollama signin`" in said and "not with OLLAMA_API_KEY (set)" in said, said
    assert "set OLLAMA_API_KEY" not in said, said


def test_ollama_without_a_key_is_not_told_to_set_one() -> None:
    said = auth_fix("ollama", {})
    assert said == "run `ollama signin` (cloud models need it; local models need no key)", said


AGENTFILE_CODEX = 'agent a:\n    runner = codex\n    prompt = "FAKE: fail=401"\n    outputs = a.md\n'


def test_codex_refused_end_to_end(
    tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fake codex refuses (401) though OPENAI_API_KEY is set, as the fixture sets it."""
    monkeypatch.delenv("CODEX_API_KEY")
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE_CODEX)
    run = e2e.am()
    assert run.code == 1, run
    assert "codex login --with-api-key" in run.err, run
    assert "fake-openai-key" not in run.err + run.out, run


def test_the_fake_codex_as_the_real_one_does_not_read_openai_api_key(
    tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With OPENAI_API_KEY alone (no CODEX_API_KEY, no saved login) the fake codex is not logged in, as the
    real `codex exec`: the build fails and says how to log in with that key; with CODEX_API_KEY it answers."""
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE_CODEX.replace("FAKE: fail=401", "say hi"))
    with monkeypatch.context() as m:
        m.delenv("CODEX_API_KEY")
        run = e2e.am()
    assert run.code == 1, run
    assert "codex login --with-api-key" in run.err, run
    assert not (e2e.root / "a.md").exists()
    run = e2e.am()
    assert run.code == 0, run
    assert (e2e.root / "a.md").read_text().strip(), run


def test_codex_logged_in_with_an_access_token_alone_answers(
    tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CODEX_ACCESS_TOKEN (a ChatGPT/Codex access token for trusted automation) reaches codex: it was not
    passed on, so a build logged in with it alone failed as not logged in."""
    monkeypatch.delenv("CODEX_API_KEY")
    monkeypatch.setenv("CODEX_ACCESS_TOKEN", SECRET)
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE_CODEX.replace("FAKE: fail=401", "say hi"))
    run = e2e.am()
    assert run.code == 0, run
    assert SECRET not in run.err + run.out


def test_codex_s_access_token_refused_is_named() -> None:
    said = auth_fix("codex", {"CODEX_ACCESS_TOKEN": SECRET, "OPENAI_API_KEY": SECRET})
    assert said.startswith("CODEX_ACCESS_TOKEN is set, yet refused"), said
