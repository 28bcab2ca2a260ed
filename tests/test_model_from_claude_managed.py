"""claude's managed settings file (``/etc/claude-code/managed-settings.json`` on Linux:
`runners.configfiles.CLAUDE_MANAGED`) beats every other settings file: its ``model``, and the
ANTHROPIC_MODEL and ANTHROPIC_BASE_URL of its ``env`` block, are those claude takes. A task's key held the
project's or the user's: an administrator who set another model there left the old model's results said up
to date. Real builds with the fake CLIs; the managed file is a temporary one, set in the agentmake process
itself (`ManagedE2E`), never /etc."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.runners import configfiles
from agentmake.runners.configstamp import stamp_digests
from agentmake.runners.modelconfig import config_reading
from agentmake.runners.presets import PRESETS


class ManagedE2E(E2E):
    """This agentmake with claude's managed settings file at `managed`."""

    managed: Path

    def argv(self, args: tuple[str, ...]) -> list[str]:
        run = (
            "import pathlib, runpy, agentmake.runners.configfiles as m; "
            f"m.CLAUDE_MANAGED = pathlib.Path({str(self.managed)!r}); "
            "runpy.run_module('agentmake', run_name='__main__', alter_sys=True)"
        )
        return [*super().argv(())[:1], "-c", run, *args]


def _settings(path: Path, **values: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"permissions": {"allow": []}, **values}), encoding="utf-8")


def _runner_part(e2e: E2E) -> dict[str, object]:
    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake" / "state.db")) as conn:
        (parts,) = conn.execute("SELECT parts FROM tasks WHERE task_id = 'sum'").fetchone()
    runner: dict[str, object] = json.loads(parts)["runner"]
    return runner


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch) -> ManagedE2E:
    for name in ("ANTHROPIC_MODEL", "ANTHROPIC_BASE_URL", "CLAUDE_CONFIG_DIR"):
        monkeypatch.delenv(name, raising=False)
    project = ManagedE2E(tmp_path / "proj", fake_agents)
    project.managed = tmp_path / "etc" / "claude-code" / "managed-settings.json"
    project.write("src.txt", "hello\n")
    project.write(
        "Agentfile",
        """\
        agent sum:
            runner = claude
            inputs = src.txt
            outputs = sum.md
            prompt = "FAKE: label=sum\\nSum up {{ read(input) }}"
        """,
    )
    return project


def test_claudes_managed_settings_beat_every_other_file(e2e: ManagedE2E) -> None:
    _settings(e2e.fake.home / ".claude" / "settings.json", model="opus")
    _settings(e2e.root / ".claude" / "settings.local.json", model="sonnet")
    _settings(e2e.managed, model="haiku")
    assert e2e.am().code == 0
    assert _runner_part(e2e)["model"] == "haiku"
    run = e2e.am()  # (the build stamp's answer: nothing changed)
    assert run.summary.up_to_date == 1 and e2e.calls("sum") == ["sum"], run
    _settings(e2e.managed, model="haiku", env={"ANTHROPIC_MODEL": "claude-m"})
    explained = e2e.am("explain", "sum")
    said = f"takes from {e2e.managed} env ANTHROPIC_MODEL changed: haiku → claude-m"
    assert said in explained.text, explained
    run = e2e.am()  # (not the stamp's "up to date": the managed file is in its signature)
    assert run.summary.ran == 1, run
    _settings(e2e.managed, env={"ANTHROPIC_BASE_URL": "https://me:hunter2@proxy.example/"})
    assert e2e.am().summary.ran == 1
    runner = _runner_part(e2e)
    assert runner["model"] == "sonnet"  # (the next file's)
    assert runner["endpoint"]["ANTHROPIC_BASE_URL"][0] == "proxy.example"  # type: ignore[index]
    e2e.managed.unlink()
    assert e2e.am().summary.ran == 1
    assert _runner_part(e2e)["model"] == "sonnet"
    assert len(e2e.calls("sum")) == 4
    state = b"".join(p.read_bytes() for p in (e2e.root / ".agentmake").rglob("*") if p.is_file())
    assert b"hunter2" not in state


def test_the_managed_file_is_read_first_and_stamped_when_it_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    managed = tmp_path / "managed-settings.json"
    monkeypatch.setattr(configfiles, "CLAUDE_MANAGED", managed)
    env, root = {"HOME": str(tmp_path / "home")}, tmp_path / "proj"
    _settings(root / ".claude" / "settings.json", model="sonnet")
    before = stamp_digests(env, root)
    assert config_reading("claude", PRESETS["claude"], env, root).found == (
        "sonnet",
        "claude",
        ".claude/settings.json",
    )
    managed.write_text("{broken")  # (names nothing: the next file's)
    assert config_reading("claude", PRESETS["claude"], env, root).found == (
        "sonnet",
        "claude",
        ".claude/settings.json",
    )
    _settings(managed, model="opus")
    assert config_reading("claude", PRESETS["claude"], env, root).found == ("opus", "claude", str(managed))
    assert stamp_digests(env, root)[: len(before)] == before
    assert [entry[:2] for entry in stamp_digests(env, root)[len(before) :]] == [["claude", str(managed)]]
