"""GOOGLE_GENAI_USE_VERTEXAI in the ``.env`` file gemini loads (`runners.dotenv`) switches gemini to Vertex AI
(another provider) as the same variable in its environment does: gemini loads each variable of the file
that its environment does not set (gemini-cli ``settings.ts``, `loadEnvironment`), and asks Vertex AI when
it is ``true`` (``contentGenerator.ts``, `getAuthTypeFromEnv`). The environment's is keyed
(`modelenv.ENDPOINT_ENV`); the file's was not: switching gemini to Vertex AI in ``.env`` kept the Gemini
API's answers, said up to date. Now it is keyed as the environment's (`presets.env_endpoint`), so the same
switch set either way is the same key; the file's keys (GOOGLE_API_KEY) reach neither the key nor the
stamp. Real builds with the fake CLIs, HOME a temporary directory."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path

import pytest
from conftest import FakeAgents
from test_keyhunt3_endpoints import EnvE2E, _agentfile, _state_bytes

from agentmake.plan.keyparts import CFGMODEL
from agentmake.runners.configstamp import stamp_digests
from agentmake.runners.modelconfig import config_reading
from agentmake.runners.presets import PRESETS

SWITCH = "GOOGLE_GENAI_USE_VERTEXAI"


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch) -> EnvE2E:
    for name in (SWITCH, "GEMINI_MODEL", "GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION"):
        monkeypatch.delenv(name, raising=False)
    project = EnvE2E(tmp_path / "proj", fake_agents)
    project.extra = {}
    project.write("src.txt", "hello\n")
    return project


def _endpoint(e2e: EnvE2E) -> dict[str, list[str]]:
    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake" / "state.db")) as conn:
        (parts,) = conn.execute("SELECT parts FROM tasks WHERE task_id = 'sum'").fetchone()
    return dict(json.loads(parts)["runner"].get("endpoint") or {})


def test_the_dotenv_switch_to_vertex_ai_is_keyed_as_the_environments(e2e: EnvE2E) -> None:
    _agentfile(e2e, "gemini", model="model = gemini-2.5-pro")
    assert e2e.am().summary.ran == 1  # (the Gemini API)
    e2e.write(".env", f"GOOGLE_API_KEY=AIza-hunter2\n{SWITCH}=true\nGOOGLE_CLOUD_LOCATION=us-central1\n")
    explained = e2e.am("explain", "sum")
    assert SWITCH in explained.text, explained
    run = e2e.am()
    assert run.summary.ran == 1, run  # (Vertex AI: another provider)
    keyed = _endpoint(e2e)
    assert list(keyed) == [SWITCH]
    assert e2e.am().summary.up_to_date == 1  # (writes the stamp)
    e2e.write(".env", f"GOOGLE_API_KEY=AIza-swordfish\n{SWITCH}=true\nGOOGLE_CLOUD_LOCATION=us-central1\n")
    run = e2e.am("-v")  # (a new key alone: the stamp still answers)
    assert "up to date without loading the Agentfile" in run.err, run
    assert b"AIza-hunter2" not in _state_bytes(e2e) and b"AIza-swordfish" not in _state_bytes(e2e)
    (e2e.root / ".env").unlink()
    e2e.extra = {SWITCH: "true"}  # (the same switch from the environment: the same key, no call)
    run = e2e.am()
    assert run.summary.up_to_date == 1 and _endpoint(e2e) == keyed, run
    e2e.write(".env", f"{SWITCH}=false\n")  # (the environment's beats the file's: gemini loads it not)
    run = e2e.am()
    assert run.summary.up_to_date == 1, run
    e2e.extra = {}  # (the file's alone now: another switch)
    run = e2e.am()
    assert run.summary.ran == 1, run
    assert e2e.calls("sum") == ["sum", "sum", "sum"]


def test_the_switch_is_read_from_the_file_gemini_loads_and_stamped_without_the_rest(tmp_path: Path) -> None:
    home, root = tmp_path / "home", tmp_path / "proj"
    env = {"HOME": str(home)}
    (home / ".gemini").mkdir(parents=True)
    root.mkdir()
    none = stamp_digests(env, root)
    assert config_reading("gemini", PRESETS["gemini"], env, root).endpoints == {}
    (home / ".gemini" / ".env").write_text(f"GEMINI_API_KEY=k-1\nexport {SWITCH}='true'  # vertex\n")
    assert config_reading("gemini", PRESETS["gemini"], env, root).endpoints == {SWITCH: "true"}
    assert config_reading("claude", PRESETS["claude"], env, root).endpoints == {}  # (gemini's alone)
    assert config_reading("gemini", PRESETS["gemini"], {**env, SWITCH: ""}, root).endpoints == {}
    first = stamp_digests(env, root)
    assert first != none and "k-1" not in json.dumps(first)
    (home / ".gemini" / ".env").write_text(f"GEMINI_API_KEY=k-2\n{SWITCH}=true\n")
    assert stamp_digests(env, root) == first  # (the key alone changed)
    (root / ".env").write_text("OTHER=1\n")  # (the nearest file is the one: it sets no switch)
    assert config_reading("gemini", PRESETS["gemini"], env, root).endpoints == {}
    assert stamp_digests(env, root) == none


class BeforeE2E(EnvE2E):
    """This agentmake as the one before keyed a gemini call: the switch in ``.env`` not read ("_cfgmodel" 2,
    the fast memo's and the stamp's versions of then)."""

    def argv(self, args: tuple[str, ...]) -> list[str]:
        old = (
            "import runpy, agentmake.runners.modelconfig as m, agentmake.plan.keyparts as k; "
            "import agentmake.plan.stamp as s; "
            "m.GEMINI_ENDPOINTS = (); k.CFGMODEL = 2; k.FAST_VERSION = 2; s.DECIDER_VERSIONS = (2, 2, 1, 2); "
            "runpy.run_module('agentmake', run_name='__main__', alter_sys=True)"
        )
        return [*super().argv(())[:1], "-c", old, *args]


def _memo(e2e: EnvE2E) -> object:
    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake" / "state.db")) as conn:
        (parts,) = conn.execute("SELECT parts FROM tasks WHERE task_id = 'sum'").fetchone()
    return json.loads(parts).get("_cfgmodel")


def test_upgrading_pays_for_no_call_a_dotenv_switch_made(e2e: EnvE2E) -> None:
    _agentfile(e2e, "gemini", model="model = gemini-2.5-pro")
    e2e.write(".env", f"GOOGLE_API_KEY=AIza-hunter2\n{SWITCH}=true\n")
    before = BeforeE2E(e2e.root, e2e.fake)
    before.extra = {}
    assert before.am().summary.ran == 1  # (it asked Vertex AI, and keyed no switch)
    assert _endpoint(e2e) == {} and _memo(e2e) == 2
    assert before.am().summary.up_to_date == 1  # (and its stamp, of its versions)
    run = e2e.am()
    assert run.code == 0 and run.summary.ran == 0 and run.summary.up_to_date == 1, run
    assert list(_endpoint(e2e)) == [SWITCH] and _memo(e2e) == CFGMODEL  # (the record switched to the new key)
    assert e2e.calls("sum") == ["sum"]
    assert e2e.am().summary.up_to_date == 1
    e2e.write(".env", "GOOGLE_API_KEY=AIza-hunter2\n")  # (the switch gone since: the Gemini API)
    assert e2e.am().summary.ran == 1
    assert e2e.calls("sum") == ["sum", "sum"]


def test_a_switch_added_after_the_upgrade_reruns(e2e: EnvE2E) -> None:
    _agentfile(e2e, "gemini", model="model = gemini-2.5-pro")
    before = BeforeE2E(e2e.root, e2e.fake)
    before.extra = {}
    assert before.am().summary.ran == 1  # (no switch: the Gemini API)
    assert e2e.am().summary.up_to_date == 1 and _memo(e2e) == CFGMODEL  # (the upgrade: nothing to pay)
    # (Vertex AI since: another provider; gemini's `validateAuthMethod` wants its project and location)
    e2e.write(".env", f"{SWITCH}=true\nGOOGLE_CLOUD_PROJECT=p\nGOOGLE_CLOUD_LOCATION=us-central1\n")
    assert e2e.am().summary.ran == 1
