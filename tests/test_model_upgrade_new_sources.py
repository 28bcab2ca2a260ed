"""Upgrading agentmake to one that reads llm's aliases, gemini's ``.env`` and system settings (and claude's
managed settings) pays for no call again (`plan.upgrade._new_model_upgraded`). The agentmake before keyed
an alias as written (``model = fast``) and a gemini task's model as its user settings named it, while the
CLI asked the alias's model, the ``.env``'s: the first build after the upgrade saw "model changed fast →
gpt-4o-mini" and ran every such task again, for the very call it had made. Now the record switches to the
key with the model, and a later change of the alias or the ``.env`` reruns as before. A record that keyed
the Agentfile's own model is not taken over so. Real builds with the fake CLIs, HOME a temporary
directory; "before" is this agentmake with the new sources off and the memo of the agentmake before."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E


class BeforeE2E(E2E):
    """This agentmake as it keyed models before it read llm's aliases, gemini's .env and system files,
    claude's env-block endpoints."""

    def argv(self, args: tuple[str, ...]) -> list[str]:
        old = (
            "import runpy, agentmake.runners.modelconfig as m, agentmake.plan.keyparts as k; "
            "import agentmake.plan.stamp as s; "
            "m.ALIASES = 'no-aliases.json'; m._dotenv_found = lambda *a, **kw: None; "
            "m.OVER.clear(); m.UNDER.clear(); m._env_endpoints = lambda *a: {}; k.CFGMODEL = 1; "
            "k.FAST_VERSION = 1; s.DECIDER_VERSIONS = (2, 1, 1, 2); "
            "runpy.run_module('agentmake', run_name='__main__', alter_sys=True)"
        )
        return [*super().argv(())[:1], "-c", old, *args]


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch) -> E2E:
    for name in ("LLM_MODEL", "LLM_USER_PATH", "GEMINI_MODEL", "GEMINI_CLI_SYSTEM_SETTINGS_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GEMINI_CLI_SYSTEM_DEFAULTS_PATH", str(tmp_path / "no-defaults.json"))
    project = E2E(tmp_path / "proj", fake_agents)
    project.write("src.txt", "hello\n")
    return project


def _agentfile(e2e: E2E, runner: str, model: str = "") -> None:
    e2e.write(
        "Agentfile",
        f"""\
        agent sum:
            runner = {runner}
            {model}
            inputs = src.txt
            outputs = sum.md
            prompt = "FAKE: label=sum\\nSum up {{{{ read(input) }}}}"
        """,
    )


def _parts(e2e: E2E) -> dict[str, Any]:
    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake" / "state.db")) as conn:
        (parts,) = conn.execute("SELECT parts FROM tasks WHERE task_id = 'sum'").fetchone()
    value: dict[str, Any] = json.loads(parts)
    return value


@pytest.mark.skipif(sys.platform == "darwin", reason="llm's user directory is elsewhere on macOS")
def test_an_llm_alias_keyed_as_written_is_not_paid_for_again(e2e: E2E) -> None:
    llm_dir = e2e.fake.home / ".config" / "io.datasette.llm"
    llm_dir.mkdir(parents=True)
    (llm_dir / "aliases.json").write_text('{"fast": "gpt-4o-mini"}')
    _agentfile(e2e, "llm", "model = fast")
    assert BeforeE2E(e2e.root, e2e.fake).am().code == 0
    assert _parts(e2e)["runner"]["model"] == "fast"
    explained = e2e.am("explain", "sum")
    assert "sum.md [sum] is up to date" in explained.text, explained
    run = e2e.am()
    assert run.summary.up_to_date == 1 and run.summary.ran == 0, run
    assert _parts(e2e)["runner"]["model"] == "gpt-4o-mini"  # (the record switched to the key with it)
    assert e2e.calls("sum") == ["sum"]
    (llm_dir / "aliases.json").write_text('{"fast": "gpt-4o"}')
    assert "gpt-4o-mini → gpt-4o" in e2e.am("explain", "sum").text
    assert e2e.am().summary.ran == 1
    assert e2e.calls("sum") == ["sum", "sum"]


