"""The model gemini takes from its system settings and from the ``.env`` file it loads
(`runners.configfiles.OVER`, `UNDER`, `runners.dotenv`).

gemini's system settings file (GEMINI_CLI_SYSTEM_SETTINGS_PATH, else /etc/gemini-cli/settings.json)
overrides the project's and the user's settings; its system defaults file is beaten by them all; a
GEMINI_MODEL in the ``.env`` it loads (the project's ``.gemini/.env`` or ``.env``, else the nearest above,
else the home directory's) beats every settings file, unless gemini's environment has a GEMINI_MODEL of its
own. A task's key held the project's or the user's model: a machine whose administrator set the model in
the system file, or a project whose ``.env`` named one, kept the results of a model gemini no longer asked.
Real builds with the fake CLIs, HOME a temporary directory; the system files are found through the path
variables (never /etc)."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.runners.configstamp import stamp_digests
from agentmake.runners.invocation import llm_invocation
from agentmake.runners.modelconfig import config_model
from agentmake.runners.presets import PRESETS

GEMINI = PRESETS["gemini"]


def _agentfile(e2e: E2E) -> None:
    e2e.write(
        "Agentfile",
        """\
        agent sum:
            runner = gemini
            inputs = src.txt
            outputs = sum.md
            prompt = "FAKE: label=sum\\nSum up {{ read(input) }}"
        """,
    )


def _settings(path: Path, model: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"ui": {"theme": "x"}, "model": {"name": model}}), encoding="utf-8")


def _keyed_model(e2e: E2E) -> str | None:
    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake" / "state.db")) as conn:
        (parts,) = conn.execute("SELECT parts FROM tasks WHERE task_id = 'sum'").fetchone()
    return json.loads(parts)["runner"]["model"]


def _sig(e2e: E2E) -> str:
    return str(json.loads((e2e.root / ".agentmake" / "stamp").read_bytes().split(b"\n")[1])["sig"])


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch) -> E2E:
    for name in ("GEMINI_MODEL", "GEMINI_CLI_SYSTEM_SETTINGS_PATH", "GEMINI_CLI_SYSTEM_DEFAULTS_PATH"):
        monkeypatch.delenv(name, raising=False)
    project = E2E(tmp_path / "proj", fake_agents)
    project.write("src.txt", "hello\n")
    return project


def test_geminis_system_settings_beat_the_projects_and_a_change_reruns(
    e2e: E2E, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    system = tmp_path / "etc" / "gemini-cli" / "settings.json"
    monkeypatch.setenv("GEMINI_CLI_SYSTEM_SETTINGS_PATH", str(system))
    _agentfile(e2e)
    _settings(e2e.fake.home / ".gemini" / "settings.json", "gemini-user")
    _settings(e2e.root / ".gemini" / "settings.json", "gemini-project")
    _settings(system, "gemini-system")
    assert e2e.am().code == 0
    assert _keyed_model(e2e) == "gemini-system"
    run = e2e.am()  # (the build stamp's answer: nothing changed)
    assert run.summary.up_to_date == 1 and e2e.calls("sum") == ["sum"], run
    _settings(system, "gemini-system-2")
    explained = e2e.am("explain", "sum")
    said = f"the default model gemini takes from {system} changed: gemini-system → gemini-system-2"
    assert said in explained.text, explained
    run = e2e.am()  # (not the stamp's "up to date": the system file is in its signature)
    assert run.summary.ran == 1, run
    assert _keyed_model(e2e) == "gemini-system-2"
    system.unlink()  # (the project's file is the model again)
    assert e2e.am().summary.ran == 1
    assert _keyed_model(e2e) == "gemini-project"


def test_the_system_defaults_are_beaten_by_every_other_file(
    e2e: E2E, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    defaults = tmp_path / "etc" / "system-defaults.json"
    monkeypatch.setenv("GEMINI_CLI_SYSTEM_DEFAULTS_PATH", str(defaults))
    _agentfile(e2e)
    _settings(defaults, "gemini-default")
    assert e2e.am().code == 0
    assert _keyed_model(e2e) == "gemini-default"
    _settings(e2e.fake.home / ".gemini" / "settings.json", "gemini-user")
    assert e2e.am().summary.ran == 1
    assert _keyed_model(e2e) == "gemini-user"
    _settings(defaults, "gemini-default-2")  # (beaten: no rerun)
    assert e2e.am().summary.up_to_date == 1
    assert len(e2e.calls("sum")) == 2


def test_a_gemini_model_in_the_env_file_beats_the_settings_not_the_environment(
    e2e: E2E, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    system = tmp_path / "etc" / "settings.json"
    monkeypatch.setenv("GEMINI_CLI_SYSTEM_SETTINGS_PATH", str(system))
    _agentfile(e2e)
    _settings(system, "gemini-system")
    e2e.write(".env", "GEMINI_API_KEY=k-123\nexport GEMINI_MODEL='gemini-dotenv'  # ours\n")
    assert e2e.am().code == 0
    assert _keyed_model(e2e) == "gemini-dotenv"
    assert e2e.am().summary.up_to_date == 1  # (the build stamp's answer)
    e2e.write(".env", "GEMINI_API_KEY=k-456\nGEMINI_MODEL=gemini-dotenv\n")  # (same model: no rerun)
    assert e2e.am().summary.up_to_date == 1
    e2e.write(".gemini/.env", "GEMINI_MODEL=gemini-dotenv-2\n")  # (gemini's own beats the project's)
    explained = e2e.am("explain", "sum")
    said = "the default model gemini takes from .gemini/.env changed: gemini-dotenv → gemini-dotenv-2"
    assert said in explained.text, explained
    run = e2e.am()
    assert run.summary.ran == 1, run
    monkeypatch.setenv("GEMINI_MODEL", "gemini-env")  # (the environment's beats the file's)
    assert e2e.am().summary.ran == 1
    assert _keyed_model(e2e) == "gemini-env"
    assert len(e2e.calls("sum")) == 3
    state = (e2e.root / ".agentmake" / "state.db").read_bytes() + (
        e2e.root / ".agentmake" / "stamp"
    ).read_bytes()
    assert b"k-123" not in state and b"k-456" not in state


def test_the_env_file_is_found_as_gemini_finds_it(tmp_path: Path) -> None:
    home, root = tmp_path / "home", tmp_path / "a" / "proj"
    root.mkdir(parents=True)
    env = {"HOME": str(home)}
    (home / ".gemini").mkdir(parents=True)
    (home / ".env").write_text("GEMINI_MODEL=m-home\n")
    assert config_model("gemini", GEMINI, env, root) == ("m-home", "gemini", "~/.env")
    (home / ".gemini" / ".env").write_text("GEMINI_MODEL=m-home-gemini\n")
    assert config_model("gemini", GEMINI, env, root) == ("m-home-gemini", "gemini", "~/.gemini/.env")
    (tmp_path / "a" / ".env").write_text('GEMINI_MODEL="m-above"\nGEMINI_MODEL="m-above-last"\n')
    shown = str(tmp_path / "a" / ".env")
    assert config_model("gemini", GEMINI, env, root) == ("m-above-last", "gemini", shown)
    (root / ".env").write_text("OTHER=1\n")  # (the nearest is the one, even naming no model)
    assert config_model("gemini", GEMINI, env, root) is None
    _settings(root / ".gemini" / "settings.json", "m-project")
    assert config_model("gemini", GEMINI, env, root) == ("m-project", "gemini", ".gemini/settings.json")
    (root / ".env").write_text("GEMINI_MODEL=m-project-env\n")
    assert config_model("gemini", GEMINI, env, root) == ("m-project-env", "gemini", ".env")
    # (set in the environment, even empty, gemini loads none of the file's: the settings' model)
    assert config_model("gemini", GEMINI, {**env, "GEMINI_MODEL": ""}, root)[0] == "m-project"  # type: ignore[index]
    assert ["gemini", ".env"] in [entry[:2] for entry in stamp_digests(env, root)]


def test_an_env_file_that_is_no_file_too_big_or_odd_names_nothing_at_once(tmp_path: Path) -> None:
    root, env = tmp_path / "proj", {"HOME": str(tmp_path / "home")}
    root.mkdir()
    (tmp_path / ".env").write_text("GEMINI_MODEL=m-above\n")
    os.mkfifo(root / ".env")  # (exists: gemini's, and nothing is read from it)
    found: list[object] = []
    reader = threading.Thread(
        target=lambda: found.append(config_model("gemini", GEMINI, env, root)), daemon=True
    )
    reader.start()
    reader.join(5)
    waited = reader.is_alive()
    if waited:
        with open(root / ".env", "wb"):
            pass
        reader.join(5)
    assert not waited and found == [None]
    (root / ".env").unlink()
    (root / ".env").mkdir()
    assert config_model("gemini", GEMINI, env, root) is None
    (root / ".env").rmdir()
    (root / ".env").write_bytes(b"GEMINI_MODEL=m-big\n" + b"#" * (1 << 20))
    assert config_model("gemini", GEMINI, env, root) is None
    (root / ".env").write_bytes(b"\xff\xfeGEMINI_MODEL=\n=\n'unclosed\nGEMINI_MODEL=`m-odd`\n")
    assert config_model("gemini", GEMINI, env, root) == ("m-odd", "gemini", ".env")
    system = tmp_path / "sys.json"
    system.write_text("{broken")
    assert config_model("gemini", GEMINI, {**env, "GEMINI_CLI_SYSTEM_SETTINGS_PATH": str(system)}) is None


def test_gemini_is_given_the_system_files_agentmake_keys(tmp_path: Path) -> None:
    environ = {"PATH": "/bin", "HOME": str(tmp_path), "GEMINI_CLI_SYSTEM_SETTINGS_PATH": "/x/settings.json"}
    environ["GEMINI_CLI_SYSTEM_DEFAULTS_PATH"] = "/x/defaults.json"
    inv = llm_invocation(
        GEMINI,
        "gemini",
        model=None,
        prompt="p",
        writes_files=False,
        root=tmp_path,
        home=tmp_path,
        environ=environ,
    )
    assert inv.env is not None
    assert inv.env["GEMINI_CLI_SYSTEM_SETTINGS_PATH"] == "/x/settings.json"
    assert inv.env["GEMINI_CLI_SYSTEM_DEFAULTS_PATH"] == "/x/defaults.json"


class BeforeE2E(E2E):
    """This agentmake as it was before gemini's system files and ``.env`` were read."""

    def argv(self, args: tuple[str, ...]) -> list[str]:
        old = (
            "import runpy, agentmake.runners.modelconfig as m; m.OVER.clear(); m.UNDER.clear(); "
            "m._dotenv_found = lambda *a, **k: None; "
            "runpy.run_module('agentmake', run_name='__main__', alter_sys=True)"
        )
        return [*super().argv(())[:1], "-c", old, *args]


def test_without_these_files_keys_and_stamp_are_as_before(e2e: E2E) -> None:
    """The user's settings and a ``.env`` that names no model: the first build after this change runs
    nothing, and the key and the build stamp's signature are those of the agentmake before, byte for
    byte."""
    _agentfile(e2e)
    _settings(e2e.fake.home / ".gemini" / "settings.json", "gemini-user")
    e2e.write(".env", "GEMINI_API_KEY=k\n")
    before = BeforeE2E(e2e.root, e2e.fake)
    assert before.am().code == 0
    assert before.am().summary.up_to_date == 1
    stamp = _sig(e2e)
    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake" / "state.db")) as conn:
        keys = conn.execute("SELECT key, parts FROM tasks").fetchall()
    run = e2e.am()
    assert run.summary.up_to_date == 1 and e2e.calls("sum") == ["sum"], run
    assert _sig(e2e) == stamp
    (e2e.root / ".agentmake" / "stamp").unlink()
    assert e2e.am().summary.up_to_date == 1  # (decided by keys: the record as it was)
    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake" / "state.db")) as conn:
        assert conn.execute("SELECT key, parts FROM tasks").fetchall() == keys
    assert _sig(e2e) == stamp
