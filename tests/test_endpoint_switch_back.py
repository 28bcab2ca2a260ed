"""Switching an endpoint variable back (A → B → A) restores A's result from the cache, paying for nothing,
also when A's result was made by an agentmake that keyed the variable by the digest of its whole value,
secrets and all (before `runners.urlsecrets`): its cache entry is filed under that old key, which no record
names once the task was built for B, and the first build back at A ran the agent again. Now the build looks
the result up under the key the task had then too (`plan.upgrade.endpoint_key_before`) and moves the entry
to the key it has now, leaving neither the old key nor the whole value's digest in the state. Real builds
with the fake CLIs (the agentmake before: `test_endpoint_secrets.OldE2E`). (A value without secrets is keyed
as it always was: its switch back, `test_keyhunt3_endpoints`.)"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E
from test_endpoint_secrets import SECRET_URL, OldE2E, _as_now, _keys, _whole
from test_keyhunt3_endpoints import _agentfile

ENDPOINTS = [
    ("claude", "ANTHROPIC_BASE_URL", SECRET_URL, SECRET_URL.replace("proxy.example", "other.example")),
    (
        "codex",
        "OPENAI_BASE_URL",
        "https://one.example/v1?key=hunter2-pw",
        "https://two.example/v1?key=hunter2-pw",
    ),
    ("ollama", "OLLAMA_HOST", "http://me:hunter2-pw@one.example:11434", "http://two.example:11434"),
]


@pytest.fixture
def old(tmp_path: Path, fake_agents: FakeAgents) -> OldE2E:
    project = OldE2E(tmp_path / "proj", fake_agents)
    project.extra = {}
    project.write("src.txt", "hello\n")
    return project


def _setup(project: E2E, runner: str) -> None:
    _agentfile(project, runner, model="model = m1" if runner == "ollama" else "")


def _state_files_holding(project: E2E, secret: str) -> list[str]:
    """The files of the state (an attempt's key file too, `runners.salvage`) whose bytes hold `secret`."""
    files = [p for p in (project.root / ".agentmake").rglob("*") if p.is_file()]
    return [str(p) for p in files if secret.encode() in p.read_bytes()]


def _key_files(project: E2E) -> dict[str, str]:
    """Each attempt's key file (`runners.salvage.key_file`) -> the key it names."""
    logs = project.root / ".agentmake" / "logs"
    return {p.name: p.read_text().partition("\n")[0] for p in sorted(logs.glob("*.key"))}


@pytest.mark.parametrize(("runner", "name", "one", "two"), ENDPOINTS)
@pytest.mark.parametrize("built_before", [1, 2])
def test_switching_back_to_an_endpoint_built_before_restores_it(
    old: OldE2E, runner: str, name: str, one: str, two: str, built_before: int
) -> None:
    """Built for A by the agentmake before (and for B too, with `built_before` = 2), then for B and A by this
    one: B runs (another service), A's answer (paid for) is taken from the cache: restored when the output
    is gone (`built_before` = 2), else found in place (the fake answers both services alike)."""
    _setup(old, runner)
    new = _as_now(old)
    old.extra = {name: one}
    assert old.am().code == 0
    (old_key,) = _keys(old, "SELECT key FROM cache")
    (new.extra if built_before == 1 else old.extra).update({name: two})
    run = (new if built_before == 1 else old).am()
    assert run.summary.ran == 1, run
    new.extra = {name: one}
    if built_before == 2:
        (new.root / "sum.md").unlink()
    dry = new.am("-n")
    assert "would run" not in dry.text and "0 to run" in dry.text, dry
    run = new.am()
    assert run.summary.ran == 0, run
    assert run.summary.cached == (built_before == 2) and run.summary.up_to_date == (built_before == 1), run
    assert new.calls("sum") == ["sum", "sum"]
    # (the old key's entry moved: neither it nor the whole value's digest stays in the state)
    assert old_key not in _keys(new, "SELECT key FROM cache")
    assert _keys(new, "SELECT key FROM tasks")[0] in _keys(new, "SELECT key FROM cache")
    assert not _state_files_holding(new, old_key) and not _state_files_holding(new, _whole(one))
    run = new.am()
    assert run.summary.up_to_date == 1, run
    new.extra = {name: two}  # (and B's result is still there, whichever agentmake made it)
    (new.root / "sum.md").unlink()
    run = new.am()
    assert run.summary.cached == 1 and run.summary.ran == 0, run


def test_the_key_file_of_an_attempt_made_before_names_the_key_the_upgrade_gives(old: OldE2E) -> None:
    """A project built before, built again by this agentmake (up to date: its record is rekeyed,
    `upgrade._endpoint_upgraded`): the key file of the attempt that answered named the old key, made from
    the password's digest; it names the new one now, so the old key is kept nowhere and the answer is
    still salvaged for the call it answered (here once the cache lost it: no call)."""
    _setup(old, "claude")
    old.extra = {"ANTHROPIC_BASE_URL": SECRET_URL}
    assert old.am().code == 0
    (old_key,) = _keys(old, "SELECT key FROM cache")
    assert _key_files(old) == {"sum.1.key": old_key}
    new = _as_now(old)
    run = new.am()
    assert run.summary.up_to_date == 1, run
    (key,) = _keys(new, "SELECT key FROM tasks")
    assert _key_files(new) == {"sum.1.key": key}
    assert not _state_files_holding(new, old_key) and not _state_files_holding(new, _whole(SECRET_URL))
    with contextlib.closing(sqlite3.connect(new.root / ".agentmake" / "state.db")) as conn:
        conn.execute("DELETE FROM cache")  # (as an eviction would)
        conn.commit()
    (new.root / "sum.md").unlink()
    run = new.am()
    assert run.code == 0 and "salvaged from sum.1.out" in run.err, run
    assert new.calls("sum") == ["sum"]


def test_an_answer_never_recorded_before_the_upgrade_is_salvaged(old: OldE2E) -> None:
    """An attempt of the agentmake before answered, and the state kept no record of it (agentmake died
    first; here the state is removed): this agentmake, for the same call, finds its key file under the old
    key (`upgrade.endpoint_key_before`), renames it to the new one and uses the answer: nothing paid twice."""
    _setup(old, "claude")
    old.extra = {"ANTHROPIC_BASE_URL": SECRET_URL}
    assert old.am().code == 0
    (old_key,) = _keys(old, "SELECT key FROM cache")
    for path in (old.root / ".agentmake").glob("state.db*"):
        path.unlink()
    (old.root / "sum.md").unlink()
    new = _as_now(old)
    run = new.am()
    assert run.code == 0 and "never recorded, salvaged from sum.1.out" in run.err, run
    assert new.calls("sum") == ["sum"]
    (key,) = _keys(new, "SELECT key FROM tasks")
    assert _key_files(new) == {"sum.1.key": key} and key != old_key
