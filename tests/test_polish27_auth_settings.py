"""`runners.authfix` reads what the CLIs' own settings say about the login they use: gemini's
``security.auth.selectedType`` wins over its environment's keys; Vertex AI names only what is missing; a
custom codex ``model_provider`` reads OPENAI_API_KEY. A missing or broken settings file never raises."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.runners.classify import classify_failure
from agentmake.runners.parse import Parsed
from agentmake.runners.presets import auth_fix

SECRET = "sk-do-not-print-me"
GEMINI_401 = "Error: 401 UNAUTHENTICATED"


def _settings(path: Path, selected: str, *, legacy: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"selectedAuthType": selected} if legacy else {"security": {"auth": {"selectedType": selected}}}
    path.write_text(json.dumps(body))
    return path


def _env(home: Path, **names: str) -> dict[str, str]:
    """An environment whose HOME is `home` and whose gemini system settings are nowhere."""
    return {
        "HOME": str(home),
        "GEMINI_CLI_SYSTEM_SETTINGS_PATH": str(home / "no-system.json"),
        "GEMINI_CLI_SYSTEM_DEFAULTS_PATH": str(home / "no-defaults.json"),
        **names,
    }


def test_gemini_signed_in_by_its_user_settings_does_not_blame_the_key(tmp_path: Path) -> None:
    _settings(tmp_path / ".gemini" / "settings.json", "oauth-personal")
    said = auth_fix("gemini", _env(tmp_path, GEMINI_API_KEY=SECRET))
    assert said.startswith("gemini's settings choose oauth-personal (~/.gemini/settings.json)"), said
    assert "wins over GEMINI_API_KEY (set)" in said and "sign in again with `gemini`" in said, said
    assert "yet refused" not in said and SECRET not in said, said


def test_gemini_settings_choice_is_shown_only_when_plain(tmp_path: Path) -> None:
    _settings(tmp_path / ".gemini" / "settings.json", "\x1b[31moauth\nX" + "y" * 100)
    said = auth_fix("gemini", _env(tmp_path, GEMINI_API_KEY=SECRET))
    assert said.startswith("gemini's settings choose an unknown auth type (~/.gemini/settings.json)"), said


def test_gemini_project_settings_win_over_the_user_s(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    _settings(tmp_path / ".gemini" / "settings.json", "gemini-api-key")
    _settings(root / ".gemini" / "settings.json", "oauth-personal", legacy=True)
    said = auth_fix("gemini", _env(tmp_path, GEMINI_API_KEY=SECRET), root)
    assert said.startswith("gemini's settings choose oauth-personal (.gemini/settings.json)"), said
    said = auth_fix("gemini", _env(tmp_path, GEMINI_API_KEY=SECRET))  # (no project known: the user's)
    assert said.startswith("GEMINI_API_KEY is set, yet refused: check its value"), said


def test_gemini_settings_choice_reaches_the_verdict_through_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GEMINI_CLI_SYSTEM_SETTINGS_PATH", str(tmp_path / "none.json"))
    monkeypatch.setenv("GEMINI_API_KEY", SECRET)
    _settings(tmp_path / "proj" / ".gemini" / "settings.json", "oauth-personal")
    verdict = classify_failure("gemini", 41, Parsed(), "", GEMINI_401, tmp_path / "proj")
    assert "gemini's settings choose oauth-personal" in verdict.message, verdict.message


def test_gemini_settings_choosing_vertex_ai_say_so(tmp_path: Path) -> None:
    _settings(tmp_path / ".gemini" / "settings.json", "vertex-ai")
    said = auth_fix("gemini", _env(tmp_path, GOOGLE_CLOUD_PROJECT="p"))
    assert said.startswith("gemini uses Vertex AI (vertex-ai in ~/.gemini/settings.json): set "), said
    assert "set GOOGLE_CLOUD_LOCATION and run" in said, said


@pytest.mark.parametrize(
    "text",
    ["{not json", "[1, 2]", '{"security": "x"}', '{"security": {"auth": {"selectedType": 3}}}', "\udcff"],
)
def test_gemini_broken_settings_are_no_choice(tmp_path: Path, text: str) -> None:
    path = tmp_path / ".gemini" / "settings.json"
    path.parent.mkdir()
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    said = auth_fix("gemini", _env(tmp_path, GEMINI_API_KEY=SECRET))
    assert said.startswith("GEMINI_API_KEY is set, yet refused"), said


def test_gemini_deeply_nested_settings_never_raise(tmp_path: Path) -> None:
    path = tmp_path / ".gemini" / "settings.json"
    path.parent.mkdir()
    path.write_text("[" * 200_000 + "]" * 200_000)
    assert auth_fix("gemini", _env(tmp_path)) == "set GEMINI_API_KEY or run `gemini` once to sign in"


def test_gemini_settings_a_directory_never_raise(tmp_path: Path) -> None:
    (tmp_path / ".gemini" / "settings.json").mkdir(parents=True)
    assert auth_fix("gemini", _env(tmp_path)) == "set GEMINI_API_KEY or run `gemini` once to sign in"


def test_gemini_vertex_with_project_and_location_set_blames_the_credentials(tmp_path: Path) -> None:
    env = _env(
        tmp_path,
        GOOGLE_GENAI_USE_VERTEXAI="true",
        GOOGLE_CLOUD_PROJECT="p",
        GOOGLE_CLOUD_LOCATION="us-central1",
    )
    said = auth_fix("gemini", env)
    assert "set GOOGLE_CLOUD_PROJECT" not in said and "GOOGLE_CLOUD_LOCATION and" not in said, said
    assert "the application default credentials were refused" in said, said
    said = auth_fix("gemini", {**env, "GOOGLE_APPLICATION_CREDENTIALS": str(tmp_path / "sa.json")})
    assert "the key file GOOGLE_APPLICATION_CREDENTIALS names was refused" in said, said
    assert str(tmp_path / "sa.json") not in said, said


def test_gemini_vertex_names_only_the_missing_place(tmp_path: Path) -> None:
    env = _env(tmp_path, GOOGLE_GENAI_USE_VERTEXAI="true", GOOGLE_CLOUD_LOCATION="us-central1")
    said = auth_fix("gemini", env)
    assert "set GOOGLE_CLOUD_PROJECT and run `gcloud auth application-default login`" in said, said
    assert "GOOGLE_CLOUD_LOCATION" not in said, said


CUSTOM_PROVIDER = """\
model = "gpt-5"
model_provider = "proxy"

