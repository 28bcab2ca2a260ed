"""gemini's environment switches that choose which service answers, beside GOOGLE_GENAI_USE_VERTEXAI:
GOOGLE_GENAI_USE_GCA=true (sign in with Google), CLOUD_SHELL=true and GEMINI_CLI_USE_COMPUTE_ADC=true (the
machine's credentials: `getAuthTypeFromEnv`, `authfix._gemini_env_type`). agentmake passed them to gemini
but did not key them: setting one asked another service, and nothing reran. Keyed now, as VERTEXAI is, only
when set: the key of a task whose CLI receives none is byte for byte the one before (pinned), and so is the
build stamp's signature, so a project built before runs nothing after and its no-op build is answered by
the stamp."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = '''\
agent g:
    runner = gemini
    inputs = docs/a.txt
    outputs = g.md
    prompt = """
        FAKE: label=g
        {{ read(input) }}
        """
'''
SWITCHES = ("GOOGLE_GENAI_USE_GCA", "CLOUD_SHELL", "GEMINI_CLI_USE_COMPUTE_ADC", "GOOGLE_GENAI_USE_VERTEXAI")
# the task's key, as the agentmake before these switches were keyed made it (s29 at ce79e2b)
PINNED = "adfecd36f873879babab2962b8c76afa"


def _project(tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch) -> E2E:
    for name in SWITCHES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GEMINI_API_KEY", "k")
    e2e = E2E(tmp_path / "p", fake_agents)
    e2e.write("docs/a.txt", "alpha\n")
    e2e.write("Agentfile", AGENTFILE, dedent=False)
    return e2e


def _key(e2e: E2E) -> str:
    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake" / "state.db")) as conn:
        return str(conn.execute("SELECT key FROM tasks WHERE task_id = 'g'").fetchone()[0])


def test_with_no_switch_set_the_key_is_the_one_before(
    tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch
) -> None:
    e2e = _project(tmp_path, fake_agents, monkeypatch)
    run = e2e.am()
    assert run.code == 0 and run.summary.ran == 1, run
    assert _key(e2e) == PINNED


@pytest.mark.parametrize("name", SWITCHES[:3])
def test_setting_a_switch_reruns_and_unsetting_it_again_too(
    tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    e2e = _project(tmp_path, fake_agents, monkeypatch)
    assert e2e.am().summary.ran == 1
    before = _key(e2e)
    monkeypatch.setenv(name, "true")
    assert f"would run g: runner gemini: endpoint changed ({name}: (unset) → set)" in e2e.am("-n").out
    run = e2e.am()  # (the fake gemini has no Google login: that attempt fails, which is no matter here)
    assert run.summary.up_to_date == 0 and run.summary.ran + run.summary.failed == 1, run
    monkeypatch.delenv(name)
    run = e2e.am()  # (the answer of before is the outputs in place, and in the cache: no call)
    assert run.code == 0 and run.summary.ran == 0 and run.summary.failed == 0, run
    assert _key(e2e) == before


def test_with_no_switch_set_the_stamps_signature_is_the_one_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build stamp's signature is as it was with the switches not keyed (`modelenv.AUTH_SWITCHES`):
    the first no-op build after the upgrade is answered by the stamp, as before."""
    from agentmake.runners import modelenv
    from agentmake.workflow import Request
    from agentmake.workflow.stamping import stamp_request

    for name in SWITCHES:
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "Agentfile").write_text(AGENTFILE)
    req = Request(directory=tmp_path)
    now = stamp_request(req, "build")
    keyed = modelenv.ENDPOINT_ENV
    monkeypatch.setattr(modelenv, "ENDPOINT_ENV", tuple(n for n in keyed if n not in modelenv.AUTH_SWITCHES))
    before = stamp_request(req, "build")
    assert now is not None and before is not None
    assert now[0].bare == before[0].bare
    monkeypatch.setattr(modelenv, "ENDPOINT_ENV", keyed)
    monkeypatch.setenv("CLOUD_SHELL", "true")
    assert stamp_request(req, "build")[0].bare != before[0].bare  # type: ignore[index]


