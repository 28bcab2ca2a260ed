"""The model a codex runner's key holds (`modelconfig.config_reading`), and whether codex's settings let it
write (`writesettings.codex_writes`), are read from codex's configuration as ``codex exec`` merges it, the
view its login's message reads (`authsettings.codex_layers`, test_auth28_codex_provider): the system file,
CODEX_HOME's ``config.toml``, the ``<NAME>.config.toml`` of ``--profile NAME``, the trusted project's
``.codex/config.toml`` files, the ``-c`` overrides; no legacy ``profile`` selector nor ``[profiles.NAME]``
table (codex 0.134 and later: openai/codex#24051, #24076). Before, only ``config.toml`` was read, with its
legacy profiles: the key held a model codex does not use, and a change of the one it uses reran nothing.
The build stamp reads those files too (`configfiles.codex_files`), so such a change is no stamp no-op."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E
from test_auth28_codex_provider import _write

from agentmake.model import RunnerSpec
from agentmake.runners import configfiles
from agentmake.runners.authsettings import codex_provider_key
from agentmake.runners.configstamp import stamp_digests
from agentmake.runners.modelconfig import ConfigReading, config_reading
from agentmake.runners.presets import PRESETS

pytestmark = pytest.mark.skipif(sys.version_info < (3, 11), reason="3.10 reads no TOML tables")

CODEX = PRESETS["codex"].command


@pytest.fixture(autouse=True)
def _no_system_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(configfiles, "CODEX_SYSTEM", tmp_path / "no-system.toml")


def _project(
    tmp_path: Path, trust: str | None = "trusted", user: str = 'model = "o3"\n'
) -> tuple[Path, dict]:
    """A git project, and a CODEX_HOME whose config.toml says `user` and gives the project `trust`."""
    root = tmp_path / "proj"
    (root / ".git").mkdir(parents=True, exist_ok=True)
    entry = f'\n[projects."{root.resolve()}"]\ntrust_level = "{trust}"\n' if trust else ""
    _write(tmp_path / "codex-home" / "config.toml", user + entry)
    return root, {"HOME": str(tmp_path / "home"), "CODEX_HOME": str(tmp_path / "codex-home")}


def _reading(env: dict, root: Path | None, *flags: str) -> ConfigReading:
    runner = RunnerSpec(name="c", command=(*CODEX, *flags), base="codex")
    return config_reading("codex", runner, env, root)


def _model(env: dict, root: Path | None, *flags: str) -> tuple[str, str, str] | None:
    return _reading(env, root, *flags).found


def test_the_profile_file_of_the_flag_is_read(tmp_path: Path) -> None:
    root, env = _project(tmp_path, trust=None, user='model = "o3"\nsandbox_mode = "read-only"\n')
    _write(
        tmp_path / "codex-home" / "work.config.toml", 'model = "gpt-5"\nsandbox_mode = "workspace-write"\n'
    )
    assert _model(env, root) == ("o3", "codex", str(tmp_path / "codex-home" / "config.toml"))
    work = ("gpt-5", "codex", str(tmp_path / "codex-home" / "work.config.toml"))
    for flags in (("-p", "work"), ("--profile", "work"), ("--profile=work",)):
        assert _model(env, root, *flags) == work
        assert _reading(env, root, *flags).writes is True
    assert _reading(env, root).writes is False
    assert _model(env, root, "-p", "../work") == _model(env, root)  # (no file name: no profile)


def test_a_trusted_project_s_codex_config_is_read(tmp_path: Path) -> None:
    root, env = _project(tmp_path, user='model = "o3"\nsandbox_mode = "workspace-write"\n')
    _write(root / ".codex" / "config.toml", 'model = "o4-mini"\nsandbox_mode = "read-only"\n')
    assert _model(env, root) == ("o4-mini", "codex", ".codex/config.toml")
    assert _reading(env, root).newer == (".codex/config.toml",)  # (agentmakes of `_cfgmodel` 1 to 3 did not)
    assert _reading(env, root).writes is False  # (its read-only over the user's workspace-write)
    sub = root / "sub"
    _write(sub / ".codex" / "config.toml", 'model = "gpt-5"\n')
    assert _model(env, sub) == ("gpt-5", "codex", ".codex/config.toml")  # (the nearest wins)
    (sub / ".codex" / "config.toml").unlink()
    assert _model(env, sub) == ("o4-mini", "codex", str(root.resolve() / ".codex" / "config.toml"))


@pytest.mark.parametrize("trust", [None, "untrusted"])
def test_an_untrusted_project_s_codex_config_is_not_read(tmp_path: Path, trust: str | None) -> None:
    root, env = _project(tmp_path, trust=trust)
    _write(root / ".codex" / "config.toml", 'model = "o4-mini"\nsandbox_mode = "workspace-write"\n')
    assert _model(env, root) == ("o3", "codex", str(tmp_path / "codex-home" / "config.toml"))
    if trust is None:  # ("untrusted" makes codex workspace-write by itself: `codex_trust`)
        assert _reading(env, root).writes is False


def test_command_line_overrides_win_and_a_model_given_there_is_the_command_s(tmp_path: Path) -> None:
    root, env = _project(tmp_path, trust=None)
    assert _reading(env, root, "-c", "sandbox_mode=workspace-write").writes is True
    assert (
        _reading(env, root, "-c", "sandbox_mode=workspace-write", "-c", "sandbox_mode=read-only").writes
        is False
    )
    assert _reading(env, root, "-c", f'projects."{root.resolve()}".trust_level="trusted"').writes is True
    # a model the command gives is keyed as the command: the files' model is not the one codex uses
    for flags in (
        ("-c", "model=gpt-5"),
        ("--config=model='gpt-5'",),
        ("-m", "gpt-5"),
        ("--model=gpt-5",),
        ("-mgpt-5",),
        ("-m=gpt-5",),
    ):
        assert _model(env, root, *flags) is None, flags
    assert _model(env, root, "-c", "model_provider=x") == _model(env, root)


def test_legacy_profiles_are_not_read(tmp_path: Path) -> None:
    legacy = 'model = "o3"\nprofile = "fast"\n[profiles.fast]\nmodel = "o4-mini"\n'
    legacy += 'sandbox_mode = "workspace-write"\n'
    root, env = _project(tmp_path, trust=None, user=legacy + '[profiles.deep]\nmodel = "gpt-5"\n')
    assert _model(env, root) == ("o3", "codex", str(tmp_path / "codex-home" / "config.toml"))
    assert _model(env, root, "--profile", "deep")[0] == "o3"  # (no deep.config.toml)
    assert _model(env, root, "-c", "profile=deep")[0] == "o3"
    assert _reading(env, root).writes is False
    assert _reading(env, root, "-c", "profile=fast").writes is False


def test_the_model_the_sandbox_and_the_login_read_the_same_layers(tmp_path: Path) -> None:
    """One project file sets all three: each reads it, and none when it is not trusted."""
    user = 'model = "o3"\nsandbox_mode = "read-only"\n[model_providers.proxy]\nenv_key = "PROXY_KEY"\n'
    root, env = _project(tmp_path, user=user)
    _write(
        root / ".codex" / "config.toml",
        'model = "o4"\nsandbox_mode = "workspace-write"\nmodel_provider = "proxy"\n',
    )
    said = (_model(env, root), _reading(env, root).writes, codex_provider_key(env, root, CODEX))
    assert said == (("o4", "codex", ".codex/config.toml"), True, ("proxy", "PROXY_KEY"))
    _project(tmp_path, trust=None, user=user)
    said = (_model(env, root), _reading(env, root).writes, codex_provider_key(env, root, CODEX))
    assert said == (("o3", "codex", str(tmp_path / "codex-home" / "config.toml")), False, None)


def test_the_stamp_reads_the_model_of_every_layer_and_nothing_else(tmp_path: Path) -> None:
    root, env = _project(tmp_path)
    before = stamp_digests(env, root)
    project = _write(root / ".codex" / "config.toml", 'model = "o4"\n')
    with_project = stamp_digests(env, root)
    assert with_project != before
    _write(project, 'model = "o4"\napproval_policy = "never"\n# a comment\n')
    assert stamp_digests(env, root) == with_project  # (nothing a key reads)
    _write(project, 'model = "o5"\n')
    assert stamp_digests(env, root) != with_project
    with_o5 = stamp_digests(env, root)
    _write(tmp_path / "codex-home" / "work.config.toml", 'model = "gpt-5"\n')
    assert stamp_digests(env, root) != with_o5


# -- end to end: the fake codex, the real agentmake ----------------------------------------------------------


AGENTFILE = """\
runner work:
    base = codex
    command = "codex exec --json --skip-git-repo-check{flags}"