def test_a_gemini_model_from_its_env_file_is_not_paid_for_again(e2e: E2E) -> None:
    settings = e2e.fake.home / ".gemini" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text('{"model": {"name": "gemini-user"}}')
    e2e.write(".env", "GEMINI_API_KEY=k\nGEMINI_MODEL=gemini-2.5-pro\n")
    _agentfile(e2e, "gemini")
    assert BeforeE2E(e2e.root, e2e.fake).am().code == 0
    assert _parts(e2e)["runner"]["model"] == "gemini-user"
    run = e2e.am()
    assert run.summary.up_to_date == 1 and run.summary.ran == 0, run
    assert _parts(e2e)["runner"]["model"] == "gemini-2.5-pro"
    e2e.write(".env", "GEMINI_API_KEY=k\nGEMINI_MODEL=gemini-3\n")
    explained = e2e.am("explain", "sum")
    assert "gemini-2.5-pro → gemini-3" in explained.text, explained
    assert e2e.am().summary.ran == 1
    assert e2e.calls("sum") == ["sum", "sum"]


def test_the_agentfiles_own_model_is_not_taken_over(e2e: E2E) -> None:
    """Before: `model = gemini-a` in the Agentfile. Now none, and the .env names another: another call."""
    e2e.write(".env", "GEMINI_API_KEY=k\nGEMINI_MODEL=gemini-2.5-pro\n")
    _agentfile(e2e, "gemini", "model = gemini-a")
    assert BeforeE2E(e2e.root, e2e.fake).am().code == 0
    _agentfile(e2e, "gemini")
    run = e2e.am()
    assert run.summary.ran == 1, run
    assert e2e.calls("sum") == ["sum", "sum"]


def test_a_file_that_names_a_model_after_the_upgrade_reruns(e2e: E2E) -> None:
    """The build after the upgrade changed no key (no .env then): its record is written as this agentmake
    keys it, so a .env that names a model later is a change of model, not a record to take over."""
    _agentfile(e2e, "gemini")
    e2e.write(".env", "GEMINI_API_KEY=k\n")
    assert BeforeE2E(e2e.root, e2e.fake).am().code == 0
    run = e2e.am()
    assert run.summary.up_to_date == 1 and run.summary.ran == 0, run
    from agentmake.plan.keyparts import CFGMODEL

    assert _parts(e2e)["_cfgmodel"] == CFGMODEL
    e2e.write(".env", "GEMINI_API_KEY=k\nGEMINI_MODEL=gemini-3\n")
    assert "(default) → gemini-3" in e2e.am("explain", "sum").text
    assert e2e.am().summary.ran == 1
    assert e2e.calls("sum") == ["sum", "sum"]


def test_an_endpoint_claudes_settings_apply_is_not_paid_for_again(
    e2e: E2E, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    settings = e2e.fake.home / ".claude" / "settings.json"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text('{"env": {"ANTHROPIC_BASE_URL": "https://proxy.example/"}}')
    _agentfile(e2e, "claude")
    assert BeforeE2E(e2e.root, e2e.fake).am().code == 0
    assert "endpoint" not in _parts(e2e)["runner"]
    run = e2e.am()
    assert run.summary.up_to_date == 1 and run.summary.ran == 0, run
    assert _parts(e2e)["runner"]["endpoint"]["ANTHROPIC_BASE_URL"][0] == "proxy.example"
    settings.write_text('{"env": {"ANTHROPIC_BASE_URL": "https://other.example/"}}')
    assert "proxy.example → other.example" in e2e.am("explain", "sum").text
    assert e2e.am().summary.ran == 1
    assert e2e.calls("sum") == ["sum", "sum"]
