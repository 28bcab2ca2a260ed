"""The fake codex logs in as the real one does with a custom ``model_provider`` (``[model_providers.NAME]
env_key = "VAR"`` in its configuration): by the variable ``env_key`` names alone, failing with "Missing
environment variable" without it, whatever CODEX_API_KEY or auth.json say (`fake_agent.codex_provider_key`).
agentmake passes codex that variable when the runner's ``env`` names it, and says to name it when not
(`authfix`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E
from test_auth28_codex_provider import _write

pytestmark = pytest.mark.skipif(sys.version_info < (3, 11), reason="3.10 reads no TOML tables")

PROVIDER = (
    'model_provider = "proxy"\n[model_providers.proxy]\nbase_url = "https://proxy.example/v1"\n'
    'env_key = "PROXY_KEY"\n'
)
AGENTFILE = """\
runner work:
    base = codex
    command = "codex exec --json --skip-git-repo-check"
    {env}
agent sum:
    runner = work
    outputs = sum.md
    prompt = "FAKE: label=sum\\nhi"
"""


def _fake(fake_agents: FakeAgents, env: dict[str, str], *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(fake_agents.bin / "codex"), "exec", "--skip-git-repo-check", *flags, "FAKE: label=x\nhi"],
        env=fake_agents.env(env), capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_the_fake_reads_the_provider_s_variable_alone(tmp_path: Path, fake_agents: FakeAgents) -> None:
    home = tmp_path / "codex-home"
    _write(home / "config.toml", PROVIDER)
    env = {"CODEX_HOME": str(home), "CODEX_API_KEY": "k"}
    refused = _fake(fake_agents, env)
    assert refused.returncode == 1 and "Missing environment variable: `PROXY_KEY`." in refused.stderr
    assert _fake(fake_agents, {**env, "PROXY_KEY": "p"}).returncode == 0
    assert _fake(fake_agents, env, "-c", "model_provider=openai").returncode == 0  # (a built-in one)
    other = _fake(fake_agents, {**env, "PROXY_KEY": "p"}, "-c", "model_providers.proxy.env_key=OTHER")
    assert "`OTHER`" in other.stderr


@pytest.mark.parametrize("named", [True, False])
def test_agentmake_passes_the_variable_the_runner_names(
    tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch, named: bool
) -> None:
    monkeypatch.setenv("PROXY_KEY", "proxy-secret")
    _write(fake_agents.home / ".codex" / "config.toml", PROVIDER)
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE.format(env="env = PROXY_KEY" if named else ""), dedent=False)
    run = e2e.am()
    if named:
        assert run.code == 0 and run.summary.ran == 1, run
    else:
        assert run.code != 0, run
        assert "name PROXY_KEY in the runner's `env`" in run.text, run
    assert "proxy-secret" not in run.text
