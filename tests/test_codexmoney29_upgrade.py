"""Upgrading agentmake pays for no codex call again whose model came from a file codex read but the agentmake
before did not key (`plan.upgrade._new_model_upgraded`, `_codex_unread`): codex's system file and a trusted
project's ``.codex/config.toml``. That agentmake ("_cfgmodel" 3, `authsettings.codex_layers` not yet read)
keyed config.toml's model while codex used the merged one; the first build after the upgrade saw "o3 → o4"
and ran the task again for the very call it had made. Now the record switches to the key with the model,
and a later change of it reruns. A model from a ``--profile`` file is another call (codex was not lent that
file then), as is a change after a record keyed by this reading. Claude's and gemini's records of
"_cfgmodel" 3 already keyed their files: a change of them still reruns. Real builds with the fake CLIs;
"before" is this agentmake with codex's reading of then (config.toml alone) and the versions of then."""

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
from test_auth28_codex_provider import _write
from test_codex28_merged_config import _e2e

from agentmake.plan.keyparts import CFGMODEL

pytestmark = pytest.mark.skipif(sys.version_info < (3, 11), reason="3.10 reads no TOML tables")

SYSTEM_ENV = "AGENTMAKE_TEST_CODEX_SYSTEM"  # (where codex's system file is, for both agentmakes)
_SYSTEM = (
    "import os, runpy, pathlib, agentmake.runners.configfiles as cf; "
    f"cf.CODEX_SYSTEM = pathlib.Path(os.environ['{SYSTEM_ENV}']); "
)
_OLD = (
    "import agentmake.runners.modelconfig as m, agentmake.plan.keyparts as k, agentmake.plan.stamp as s; "
    "layers = m.codex_layers; "
    "m.codex_layers = lambda e, r=None, a=(): "
    "[x for x in layers(e, r, a) if x.path == cf.codex_dir(e) / 'config.toml']; "
)
_VERSIONS = "k.CFGMODEL = 3; k.FAST_VERSION = 3; s.DECIDER_VERSIONS = (2, 3, 1, 2); "
_RUN = "runpy.run_module('agentmake', run_name='__main__', alter_sys=True)"


class Now(E2E):
    """This agentmake, codex's system file at `SYSTEM_ENV`."""

    prelude = _SYSTEM

    def argv(self, args: tuple[str, ...]) -> list[str]:
        return [*super().argv(())[:1], "-c", self.prelude + _RUN, *args]


class Before(Now):
    """The agentmake before: codex's config.toml alone read for its model ("_cfgmodel" 3)."""

    prelude = _SYSTEM + _OLD + _VERSIONS


class KeyedSince(Now):
    """The agentmake before this one (its records "_cfgmodel" 3), with codex's reading of now."""

    prelude = _SYSTEM + "import agentmake.plan.keyparts as k, agentmake.plan.stamp as s; " + _VERSIONS


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch) -> Now:
    monkeypatch.setenv(SYSTEM_ENV, str(tmp_path / "etc-codex" / "config.toml"))
    project = _e2e(tmp_path, fake_agents)  # (config.toml: o3, the project trusted)
    return Now(project.root, project.fake)


def _parts(e2e: E2E) -> dict[str, Any]:
    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake" / "state.db")) as conn:
        (parts,) = conn.execute("SELECT parts FROM tasks WHERE task_id = 'sum'").fetchone()
    value: dict[str, Any] = json.loads(parts)
    return value


def _upgraded_without_a_call(e2e: Now, model: str) -> None:
    assert Before(e2e.root, e2e.fake).am().summary.ran == 1
    assert _parts(e2e)["_cfgmodel"] == 3
    explained = e2e.am("explain", "sum")
    assert "sum.md [sum] is up to date" in explained.text, explained
    run = e2e.am()
    assert run.code == 0 and run.summary.ran == 0 and run.summary.up_to_date == 1, run
    parts = _parts(e2e)
    assert parts["runner"]["model"] == model and parts["_cfgmodel"] == CFGMODEL  # (switched to the new key)
    assert e2e.am().summary.up_to_date == 1
    assert e2e.calls("sum") == ["sum"]


def test_a_trusted_project_s_model_is_not_paid_for_again(e2e: Now) -> None:
    project = e2e.write(".codex/config.toml", 'model = "o4"\n')
    _upgraded_without_a_call(e2e, "o4")
    _write(project, 'model = "o5"\n')  # (a change since the upgrade: another call)
    assert "o4 → o5" in e2e.am("explain", "sum").text
    assert e2e.am().summary.ran == 1
    assert e2e.calls("sum") == ["sum", "sum"]