[model_providers.proxy]
name = "A proxy"
base_url = "https://proxy.example/v1"
env_key = "OPENAI_API_KEY"
"""

needs_tomllib = pytest.mark.skipif(sys.version_info < (3, 11), reason="3.10 reads no [model_providers.X]")


@needs_tomllib
def test_codex_custom_provider_reading_openai_api_key_blames_it(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(CUSTOM_PROVIDER)
    said = auth_fix("codex", {"CODEX_HOME": str(tmp_path), "OPENAI_API_KEY": SECRET})
    assert said.startswith("OPENAI_API_KEY is set, yet refused (the model_provider of codex's"), said
    assert "runner's `env`" not in said, said  # (agentmake passes it)
    assert "does not read OPENAI_API_KEY" not in said and SECRET not in said, said


@needs_tomllib
def test_codex_legacy_profile_is_no_longer_read(tmp_path: Path) -> None:
    """codex 0.134 and later read no ``profile`` selector nor ``[profiles.NAME]`` table: a profile is the
    ``<NAME>.config.toml`` file of ``--profile NAME`` (test_auth28_codex_provider)."""
    text = CUSTOM_PROVIDER.replace('model_provider = "proxy"', 'model_provider = "openai"\nprofile = "p"')
    (tmp_path / ".codex").mkdir()
    (tmp_path / ".codex" / "config.toml").write_text(text + '\n[profiles.p]\nmodel_provider = "proxy"\n')
    said = auth_fix("codex", {"HOME": str(tmp_path), "OPENAI_API_KEY": SECRET})
    assert said.startswith("`codex exec` does not read OPENAI_API_KEY (set)"), said


@pytest.mark.parametrize(
    "text",
    [
        "model_provider = [",
        'model = "o3"\n',
        'model_provider = "proxy"\n',
        'model_provider = "openai"\n[model_providers.openai]\nenv_key = "OPENAI_API_KEY"\n',
        "\udcff",
    ],
)
def test_codex_without_such_a_provider_keeps_today_s_message(tmp_path: Path, text: str) -> None:
    (tmp_path / "config.toml").write_bytes(text.encode("utf-8", "surrogateescape"))
    said = auth_fix("codex", {"CODEX_HOME": str(tmp_path), "OPENAI_API_KEY": SECRET})
    assert said.startswith("`codex exec` does not read OPENAI_API_KEY (set)"), said


def test_codex_on_python_3_10_keeps_today_s_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without tomllib no [model_providers.X] table is read: codex's provider is not known."""
    monkeypatch.setitem(sys.modules, "tomllib", None)  # (its import fails, as on 3.10)
    (tmp_path / "config.toml").write_text(CUSTOM_PROVIDER)
    said = auth_fix("codex", {"CODEX_HOME": str(tmp_path), "OPENAI_API_KEY": SECRET})
    assert said.startswith("`codex exec` does not read OPENAI_API_KEY (set)"), said


AGENTFILE_GEMINI = 'agent a:\n    runner = gemini\n    prompt = "FAKE: fail=401"\n    outputs = a.md\n'


def test_gemini_refused_end_to_end_names_its_project_settings(
    tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build passes its project to the verdict: the project's settings chose the sign-in."""
    monkeypatch.setenv("GEMINI_API_KEY", SECRET)
    monkeypatch.setenv("GEMINI_CLI_SYSTEM_SETTINGS_PATH", str(tmp_path / "none.json"))
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE_GEMINI)
    e2e.write(".gemini/settings.json", json.dumps({"security": {"auth": {"selectedType": "oauth-personal"}}}))
    run = e2e.am()
    assert run.code == 1, run
    assert "gemini's settings choose oauth-personal (.gemini/settings.json)" in run.err, run
    assert SECRET not in run.err + run.out, run
