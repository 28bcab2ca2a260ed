"""The model an agent CLI takes from the project's own settings, and from claude's `env` block
(`runners.configfiles.PROJECT_FILES`, `modelconfig.settings_env_model`).

claude runs in the project root and reads `.claude/settings.local.json`, then `.claude/settings.json`, then
the user's `settings.json`: the first that names a `model` wins. An `ANTHROPIC_MODEL` in a settings file's
`env` block is applied over claude's environment, so it beats the environment's and every `model`. gemini
reads the project's `.gemini/settings.json` before `~/.gemini/settings.json`. A task's key held only the
user file's model: a team that changed the model in the project's settings kept the old model's results,
called up to date (and the build stamp said so without loading the Agentfile). Real builds with the fake
CLIs, HOME a temporary directory."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.runners.configstamp import stamp_digests
from agentmake.runners.modelconfig import config_model, settings_env_model
from agentmake.runners.presets import PRESETS


def _agentfile(e2e: E2E, cli: str) -> None:
    e2e.write(
        "Agentfile",
        f"""\
        agent sum:
            runner = {cli}
            inputs = src.txt
            outputs = sum.md
            prompt = "FAKE: label=sum\\nSum up {{{{ read(input) }}}}"
        """,
    )


def _settings(path: Path, **values: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"permissions": {"allow": []}, **values}), encoding="utf-8")


def _keyed_model(e2e: E2E) -> str | None:
    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake" / "state.db")) as conn:
        (parts,) = conn.execute("SELECT parts FROM tasks WHERE task_id = 'sum'").fetchone()
    return json.loads(parts)["runner"]["model"]


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch) -> E2E:
    for name in ("ANTHROPIC_MODEL", "GEMINI_MODEL", "CLAUDE_CONFIG_DIR"):
        monkeypatch.delenv(name, raising=False)
    project = E2E(tmp_path / "proj", fake_agents)
    project.write("src.txt", "hello\n")
    return project


def test_the_projects_claude_settings_beat_the_users_and_a_change_reruns(e2e: E2E) -> None:
    _agentfile(e2e, "claude")
    _settings(e2e.fake.home / ".claude" / "settings.json", model="opus")
    project = e2e.root / ".claude" / "settings.json"
    _settings(project, model="sonnet")
    assert e2e.am().code == 0
    assert _keyed_model(e2e) == "sonnet"
    assert e2e.am().summary.up_to_date == 1
    run = e2e.am()  # (the build stamp's answer: the project file unchanged)
    assert run.summary.up_to_date == 1 and e2e.calls("sum") == ["sum"], run
    _settings(project, model="haiku")
    explained = e2e.am("explain", "sum")
    said = "the default model claude takes from .claude/settings.json changed: sonnet → haiku"
    assert said in explained.text, explained
    run = e2e.am()  # (not the stamp's "up to date": the project file is in its signature)
    assert run.summary.ran == 1, run
    assert _keyed_model(e2e) == "haiku"
    _settings(e2e.fake.home / ".claude" / "settings.json", model="claude-x")  # (the user's: beaten)
    assert e2e.am().summary.up_to_date == 1
    project.unlink()  # (the user's file is the model again)
    run = e2e.am()
    assert run.summary.ran == 1 and _keyed_model(e2e) == "claude-x", run
    assert len(e2e.calls("sum")) == 3


def test_claudes_local_settings_beat_the_projects(e2e: E2E) -> None:
    _agentfile(e2e, "claude")
    _settings(e2e.root / ".claude" / "settings.json", model="sonnet")
    local = e2e.root / ".claude" / "settings.local.json"
    _settings(local, model="opus")
    assert e2e.am().code == 0
    assert _keyed_model(e2e) == "opus"
    _settings(e2e.root / ".claude" / "settings.json", model="haiku")
    assert e2e.am().summary.up_to_date == 1
    _settings(local, model="claude-y")
    explained = e2e.am("explain", "sum")
    assert "takes from .claude/settings.local.json changed: opus → claude-y" in explained.text, explained
    assert e2e.am().summary.ran == 1
    assert e2e.calls("sum") == ["sum", "sum"]


def test_claudes_env_block_beats_the_environment_and_every_model(
    e2e: E2E, monkeypatch: pytest.MonkeyPatch
) -> None:
    _agentfile(e2e, "claude")
    monkeypatch.setenv("ANTHROPIC_MODEL", "sonnet")
    user = e2e.fake.home / ".claude" / "settings.json"
    _settings(user, model="opus", env={"ANTHROPIC_MODEL": "haiku", "OTHER": "x"})
    assert e2e.am().code == 0
    assert _keyed_model(e2e) == "haiku"
    monkeypatch.setenv("ANTHROPIC_MODEL", "opus")  # (claude applies the block over its environment)
    _settings(e2e.root / ".claude" / "settings.json", model="claude-z")
    assert e2e.am().summary.up_to_date == 1
    _settings(e2e.root / ".claude" / "settings.json", env={"ANTHROPIC_MODEL": "claude-w"})
    explained = e2e.am("explain", "sum")
    said = "takes from .claude/settings.json env ANTHROPIC_MODEL changed: haiku → claude-w"
    assert said in explained.text, explained
    assert e2e.am().summary.ran == 1
    assert _keyed_model(e2e) == "claude-w"
    assert len(e2e.calls("sum")) == 2


def test_the_projects_gemini_settings_beat_the_users(e2e: E2E) -> None:
    _agentfile(e2e, "gemini")
    _settings(e2e.fake.home / ".gemini" / "settings.json", model={"name": "gemini-2.5-pro"})
    project = e2e.root / ".gemini" / "settings.json"
    _settings(project, model={"name": "gemini-2.5-flash"})
    assert e2e.am().code == 0
    assert _keyed_model(e2e) == "gemini-2.5-flash"
    _settings(project, model={"name": "gemini-3-pro"})
    explained = e2e.am("explain", "sum")
    said = "gemini takes from .gemini/settings.json changed: gemini-2.5-flash → gemini-3-pro"
    assert said in explained.text, explained
    assert e2e.am().summary.ran == 1
    assert e2e.calls("sum") == ["sum", "sum"]


class BeforeE2E(E2E):
    """This agentmake as it was before the project's files and claude's `env` block were read."""

    def argv(self, args: tuple[str, ...]) -> list[str]:
        old = (
            "import runpy, agentmake.runners.configfiles as f, agentmake.runners.modelconfig as m; "
            "f.PROJECT_FILES.clear(); "
            "m.settings_env_model = lambda *a, **k: None; "
            "runpy.run_module('agentmake', run_name='__main__', alter_sys=True)"
        )
        return [*super().argv(())[:1], "-c", old, *args]


def test_without_project_files_keys_and_stamp_are_as_before(e2e: E2E) -> None:
    """A user's settings.json and no project file: the first build after this change runs nothing, and
    the key and the build stamp's signature are those of the agentmake before, byte for byte."""
    _agentfile(e2e, "claude")
    _settings(e2e.fake.home / ".claude" / "settings.json", model="opus")
    before = BeforeE2E(e2e.root, e2e.fake)
    assert before.am().code == 0
    assert before.am().summary.up_to_date == 1
    stamp = json.loads((e2e.root / ".agentmake" / "stamp").read_bytes().split(b"\n")[1])["sig"]
    run = e2e.am()
    assert run.summary.up_to_date == 1 and e2e.calls("sum") == ["sum"], run
    now = json.loads((e2e.root / ".agentmake" / "stamp").read_bytes().split(b"\n")[1])["sig"]
    assert now == stamp
    assert _keyed_model(e2e) == "opus"


