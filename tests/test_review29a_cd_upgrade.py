"""review29a: upgrading from an agentmake that read a ``-C``/``--cd DIR`` codex runner's project ``.codex``
files from the project root (ce79e2b, before `authsettings.codex_cwd`) pays for no call again. That
agentmake keyed the root's project model (o4, "_model_before" "*") while codex, working in DIR, read DIR's
files (none: config.toml's o3); the first build after the upgrade saw "o4 → o3" and ran the task again for
the call it had already made with o3. A change after the upgrade still reruns."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import FakeAgents
from test_auth28_codex_provider import _write
from test_codex28_merged_config import _e2e
from test_codexmoney29_upgrade import _SYSTEM, _VERSIONS, SYSTEM_ENV, Now, _parts

from agentmake.plan.keyparts import CFGMODEL

pytestmark = pytest.mark.skipif(sys.version_info < (3, 11), reason="3.10 reads no TOML tables")


class RootRead(Now):
    """The agentmake before: codex's project files read from the project root whatever -C says."""

    prelude = (
        _SYSTEM
        + "import agentmake.runners.authsettings as a, agentmake.plan.keyparts as k; "
        + "import agentmake.plan.stamp as s; "
        + "a.codex_cwd = lambda root, argv: root; "
        + _VERSIONS
    )


@pytest.mark.parametrize("sub_model", [None, "o5"])
def test_a_cd_runner_s_record_of_before_is_not_paid_for_again(
    tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch, sub_model: str | None
) -> None:
    monkeypatch.setenv(SYSTEM_ENV, str(tmp_path / "no-system.toml"))
    e2e = _e2e(tmp_path, fake_agents, " -C sub")  # (config.toml: o3, the project trusted)
    if sub_model is not None:  # (codex's project root is the root: its files, then sub's, both trusted)
        (e2e.root / ".git").mkdir()
    e2e.write("sub/x", "")  # (else sub is codex's project root: the root's files are not read)
    e2e.write(".codex/config.toml", 'model = "o4"\n')  # (the root's: not where codex works)
    if sub_model is not None:
        e2e.write("sub/.codex/config.toml", f'model = "{sub_model}"\n')
    assert RootRead(e2e.root, e2e.fake).am().summary.ran == 1
    assert _parts(e2e)["runner"]["model"] == "o4"
    run = e2e.am()
    assert run.code == 0 and run.summary.ran == 0 and run.summary.up_to_date == 1, run
    parts = _parts(e2e)
    assert parts["runner"]["model"] == (sub_model or "o3") and parts["_cfgmodel"] == CFGMODEL
    assert e2e.am().summary.up_to_date == 1
    _write(e2e.fake.home / ".codex" / "config.toml", 'model = "o6"\n' if sub_model is None else "")
    if sub_model is not None:
        e2e.write("sub/.codex/config.toml", 'model = "o6"\n')  # (after the upgrade: a change)
    assert e2e.am().summary.ran == 1
    assert e2e.calls("sum") == ["sum", "sum"]