def test_the_system_file_s_model_is_not_paid_for_again(e2e: Now, tmp_path: Path) -> None:
    _write(e2e.fake.home / ".codex" / "config.toml", "")  # (no model: the system file's is codex's)
    system = _write(tmp_path / "etc-codex" / "config.toml", 'model = "o4"\n')
    _upgraded_without_a_call(e2e, "o4")
    _write(system, 'model = "o5"\n')
    assert e2e.am().summary.ran == 1


def test_a_model_the_user_file_names_is_kept_as_it_was(e2e: Now) -> None:
    """Nothing codex read beyond config.toml names a model: the same key; the record is marked anew."""
    assert Before(e2e.root, e2e.fake).am().summary.ran == 1
    run = e2e.am()
    assert run.summary.ran == 0 and run.summary.up_to_date == 1, run
    assert _parts(e2e)["_cfgmodel"] == CFGMODEL
    e2e.write(".codex/config.toml", 'model = "o4"\n')  # (after the upgrade: a change of model)
    assert e2e.am().summary.ran == 1
    assert e2e.calls("sum") == ["sum", "sum"]


def test_a_record_keyed_with_the_project_s_model_reruns_when_it_changes(e2e: Now) -> None:
    """A record of "_cfgmodel" 3 that keyed the project's model already ("_model_before"): o4 → o5 is a
    change of model, not an upgrade."""
    project = e2e.write(".codex/config.toml", 'model = "o4"\n')
    assert KeyedSince(e2e.root, e2e.fake).am().summary.ran == 1
    assert _parts(e2e)["_model_before"] == "*"
    _write(project, 'model = "o5"\n')
    assert e2e.am().summary.ran == 1
    assert e2e.calls("sum") == ["sum", "sum"]


@pytest.mark.parametrize("cfgmodel", [1, 3])
def test_a_profile_file_s_model_is_another_call(
    tmp_path: Path, fake_agents: FakeAgents, cfgmodel: int
) -> None:
    """codex was not lent the ``--profile`` file then: it asked config.toml's o3, not the file's gpt-5."""
    project = _e2e(tmp_path, fake_agents, " --profile work")
    _write(fake_agents.home / ".codex" / "work.config.toml", 'model = "gpt-5"\n')
    before = Before(project.root, fake_agents)
    before.prelude = before.prelude.replace("k.CFGMODEL = 3", f"k.CFGMODEL = {cfgmodel}")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(SYSTEM_ENV, str(tmp_path / "no-system.toml"))
        assert before.am().summary.ran == 1
        assert _parts(project)["runner"]["model"] == "o3"
        now = Now(project.root, fake_agents)
        assert "o3 → gpt-5" in now.am("explain", "sum").text
        assert now.am().summary.ran == 1
    assert project.calls("sum") == ["sum", "sum"]


# (claude's and gemini's records of "_cfgmodel" 3 keyed the files they read: a change is a change)
CHANGES = {
    "claude": (
        (".claude/settings.json", '{"model": "claude-a"}'),
        (".claude/settings.json", '{"model": "b"}'),
    ),
    "gemini": (("settings.json", '{"model": {"name": "gemini-a"}}'), (".env", "GEMINI_MODEL=gemini-b\n")),
}


@pytest.mark.parametrize("cli", sorted(CHANGES))
@pytest.mark.parametrize("changed", [False, True])
def test_claude_and_gemini_records_of_before_rerun_only_for_a_change(
    e2e: Now, monkeypatch: pytest.MonkeyPatch, cli: str, changed: bool
) -> None:
    for name in ("GEMINI_MODEL", "GEMINI_CLI_SYSTEM_SETTINGS_PATH", "ANTHROPIC_MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GEMINI_CLI_SYSTEM_DEFAULTS_PATH", str(e2e.root.parent / "no-defaults.json"))
    e2e.write("Agentfile", e2e.read("Agentfile").replace("runner = work", f"runner = {cli}"))
    (user, text), (where, changed_text) = CHANGES[cli]
    _write(e2e.fake.home / f".{cli}" / user, text)
    assert KeyedSince(e2e.root, e2e.fake).am().summary.ran == 1
    assert _parts(e2e)["_cfgmodel"] == 3
    if changed:  # (between the last build before the upgrade and the first after)
        e2e.write(where, changed_text)
    run = e2e.am()
    assert run.code == 0 and run.summary.ran == int(changed), run
    assert _parts(e2e)["_cfgmodel"] == CFGMODEL
