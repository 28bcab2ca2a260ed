"""gemini's login as the real CLI finds it (gemini-cli ``validateNonInterActiveAuth.ts``, ``config/auth.ts``
`validateAuthMethod`, ``config/settings.ts`` `loadEnvironment`, ``core/contentGenerator.ts``
`getAuthTypeFromEnv`, ``core/utils/paths.ts`` `homedir`): its settings and login live in ``.gemini`` of
GEMINI_CLI_HOME, else of ``~``; GOOGLE_GENAI_USE_GCA=true chooses a Google sign-in over GEMINI_API_KEY;
``security.auth.enforcedType`` refuses any other type; the ``.env`` file it loads gives the variables its
environment lacks (a key there counts, a variable set, even empty, is not replaced); Vertex AI needs
GOOGLE_CLOUD_PROJECT and GOOGLE_CLOUD_LOCATION, or GOOGLE_API_KEY (express mode). Both what agentmake says
on a refused login (`runners.authfix`) and the fake gemini follow it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.runners.presets import AUTH_ENV, auth_fix

SECRET = "sk-do-not-print-me"


def _env(home: Path, **names: str) -> dict[str, str]:
    """An environment whose HOME is `home` and whose gemini system settings are nowhere."""
    return {
        "HOME": str(home),
        "GEMINI_CLI_SYSTEM_SETTINGS_PATH": str(home / "no-system.json"),
        "GEMINI_CLI_SYSTEM_DEFAULTS_PATH": str(home / "no-defaults.json"),
        **names,
    }


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _auth(path: Path, **auth: str) -> Path:
    return _write(path, json.dumps({"security": {"auth": auth}}))


# --- what agentmake says (runners.authfix) ---


def test_settings_under_gemini_cli_home_are_read(tmp_path: Path) -> None:
    gemini_home = tmp_path / "ghome"
    _auth(gemini_home / ".gemini" / "settings.json", selectedType="oauth-personal")
    env = _env(tmp_path / "home", GEMINI_CLI_HOME=str(gemini_home), GEMINI_API_KEY=SECRET)
    said = auth_fix("gemini", env)
    assert said.startswith("gemini's settings choose oauth-personal ($GEMINI_CLI_HOME/.gemini/settings.json)")
    assert SECRET not in said, said
    _auth(tmp_path / "home" / ".gemini" / "settings.json", selectedType="vertex-ai")  # (not read: ~'s)
    assert auth_fix("gemini", env).startswith("gemini's settings choose oauth-personal"), env


def test_gca_switch_wins_over_the_api_key(tmp_path: Path) -> None:
    said = auth_fix("gemini", _env(tmp_path, GOOGLE_GENAI_USE_GCA="true", GEMINI_API_KEY=SECRET))
    assert said.startswith("GOOGLE_GENAI_USE_GCA=true makes gemini use oauth-personal, which wins over "), (
        said
    )
    assert "sign in again with `gemini`, or unset GOOGLE_GENAI_USE_GCA" in said, said
    assert "GEMINI_API_KEY is set, yet refused" not in said, said
    # (settings that choose a type win over the switch)
    _auth(tmp_path / ".gemini" / "settings.json", selectedType="gemini-api-key")
    said = auth_fix("gemini", _env(tmp_path, GOOGLE_GENAI_USE_GCA="true", GEMINI_API_KEY=SECRET))
    assert said.startswith("GEMINI_API_KEY is set, yet refused"), said


def test_an_enforced_type_other_than_the_login_is_said(tmp_path: Path) -> None:
    _auth(tmp_path / ".gemini" / "settings.json", enforcedType="vertex-ai")
    said = auth_fix("gemini", _env(tmp_path, GEMINI_API_KEY=SECRET))
    assert said.startswith(
        "gemini's settings enforce the auth type vertex-ai (~/.gemini/settings.json), but its login is "
        "gemini-api-key (GEMINI_API_KEY): set GOOGLE_GENAI_USE_VERTEXAI=true"
    ), said
    said = auth_fix("gemini", _env(tmp_path))
    assert "enforce the auth type vertex-ai (~/.gemini/settings.json), but no login is chosen" in said, said
    _auth(tmp_path / ".gemini" / "settings.json", enforcedType="vertex-ai", selectedType="oauth-personal")
    said = auth_fix("gemini", _env(tmp_path))
    assert said.endswith("change security.auth.selectedType (~/.gemini/settings.json) to vertex-ai"), said
    _auth(tmp_path / ".gemini" / "settings.json", enforcedType="gemini-api-key")  # (met: the key refused)
    assert auth_fix("gemini", _env(tmp_path, GEMINI_API_KEY=SECRET)).startswith("GEMINI_API_KEY is set, yet")


@pytest.mark.parametrize("where", ["proj/.gemini/.env", "proj/.env", "home/.gemini/.env", "home/.env"])
def test_a_key_in_the_dotenv_gemini_loads_counts(tmp_path: Path, where: str) -> None:
    _write(tmp_path / where, f"GEMINI_API_KEY={SECRET}\n")
    said = auth_fix("gemini", _env(tmp_path / "home"), tmp_path / "proj")
    shown = where.removeprefix("proj/").replace("home/", "~/")
    assert said == (
        f"GEMINI_API_KEY (in {shown}) is set, yet refused: check its value (mistyped, expired or revoked?)"
    ), said


def test_only_the_first_dotenv_is_loaded_and_never_over_a_set_name(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    _write(root / ".env", "GEMINI_MODEL=x\n")  # (the one gemini loads: the ~'s below is not)
    _write(tmp_path / "home" / ".gemini" / ".env", f"GEMINI_API_KEY={SECRET}\n")
    assert auth_fix("gemini", _env(tmp_path / "home"), root) == (
        "set GEMINI_API_KEY or run `gemini` once to sign in"
    )
    _write(root / ".env", f"GEMINI_API_KEY={SECRET}\n")
    said = auth_fix("gemini", _env(tmp_path / "home", GEMINI_API_KEY=""), root)  # (set, even empty)
    assert said == "set GEMINI_API_KEY or run `gemini` once to sign in", said


def test_gemini_cli_home_holds_the_home_dotenv(tmp_path: Path) -> None:
    _write(tmp_path / "ghome" / ".gemini" / ".env", f"GEMINI_API_KEY={SECRET}\n")
    said = auth_fix("gemini", _env(tmp_path / "home", GEMINI_CLI_HOME=str(tmp_path / "ghome")))
    assert said.startswith("GEMINI_API_KEY (in $GEMINI_CLI_HOME/.gemini/.env) is set, yet refused"), said


def test_vertex_place_from_the_dotenv_is_not_asked_for(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    _write(
        root / ".env", "GOOGLE_GENAI_USE_VERTEXAI=true\nGOOGLE_CLOUD_PROJECT=p\nGOOGLE_CLOUD_LOCATION=us\n"
    )
    said = auth_fix("gemini", _env(tmp_path / "home"), root)
    assert said.startswith(
        "gemini uses Vertex AI (GOOGLE_GENAI_USE_VERTEXAI=true (in .env)): the application"
    ), said
    _write(root / ".env", "GOOGLE_GENAI_USE_VERTEXAI=true\nGOOGLE_CLOUD_PROJECT=p\n")
    said = auth_fix("gemini", _env(tmp_path / "home"), root)
    assert "set GOOGLE_CLOUD_LOCATION and run `gcloud auth application-default login`" in said, said


def test_gemini_is_passed_what_chooses_its_login() -> None:
    for name in ("GEMINI_CLI_HOME", "GOOGLE_GENAI_USE_GCA"):
        assert name in AUTH_ENV["gemini"], name


# --- the fake gemini, as strict as the real one ---


def _fake(fake_agents: FakeAgents, cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        "PATH": os.environ["PATH"],
        "HOME": str(fake_agents.home),
        "GEMINI_CLI_TRUST_WORKSPACE": "true",
        "GEMINI_CLI_SYSTEM_SETTINGS_PATH": str(fake_agents.home / "no-system.json"),
    }
    cwd.mkdir(parents=True, exist_ok=True)
    argv = [str(fake_agents.bin / "gemini"), *args, "-p", "FAKE: answer=ok"]
    return subprocess.run(argv, cwd=cwd, env={**base, **env}, capture_output=True, text=True, timeout=60)


VERTEX_WANTS = (
    "When using Vertex AI, you must specify either:\n• GOOGLE_CLOUD_PROJECT and GOOGLE_CLOUD_LOCATION"
)


def test_fake_vertex_needs_project_and_location_or_a_key(fake_agents: FakeAgents, tmp_path: Path) -> None:
    run = _fake(fake_agents, tmp_path, GOOGLE_GENAI_USE_VERTEXAI="true", GOOGLE_CLOUD_PROJECT="p")
    assert run.returncode == 41 and run.stderr.startswith(VERTEX_WANTS), run
    run = _fake(
        fake_agents,
        tmp_path,
        GOOGLE_GENAI_USE_VERTEXAI="true",
        GOOGLE_CLOUD_PROJECT="p",
        GOOGLE_CLOUD_LOCATION="l",
    )
    assert (run.returncode, run.stdout.strip()) == (0, "ok"), run
    run = _fake(fake_agents, tmp_path, GOOGLE_GENAI_USE_VERTEXAI="true", GOOGLE_API_KEY="k")  # (express mode)
    assert (run.returncode, run.stdout.strip()) == (0, "ok"), run


def test_fake_sign_in_needs_a_chosen_type_and_its_cached_login(
    fake_agents: FakeAgents, tmp_path: Path
) -> None:
    ghome = tmp_path / "ghome"
    _write(ghome / ".gemini" / "oauth_creds.json", "{}")
    run = _fake(fake_agents, tmp_path / "p", GEMINI_CLI_HOME=str(ghome))  # (a login file chooses nothing)
    assert run.returncode == 41, run
    assert run.stderr.startswith(f"Please set an Auth method in your {ghome}/.gemini/settings.json or "), run
    run = _fake(fake_agents, tmp_path / "p", GEMINI_CLI_HOME=str(ghome), GOOGLE_GENAI_USE_GCA="true")
    assert (run.returncode, run.stdout.strip()) == (0, "ok"), run
    _auth(ghome / ".gemini" / "settings.json", selectedType="oauth-personal")
    run = _fake(fake_agents, tmp_path / "p", GEMINI_CLI_HOME=str(ghome))
    assert (run.returncode, run.stdout.strip()) == (0, "ok"), run
    run = _fake(
        fake_agents, tmp_path / "p", GEMINI_CLI_HOME=str(tmp_path / "other"), GOOGLE_GENAI_USE_GCA="true"
    )
    assert run.returncode == 41 and "Manual authorization is required" in run.stderr, run


def test_fake_loads_the_dotenv_of_a_trusted_folder(fake_agents: FakeAgents, tmp_path: Path) -> None:
    root = tmp_path / "proj"
    _write(root / ".gemini" / ".env", "GEMINI_API_KEY=k\n")
    run = _fake(fake_agents, root / "sub")
    assert (run.returncode, run.stdout.strip()) == (0, "ok"), run
    run = _fake(fake_agents, root / "sub", GEMINI_CLI_TRUST_WORKSPACE="false", GEMINI_API_KEY="")
    assert run.returncode == 41, run  # (untrusted: no .env; a name set, even empty, is never replaced)


def test_fake_refuses_a_type_other_than_the_enforced_one(fake_agents: FakeAgents, tmp_path: Path) -> None:
    _auth(fake_agents.home / ".gemini" / "settings.json", enforcedType="vertex-ai")
    run = _fake(fake_agents, tmp_path, "-o", "json", GEMINI_API_KEY="k")
    assert run.returncode == 41 and run.stdout == "", run
    error = json.loads(run.stderr)["error"]
    assert error == {
        "type": "Error",
        "message": "The enforced authentication type is 'vertex-ai', but the current type is "
        "'gemini-api-key'. Please re-authenticate with the correct type.",
        "code": 41,
    }, error


def _builds_with_gemini(e2e: E2E) -> None:
    """A build of one gemini agent answers (gemini saw the login chosen), and CLOUD_SHELL is passed on."""
    e2e.write(
        "Agentfile", 'agent a:\n    runner = gemini\n    outputs = a.md\n    prompt = "FAKE: answer=hi"\n'
    )
    run = e2e.am()
    assert run.code == 0, run
    assert e2e.read("a.md").strip() == "hi"
    assert "CLOUD_SHELL" in AUTH_ENV["gemini"]


class _SignedIn(E2E):
    """A project whose agentmake has no GEMINI_API_KEY but a GEMINI_CLI_HOME."""

    gemini_home = Path()

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in super().env().items() if k != "GEMINI_API_KEY"}
        return {**env, "GEMINI_CLI_HOME": str(self.gemini_home)}


def test_a_build_signs_in_where_gemini_cli_home_says(fake_agents: FakeAgents, tmp_path: Path) -> None:
    e2e = _SignedIn(tmp_path / "proj", fake_agents)
    e2e.gemini_home = tmp_path / "ghome"
    _write(e2e.gemini_home / ".gemini" / "oauth_creds.json", "{}")
    _auth(e2e.gemini_home / ".gemini" / "settings.json", selectedType="oauth-personal")
    _builds_with_gemini(e2e)


def test_the_model_gemini_takes_from_its_settings_is_read_under_gemini_cli_home(tmp_path: Path) -> None:
    from agentmake.runners.modelconfig import config_model
    from agentmake.runners.presets import PRESETS

    _write(tmp_path / "home" / ".gemini" / "settings.json", json.dumps({"model": {"name": "home-model"}}))
    _write(tmp_path / "ghome" / ".gemini" / "settings.json", json.dumps({"model": {"name": "its-model"}}))
    _write(tmp_path / "ghome" / ".gemini" / ".env", "GEMINI_MODEL=env-model\n")
    env = _env(tmp_path / "home", GEMINI_CLI_HOME=str(tmp_path / "ghome"))
    found = config_model("gemini", PRESETS["gemini"], env, tmp_path / "proj")
    assert found is not None and found[0] == "env-model", found  # (its home's .env, then its settings)
    (tmp_path / "ghome" / ".gemini" / ".env").unlink()
    found = config_model("gemini", PRESETS["gemini"], env, tmp_path / "proj")
    assert found is not None and found[0] == "its-model", found


class _CloudShell(E2E):
    """A project built in Google Cloud Shell (CLOUD_SHELL=true), with no key: gemini signs in with the
    machine's credentials."""

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in super().env().items() if k not in ("GEMINI_API_KEY", "GOOGLE_API_KEY")}
        return {**env, "CLOUD_SHELL": "true"}


