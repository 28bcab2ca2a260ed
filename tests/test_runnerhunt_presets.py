"""The presets against the real CLIs' behaviour (shared/RUNNERS.md, and the tools' sources), through the
faithful fake: failures a real CLI reports with exit 0, and presets overridden in an Agentfile."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import FakeAgents, RunnerProject


def run(fake: FakeAgents, argv: list[str], stdin: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(fake.bin / argv[0]), *argv[1:]], input=stdin, capture_output=True, text=True, cwd=cwd,
        env=fake.env(), timeout=60,
    )  # fmt: skip


# -- ollama: a cloud model without a sign-in ---------------------------------------------------------------


def test_fake_ollama_tells_a_cloud_401_on_stdout_and_exits_0(fake_agents: FakeAgents, tmp_path: Path) -> None:
    # ollama's RunHandler/generate: an AuthorizationError 401 is `fmt.Printf`ed (stdout), then `return nil`
    r = run(fake_agents, ["ollama", "run", "gpt-oss:120b-cloud"], "hi\nFAKE: fail=401", tmp_path)
    assert r.returncode == 0
    assert r.stdout.startswith("You need to be signed in to Ollama to run Cloud models.\n\n")
    assert "To sign in, navigate to:\n    https://ollama.com/connect?" in r.stdout


def test_an_ollama_sign_in_request_is_no_answer_but_a_fatal_auth_failure(project: RunnerProject) -> None:
    task = project.agent("a", runner="ollama", model="gpt-oss:120b-cloud")
    res = project.run(task, "q\nFAKE: fail=noauth")
    assert res.exit_code == 0
    assert (res.outcome, res.error_type) == ("fatal", "auth"), res.message
    assert "You need to be signed in to Ollama" in res.message and "ollama signin" in res.message
    assert res.staged == {}
    assert not (project.root / "out.md").exists()