agent sum:
    runner = work
    inputs = src.txt
    outputs = sum.md
    prompt = "FAKE: label=sum\\nSum up {{{{ read(input) }}}}"
"""


def _e2e(tmp_path: Path, fake_agents: FakeAgents, flags: str = "") -> E2E:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE.format(flags=flags), dedent=False)
    e2e.write("src.txt", "hello\n")
    trust = f'model = "o3"\n[projects."{e2e.root.resolve()}"]\ntrust_level = "trusted"\n'
    _write(fake_agents.home / ".codex" / "config.toml", trust)
    return e2e


def _builds(e2e: E2E) -> int:
    """Build twice (the second is the build stamp's, when nothing changed): the calls the first made."""
    calls = len(e2e.calls("sum"))
    run = e2e.am()
    assert run.code == 0, run
    again = e2e.am()
    assert again.summary.up_to_date == 1 and again.summary.ran == 0, again
    return len(e2e.calls("sum")) - calls


def test_a_change_of_the_project_s_codex_model_reruns_and_nothing_else_does(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e2e = _e2e(tmp_path, fake_agents)
    assert _builds(e2e) == 1
    project = e2e.write(".codex/config.toml", 'model = "o4"\n')
    explained = e2e.am("explain", "sum")
    assert "the default model codex takes from .codex/config.toml changed: o3 → o4" in explained.text, (
        explained
    )
    assert _builds(e2e) == 1  # (before: none, the key held config.toml's o3)
    _write(project, 'model = "o4"\napproval_policy = "never"\n[mcp_servers.x]\nmodel = "not this"\n')
    assert _builds(e2e) == 0  # (nothing the key reads changed)
    _write(project, 'model = "o5"\n')
    assert _builds(e2e) == 1
    project.unlink()  # (back to o3: the first answer, no call)
    run = e2e.am()
    assert run.summary.cached + run.summary.up_to_date == 1 and run.summary.ran == 0, run
    assert len(e2e.calls("sum")) == 3


def test_a_change_of_the_profile_file_s_model_reruns(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e2e = _e2e(tmp_path, fake_agents, " --profile work")
    profile = _write(fake_agents.home / ".codex" / "work.config.toml", 'model = "gpt-5"\n')
    assert _builds(e2e) == 1
    _write(profile, 'model = "gpt-5"\nmodel_reasoning_effort = "high"\n')
    assert _builds(e2e) == 0
    _write(profile, 'model = "gpt-5.1"\n')
    assert _builds(e2e) == 1  # (before: none, the key held config.toml's o3)
