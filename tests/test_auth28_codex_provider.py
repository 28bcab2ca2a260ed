"""The custom ``model_provider`` whose ``env_key`` ``codex exec`` reads its key from, found in codex's
configuration as codex merges it (codex-rs ``config_loader`` `load_config_layers_state`,
`load_project_layers`, `ProjectTrustContext`; docs "Config basics" and "Advanced configuration"):
``/etc/codex/config.toml``, CODEX_HOME's ``config.toml``, the ``<NAME>.config.toml`` of ``--profile NAME``
(codex 0.134 and later: no ``[profiles.NAME]`` table nor ``profile`` selector), the ``.codex/config.toml``
files of a trusted project from its root down to the working directory, then the ``-c`` overrides. Only
the project's own ``.codex`` was never read, nor the command line (`runners.authfix`)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.runners import configfiles
from agentmake.runners.classify import classify_failure
from agentmake.runners.parse import Parsed
from agentmake.runners.presets import auth_fix

pytestmark = pytest.mark.skipif(sys.version_info < (3, 11), reason="3.10 reads no [model_providers.X]")

SECRET = "sk-do-not-print-me"
READ = "OPENAI_API_KEY is set, yet refused (the model_provider of codex's configuration reads it)"
UNREAD = "`codex exec` does not read OPENAI_API_KEY (set)"
PROXY = '[model_providers.proxy]\nbase_url = "https://proxy.example/v1"\nenv_key = "OPENAI_API_KEY"\n'


@pytest.fixture(autouse=True)
def _no_system_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(configfiles, "CODEX_SYSTEM", tmp_path / "no-system.toml")


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _project(
    tmp_path: Path, *, trust: str | None = "trusted", home_text: str = ""
) -> tuple[Path, dict[str, str]]:
    """A git project and a CODEX_HOME whose config.toml gives it `trust` (None: no entry)."""
    root = tmp_path / "proj"
    (root / ".git").mkdir(parents=True)
    entry = f'[projects."{root.resolve()}"]\ntrust_level = "{trust}"\n' if trust else ""
    _write(tmp_path / "codex-home" / "config.toml", home_text + entry)
    return root, {"CODEX_HOME": str(tmp_path / "codex-home"), "OPENAI_API_KEY": SECRET}


def test_a_trusted_project_s_codex_config_chooses_the_provider(tmp_path: Path) -> None:
    root, env = _project(tmp_path)
    _write(root / ".codex" / "config.toml", 'model_provider = "proxy"\n' + PROXY)
    said = auth_fix("codex", env, root)
    assert said.startswith(READ), said
    assert SECRET not in said, said
    assert auth_fix("codex", env).startswith(UNREAD)  # (no project known: its file unread)


@pytest.mark.parametrize("trust", [None, "untrusted"])
def test_an_untrusted_project_s_codex_config_is_not_read(tmp_path: Path, trust: str | None) -> None:
    root, env = _project(tmp_path, trust=trust)
    _write(root / ".codex" / "config.toml", 'model_provider = "proxy"\n' + PROXY)
    assert auth_fix("codex", env, root).startswith(UNREAD)


def test_the_file_nearest_the_working_directory_wins(tmp_path: Path) -> None:
    root, env = _project(tmp_path, home_text=PROXY)
    _write(root / ".codex" / "config.toml", 'model_provider = "proxy"\n')
    _write(root / "sub" / ".codex" / "config.toml", 'model_provider = "openai"\n')
    assert auth_fix("codex", env, root / "sub").startswith(UNREAD)  # (sub's: codex's own provider)
    assert auth_fix("codex", env, root).startswith(READ)  # (the root's, trusted for the root's key)
    (root / "sub" / ".codex" / "config.toml").unlink()
    assert auth_fix("codex", env, root / "sub").startswith(READ)  # (the root's, read from sub too)


def test_command_line_overrides_win_over_the_files(tmp_path: Path) -> None:
    root, env = _project(tmp_path, home_text=PROXY)
    _write(root / ".codex" / "config.toml", 'model_provider = "openai"\n')
    argv = ["codex", "exec", "--json", "-c", 'model_provider="proxy"', "-"]
    assert auth_fix("codex", env, root, argv).startswith(READ)
    assert auth_fix("codex", env, root).startswith(UNREAD)
    argv = [
        "codex",
        "exec",
        "-c",
        "model_providers.proxy.env_key='OTHER_KEY'",
        "--config=model_provider=proxy",
    ]
    said = auth_fix("codex", env, root, argv)  # (the proxy reads OTHER_KEY, unset)
    assert said == (
        "codex's configuration chooses the model_provider proxy, which reads OTHER_KEY: set it, and name "
        "OTHER_KEY in the runner's `env`"
    ), said
    said = auth_fix("codex", {**env, "OTHER_KEY": SECRET}, root, argv)
    assert said.startswith("OTHER_KEY is set, yet refused (the model_provider"), said


def test_a_profile_is_its_own_file_in_codex_home(tmp_path: Path) -> None:
    root, env = _project(tmp_path, home_text=PROXY)
    _write(tmp_path / "codex-home" / "work.config.toml", 'model_provider = "proxy"\n')
    assert auth_fix("codex", env, root, ["codex", "exec", "--profile", "work"]).startswith(READ)
    assert auth_fix("codex", env, root, ["codex", "exec", "-p", "work"]).startswith(READ)
    assert auth_fix("codex", env, root).startswith(UNREAD)  # (no --profile: no profile file)
    _write(root / ".codex" / "config.toml", 'model_provider = "openai"\n')  # (the project's wins over it)
    assert auth_fix("codex", env, root, ["codex", "exec", "-p", "work"]).startswith(UNREAD)


def test_legacy_profile_tables_are_no_longer_read(tmp_path: Path) -> None:
    text = 'model_provider = "openai"\nprofile = "p"\n' + PROXY + '\n[profiles.p]\nmodel_provider = "proxy"\n'
    _write(tmp_path / "codex-home" / "config.toml", text)
    env = {"CODEX_HOME": str(tmp_path / "codex-home"), "OPENAI_API_KEY": SECRET}
    assert auth_fix("codex", env).startswith(UNREAD)
    assert auth_fix("codex", env, argv=["codex", "exec", "-p", "p"]).startswith(UNREAD)


def test_the_system_config_is_the_lowest_layer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    system = _write(tmp_path / "system.toml", 'model_provider = "proxy"\n' + PROXY)
    monkeypatch.setattr(configfiles, "CODEX_SYSTEM", system)
    root, env = _project(tmp_path)
    assert auth_fix("codex", env, root).startswith(READ)
    _write(tmp_path / "codex-home" / "config.toml", 'model_provider = "openai"\n')
    assert auth_fix("codex", env, root).startswith(UNREAD)


def test_the_verdict_reads_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, env = _project(tmp_path, home_text=PROXY)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CODEX_API_KEY", raising=False)
    text = "ERROR: exceeded retry limit, last status: 401 Unauthorized"
    argv = ["codex", "exec", "-c", "model_provider=proxy", "-"]
    verdict = classify_failure("codex", 1, Parsed(), "", text, root, argv)
    assert READ in verdict.message, verdict.message


def test_a_build_names_the_key_its_profile_s_provider_reads(tmp_path: Path, fake_agents: FakeAgents) -> None:
    _write(fake_agents.home / ".codex" / "config.toml", PROXY)
    _write(fake_agents.home / ".codex" / "work.config.toml", 'model_provider = "proxy"\n')
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write(
        "Agentfile",
        'runner codex:\n    command = "codex exec --json --skip-git-repo-check -p work"\n\n'
        'agent a:\n    runner = codex\n    outputs = a.md\n    prompt = "FAKE: fail=401"\n',
    )
    run = e2e.am()
    assert run.code == 1, run
    assert READ in run.err, run


@pytest.mark.parametrize("flag", ["-p work", "-pwork", "--profile=work"])
def test_codex_is_lent_the_profile_file_its_command_chooses(
    tmp_path: Path, fake_agents: FakeAgents, flag: str
) -> None:
    """`-p work` layers `$CODEX_HOME/work.config.toml` over config.toml; agentmake runs codex with a job's own
    CODEX_HOME, so that file is lent there as config.toml is: else codex, finding none, silently goes on
    with config.toml alone (openai/codex#40279), another model or provider than the user chose, paid for.
    `-pwork` too, which codex's parser (clap) takes as `-p work` (review21: it was not lent)."""
    _write(fake_agents.home / ".codex" / "config.toml", 'model = "base"\n')
    _write(fake_agents.home / ".codex" / "work.config.toml", 'model = "from-the-profile"\n')
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write(
        "Agentfile",
        f'runner codex:\n    command = "codex exec --json --skip-git-repo-check {flag}"\n\n'
        'agent a:\n    runner = codex\n    outputs = a.md\n    prompt = "FAKE: show-profile answer=hi"\n',
    )
    run = e2e.am()
    assert run.code == 0, run
    assert 'PROFILE=model = "from-the-profile"' in e2e.read("a.md"), e2e.read("a.md")
    assert not list((e2e.root / ".agentmake").rglob("work.config.toml"))  # (gone with the job directory)


def test_a_key_s_value_put_as_env_key_is_never_said(tmp_path: Path) -> None:
    """`env_key = "sk-..."` (the key itself where its variable's name goes, a common slip): the message said
    "..., which reads sk-...: set it, and name sk-... in the runner's `env`", the secret in the terminal,
    the log and the state; it says what is wrong instead, naming no value."""
    root, env = _project(
        tmp_path, home_text=f'model_provider = "proxy"\n[model_providers.proxy]\nenv_key = "{SECRET}"\n'
    )
    said = auth_fix("codex", env, root)
    assert SECRET not in said, said
    assert said.startswith("the env_key of codex's model_provider proxy is no variable name"), said


def test_the_model_of_the_profile_file_is_in_the_key(tmp_path: Path, fake_agents: FakeAgents) -> None:
    """The model the profile file names is the one codex asks (it is lent to codex): changed there, the
    task is asked again, as when config.toml's changes; before, the key held config.toml's model alone and
    the answer of the model no longer chosen was kept."""
    _write(fake_agents.home / ".codex" / "config.toml", 'model = "base"\n')
    profile = _write(fake_agents.home / ".codex" / "work.config.toml", 'model = "first"\n')
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write(
        "Agentfile",
        'runner codex:\n    command = "codex exec --json --skip-git-repo-check -p work"\n\n'
        'agent a:\n    runner = codex\n    outputs = a.md\n    prompt = "FAKE: answer=hi"\n',
    )
    assert "1 ran" in e2e.am().out
    assert "1 up to date" in e2e.am().out
    profile.write_text('model = "second"\n')
    run = e2e.am()
    assert run.code == 0 and "1 ran" in run.out, run
