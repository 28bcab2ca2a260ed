"""review29a: a codex runner whose command gives the model (``-m``, ``--model=``, ``-c model=``) was keyed
by an agentmake of before 5c0709f (ab6789c) with config.toml's model as well ("_cfgmodel" 3,
"_model_from" config.toml), while codex asked the command's model. The agentmake since keys none then
(the command holds it), so the first build after the upgrade ran the task again for the call it had made
with the very same model. Now the record is taken over; a change of the command still reruns."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import FakeAgents
from test_codex28_merged_config import _e2e
from test_codexmoney29_upgrade import SYSTEM_ENV, Before, Now, _parts

from agentmake.plan.keyparts import CFGMODEL

pytestmark = pytest.mark.skipif(sys.version_info < (3, 11), reason="3.10 reads no TOML tables")


class KeyedTheFile(Before):
    """ab6789c: config.toml's model keyed whatever the command gives."""

    prelude = Before.prelude + "m.clap_value = lambda argv, short, long: None; "


@pytest.mark.parametrize("flags", [" -m gpt-5", " --model=gpt-5", " -c model=gpt-5", " -mgpt-5"])
def test_a_model_the_command_gives_is_not_paid_for_again(
    tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch, flags: str
) -> None:
    monkeypatch.setenv(SYSTEM_ENV, str(tmp_path / "no-system.toml"))
    e2e = _e2e(tmp_path, fake_agents, flags)  # (config.toml: o3)
    assert KeyedTheFile(e2e.root, e2e.fake).am().summary.ran == 1
    assert _parts(e2e)["runner"]["model"] == "o3"
    now = Now(e2e.root, e2e.fake)
    run = now.am()
    assert run.code == 0 and run.summary.ran == 0 and run.summary.up_to_date == 1, run
    parts = _parts(e2e)
    assert parts["runner"]["model"] is None and parts["_cfgmodel"] == CFGMODEL and "_model_from" not in parts
    assert now.am().summary.up_to_date == 1
    e2e.write("Agentfile", e2e.read("Agentfile").replace("gpt-5", "gpt-6"))  # (a change: another call)
    assert now.am().summary.ran == 1
    assert e2e.calls("sum") == ["sum", "sum"]