def test_the_files_are_read_in_the_clis_order(tmp_path: Path) -> None:
    home, root = tmp_path / "home", tmp_path / "proj"
    env = {"HOME": str(home)}
    claude = PRESETS["claude"]
    assert config_model("claude", claude, env, root) is None
    _settings(home / ".claude" / "settings.json", model="opus")
    assert config_model("claude", claude, env, root) == ("opus", "claude", "~/.claude/settings.json")
    _settings(root / ".claude" / "settings.json", model="sonnet", env={"ANTHROPIC_MODEL": 5})
    assert config_model("claude", claude, env, root) == ("sonnet", "claude", ".claude/settings.json")
    assert settings_env_model("claude", env, root) is None  # (not a string: names none)
    (root / ".claude" / "settings.local.json").write_text("{broken")  # (names none: the next file's)
    assert config_model("claude", claude, env, root) == ("sonnet", "claude", ".claude/settings.json")
    _settings(home / ".claude" / "settings.json", env={"ANTHROPIC_MODEL": "haiku"})
    shown = "~/.claude/settings.json env ANTHROPIC_MODEL"
    assert settings_env_model("claude", env, root) == ("haiku", "claude", shown)
    assert settings_env_model("gemini", env, root) is None
    assert config_model("claude", claude, env) is None  # (no root: the user's file alone, no model in it)
    digests = stamp_digests(env, root)
    # (the broken one names nothing: it is as no file, `configstamp.stamped`)
    assert [entry[:2] for entry in digests if len(entry) == 3] == [["claude", ".claude/settings.json"]]
    assert len(stamp_digests(env)) == 4  # (without the root: the users' files alone, as before)


def test_a_project_file_that_is_no_regular_file_names_no_model_at_once(tmp_path: Path) -> None:
    """A cloned project's `.claude/settings.json` may be a link to a FIFO (or /dev/stdin): reading it would
    wait for a writer for good. It names no model, and the build goes on."""
    import os
    import threading

    root = tmp_path / "proj"
    (root / ".claude").mkdir(parents=True)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    (root / ".claude" / "settings.json").symlink_to(fifo)
    found: list[object] = []
    reader = threading.Thread(
        target=lambda: found.append(config_model("claude", PRESETS["claude"], {"HOME": str(tmp_path)}, root)),
        daemon=True,
    )
    reader.start()
    reader.join(5)
    waited = reader.is_alive()
    if waited:  # (let the blocked open go, so that the thread ends)
        with open(fifo, "wb"):
            pass
        reader.join(5)
    assert not waited and found == [None]
    assert len(stamp_digests({"HOME": str(tmp_path)}, root)) == 4  # (nor is it in the build stamp)