def test_a_build_in_cloud_shell_signs_in_as_gemini_does_there(
    fake_agents: FakeAgents, tmp_path: Path
) -> None:
    """CLOUD_SHELL=true chooses gemini's compute credentials (`getAuthTypeFromEnv`): gemini must see it, or
    it refuses for want of any login, and agentmake then said "CLOUD_SHELL=true makes gemini use
    compute-default-credentials: that login was refused: unset CLOUD_SHELL", blaming what gemini never saw."""
    e2e = _CloudShell(tmp_path / "proj", fake_agents)
    _builds_with_gemini(e2e)


@pytest.mark.parametrize(
    ("enforced", "names", "fix"),
    [
        (
            "gemini-api-key",
            {"GOOGLE_GENAI_USE_GCA": "true", "GEMINI_API_KEY": SECRET},
            "unset GOOGLE_GENAI_USE_GCA (gemini looks at it first)",
        ),
        (
            "gemini-api-key",
            {"GOOGLE_GENAI_USE_VERTEXAI": "true"},
            "unset GOOGLE_GENAI_USE_VERTEXAI (gemini looks at it first), and set GEMINI_API_KEY",
        ),
        (
            "compute-default-credentials",
            {"GEMINI_API_KEY": SECRET},
            "unset GEMINI_API_KEY (gemini looks at it first), and set GEMINI_CLI_USE_COMPUTE_ADC=true",
        ),
    ],
)
def test_an_enforced_type_the_environment_s_first_choice_hides_says_to_drop_it(
    tmp_path: Path, enforced: str, names: dict[str, str], fix: str
) -> None:
    """gemini's environment chooses in an order (`getAuthTypeFromEnv`: GOOGLE_GENAI_USE_GCA, then
    GOOGLE_GENAI_USE_VERTEXAI, then GEMINI_API_KEY, then the compute credentials): "set GEMINI_API_KEY"
    beside GOOGLE_GENAI_USE_GCA=true (the key set already, even) changed nothing; what chose first goes."""
    _auth(tmp_path / ".gemini" / "settings.json", enforcedType=enforced)
    said = auth_fix("gemini", _env(tmp_path, **names))
    assert said.endswith(f": {fix}"), said
    assert SECRET not in said, said


def test_a_first_choice_from_the_dotenv_is_removed_there(tmp_path: Path) -> None:
    _auth(tmp_path / "home" / ".gemini" / "settings.json", enforcedType="compute-default-credentials")
    _write(tmp_path / "proj" / ".env", f"GEMINI_API_KEY={SECRET}\nGEMINI_CLI_USE_COMPUTE_ADC=true\n")
    said = auth_fix("gemini", _env(tmp_path / "home"), tmp_path / "proj")
    assert said.endswith(": remove GEMINI_API_KEY from .env (gemini looks at it first)"), said
