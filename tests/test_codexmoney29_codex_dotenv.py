"""codex reads no project ``.env`` (only ``$CODEX_HOME/.env``, and no ``CODEX_`` variable from it: codex-rs
arg0 `load_dotenv`), so a CODEX_API_KEY there is not its login; agentmake passes none on either. `check`
said nothing of it: the first build failed at login. Now it says the key is not read and how codex takes one
(`codex_warnings.codex_dotenv_keys`), never its value."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """\
agent sum:
    runner = {runner}
    outputs = sum.md
    prompt = "FAKE: label=sum\\nhi"
"""
SECRET = "sk-proj-hunter2-codex"


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    project = E2E(tmp_path / "proj", fake_agents)
    project.write(".env", f"CODEX_API_KEY={SECRET}\nOTHER=1\n")
    return project


def test_check_says_a_codex_key_in_dotenv_is_not_read(e2e: E2E) -> None:
    e2e.write("Agentfile", AGENTFILE.format(runner="codex"), dedent=False)
    checked = e2e.am("check")
    said = ".env sets CODEX_API_KEY, which codex never reads (it reads no project .env"
    assert said in checked.text, checked
    assert "export it in the environment agentmake runs in, or run `codex login` once" in checked.text
    assert SECRET not in checked.text


def test_nothing_is_said_for_another_cli(e2e: E2E) -> None:
    e2e.write("Agentfile", AGENTFILE.format(runner="claude"), dedent=False)
    checked = e2e.am("check")
    assert checked.code == 0 and ".env" not in checked.text, checked