class BeforeE2E(E2E):
    """This agentmake as the one before keyed gemini's login switches (ce79e2b): none of them an endpoint
    variable, "_cfgmodel" 3, the fast memo's and the stamp's versions of then."""

    def argv(self, args: tuple[str, ...]) -> list[str]:
        old = (
            "import runpy, agentmake.runners.modelenv as m, agentmake.runners.presets as p; "
            "import agentmake.plan.keyparts as k, agentmake.plan.stamp as s; "
            "m.ENDPOINT_ENV = p.ENDPOINT_ENV = tuple(n for n in m.ENDPOINT_ENV if n not in m.AUTH_SWITCHES); "
            "k.CFGMODEL = 3; k.FAST_VERSION = 3; s.DECIDER_VERSIONS = (2, 3, 1, 2); "
            "runpy.run_module('agentmake', run_name='__main__', alter_sys=True)"
        )
        return [*super().argv(())[:1], "-c", old, *args]


def _parts(e2e: E2E) -> dict[str, object]:
    import json

    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake" / "state.db")) as conn:
        (parts,) = conn.execute("SELECT parts FROM tasks WHERE task_id = 'g'").fetchone()
    return dict(json.loads(parts))


def _endpoint(e2e: E2E) -> dict[str, object]:
    runner = _parts(e2e)["runner"]
    assert isinstance(runner, dict)
    return dict(runner.get("endpoint") or {})


def test_upgrading_with_a_switch_set_pays_for_no_call(
    tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a Google Cloud Shell CLOUD_SHELL=true is set in every shell (beside GEMINI_API_KEY, which gemini
    looks at first): the agentmake before passed it to gemini and keyed it not. The same service answered
    then as now, so the first build after the upgrade calls nothing: the record takes the switch."""
    e2e = _project(tmp_path, fake_agents, monkeypatch)
    monkeypatch.setenv("CLOUD_SHELL", "true")
    before = BeforeE2E(e2e.root, e2e.fake)
    assert before.am().summary.ran == 1
    assert "CLOUD_SHELL" not in _endpoint(e2e)
    run = e2e.am()
    assert run.code == 0 and run.summary.ran == 0 and run.summary.up_to_date == 1, run
    assert "CLOUD_SHELL" in _endpoint(e2e) and _parts(e2e)["_cfgmodel"] == 4
    assert e2e.am().summary.up_to_date == 1


def test_a_switch_set_after_the_upgrade_reruns(
    tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A record of the agentmake before, built with no switch set, is marked as keyed since by the first
    build after the upgrade (a no-op): a switch set later is a change, not an upgrade."""
    e2e = _project(tmp_path, fake_agents, monkeypatch)
    before = BeforeE2E(e2e.root, e2e.fake)
    assert before.am().summary.ran == 1
    assert e2e.am().summary.up_to_date == 1 and _parts(e2e)["_cfgmodel"] == 4
    monkeypatch.setenv("GEMINI_CLI_USE_COMPUTE_ADC", "true")
    monkeypatch.delenv("GEMINI_API_KEY")  # (the machine's credentials now: another login)
    assert "endpoint changed (GEMINI_CLI_USE_COMPUTE_ADC: (unset) → set)" in e2e.am("-n").out


@pytest.mark.parametrize("value", ["false", "1", "TRUE"])
def test_a_switch_set_to_another_value_than_true_reruns_nothing(
    tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """gemini tests each switch for "true" (`authfix._gemini_env_type`): another value chooses no other
    service, so it is keyed as unset, and reruns nothing."""
    e2e = _project(tmp_path, fake_agents, monkeypatch)
    assert e2e.am().summary.ran == 1
    for name in SWITCHES[:3]:
        monkeypatch.setenv(name, value)
    run = e2e.am()
    assert run.code == 0 and run.summary.ran == 0 and run.summary.up_to_date == 1, run
    assert _key(e2e) == PINNED
