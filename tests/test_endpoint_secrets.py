"""An endpoint variable (ANTHROPIC_BASE_URL, OPENAI_BASE_URL, OLLAMA_HOST, ...) is keyed without the
secrets a URL may carry (`runners.urlsecrets`): its key part used to be the digest of the whole value, kept in
the state, from which a weak password in ``https://me:hunter2@proxy.example/`` could be guessed offline. Now
neither the password nor that digest is kept, changing only the password reruns nothing, a value without
secrets keeps the very digest (and key) it had, and a project built before runs nothing on its first build
after. Real builds with the fake CLIs; the build "before" is this agentmake with the secrets left in
(`OldE2E`)."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest
import xxhash
from conftest import FakeAgents
from e2e_helpers import E2E
from test_keyhunt3_endpoints import EnvE2E, _agentfile, _state_bytes

from agentmake.runners.presets import PRESETS, env_endpoint, env_endpoint_before
from agentmake.runners.urlsecrets import SECRET_PARAMS, without_secrets

SECRET_URL = "https://me:hunter2-pw@proxy.example/v1?api_key=s3cr3t-key&mode=fast"


def _whole(value: str) -> str:
    """The digest a key kept of an endpoint variable before: that of its whole value."""
    return xxhash.xxh3_128_hexdigest(value.encode("utf-8"))


@pytest.mark.parametrize(
    "value",
    [
        "https://proxy.example/v1",
        "http://localhost:11434",
        "localhost:11434",
        "http://[::1]:8080/v1?model=x&keyboard=1",
        "http://h.example/v1?monkey=1#top",
        "1",
        "true",
        "http://[::1:8080/v1",  # (one urllib refuses)
    ],
)
def test_a_value_without_secrets_is_keyed_as_it_always_was(value: str) -> None:
    assert without_secrets(value) == value
    keyed = env_endpoint(PRESETS["claude"], {"ANTHROPIC_BASE_URL": value, "CLAUDE_CODE_USE_BEDROCK": value})
    assert keyed["ANTHROPIC_BASE_URL"][1] == _whole(value)
    assert keyed["CLAUDE_CODE_USE_BEDROCK"] == ["", _whole(value)]  # (a switch: never rewritten)
    assert env_endpoint_before(PRESETS["claude"], {"ANTHROPIC_BASE_URL": value}) == {}


@pytest.mark.parametrize(
    ("value", "keyed"),
    [
        ("https://me:hunter2@proxy.example/v1", "https://proxy.example/v1"),
        ("https://me@proxy.example", "https://proxy.example"),
        ("me:pw@ollama.example:11434", "ollama.example:11434"),
        ("https://h.example/v1?api_key=abc&n=1", "https://h.example/v1?api_key=&n=1"),
        ("https://h.example/v1?n=1&KEY=abc", "https://h.example/v1?n=1&KEY="),
        ("https://h.example/?X-Api-Key=a;Token=b&sig=c", "https://h.example/?X-Api-Key=;Token=&sig="),
        ("https://h.example/?access%5Ftoken=a", "https://h.example/?access%5Ftoken="),
        ("https://h.example/#access_token=a", "https://h.example/#access_token="),
        ("http://u:p@[::1:8080/v1?password=x", "http://[::1:8080/v1?password="),
        (SECRET_URL, "https://proxy.example/v1?api_key=&mode=fast"),
    ],
)
def test_a_urls_userinfo_and_secret_parameters_are_left_out(value: str, keyed: str) -> None:
    assert without_secrets(value) == keyed
    endpoint = env_endpoint(PRESETS["codex"], {"OPENAI_BASE_URL": value})
    assert endpoint["OPENAI_BASE_URL"][1] == _whole(keyed) != _whole(value)
    assert env_endpoint_before(PRESETS["codex"], {"OPENAI_BASE_URL": value}) == {
        "OPENAI_BASE_URL": _whole(value)
    }


def test_the_secret_parameters_are_named_in_one_list() -> None:
    assert {
        "key",
        "api_key",
        "apikey",
        "token",
        "access_token",
        "secret",
        "password",
        "sig",
        "signature",
    } <= (SECRET_PARAMS)
    assert all(name == name.lower() and "-" not in name for name in SECRET_PARAMS)


def test_the_state_keeps_neither_the_password_nor_the_digest_of_the_whole_value(e2e: EnvE2E) -> None:
    _agentfile(e2e, "claude")
    e2e.extra = {"ANTHROPIC_BASE_URL": SECRET_URL}
    assert e2e.am().code == 0
    assert e2e.am().summary.up_to_date == 1  # (and the build stamp is written)
    kept = _state_bytes(e2e)
    for secret in (b"hunter2-pw", b"s3cr3t-key", _whole(SECRET_URL).encode()):
        assert secret not in kept, secret
    parts = _task_parts(e2e)
    assert parts.count("proxy.example") == 1 and _whole(without_secrets(SECRET_URL)) in parts


def test_changing_only_the_password_or_key_reruns_nothing(e2e: EnvE2E) -> None:
    _agentfile(e2e, "claude")
    e2e.extra = {"ANTHROPIC_BASE_URL": SECRET_URL}
    assert e2e.am().code == 0
    e2e.extra = {
        "ANTHROPIC_BASE_URL": SECRET_URL.replace("hunter2-pw", "swordfish").replace("s3cr3t", "other")
    }
    explained = e2e.am("explain", "sum")
    assert "sum.md [sum] is up to date" in explained.text, explained
    run = e2e.am()
    assert run.summary.up_to_date == 1, run
    assert e2e.calls("sum") == ["sum"]


def test_the_build_stamps_signature_holds_no_password(e2e: EnvE2E) -> None:
    """The stamp keeps a digest of the request, endpoint variables included (`workflow.stamping`): of the
    value without its secrets, as a key, so another password is the same request (and cannot be guessed
    from the digest)."""
    _agentfile(e2e, "claude")
    e2e.extra = {"ANTHROPIC_BASE_URL": SECRET_URL}
    assert e2e.am().code == 0
    assert e2e.am().summary.up_to_date == 1  # (writes the stamp)
    e2e.extra = {"ANTHROPIC_BASE_URL": SECRET_URL.replace("hunter2-pw", "swordfish")}
    run = e2e.am("-v")
    assert "up to date without loading the Agentfile" in run.err, run
    e2e.extra = {"ANTHROPIC_BASE_URL": SECRET_URL.replace("/v1", "/v2")}
    run = e2e.am("-v")
    assert "without loading" not in run.err and run.summary.ran == 1, run


def test_another_path_with_the_same_credentials_is_said_changed_without_them(e2e: EnvE2E) -> None:
    _agentfile(e2e, "claude")
    e2e.extra = {"ANTHROPIC_BASE_URL": SECRET_URL}
    assert e2e.am().code == 0
    e2e.extra = {"ANTHROPIC_BASE_URL": SECRET_URL.replace("/v1", "/v2")}
    explained = e2e.am("explain", "sum")
    assert "endpoint changed (ANTHROPIC_BASE_URL changed)" in explained.text, explained
    e2e.extra = {"ANTHROPIC_BASE_URL": SECRET_URL.replace("proxy.example", "other.example")}
    explained = e2e.am("explain", "sum")
    assert "endpoint changed (ANTHROPIC_BASE_URL: proxy.example → other.example)" in explained.text, explained
    assert "hunter2" not in explained.text and "s3cr3t" not in explained.text
    run = e2e.am()
    assert run.summary.ran == 1, run


class OldE2E(EnvE2E):
    """This agentmake as it was before endpoint variables were keyed without their secrets: the key holds
    the digest of the whole value (`without_secrets` returns it whole)."""

    def argv(self, args: tuple[str, ...]) -> list[str]:
        old = (
            "import runpy, agentmake.runners.urlsecrets as u; u.without_secrets = lambda value: value; "
            "runpy.run_module('agentmake', run_name='__main__', alter_sys=True)"
        )
        return [*super().argv(())[:1], "-c", old, *args]


@pytest.fixture
def old(tmp_path: Path, fake_agents: FakeAgents) -> OldE2E:
    project = OldE2E(tmp_path / "proj", fake_agents)
    project.extra = {}
    project.write("src.txt", "hello\n")
    return project


@pytest.mark.parametrize(
    ("runner", "name", "value"),
    [("claude", "ANTHROPIC_BASE_URL", SECRET_URL), ("ollama", "OLLAMA_HOST", "http://me:hunter2-pw@h:11434")],
)
def test_a_project_built_before_runs_nothing_after(old: OldE2E, runner: str, name: str, value: str) -> None:
    _agentfile(old, runner, model="model = m1" if runner == "ollama" else "")
    old.extra = {name: value}
    assert old.am().code == 0
    assert old.am().summary.up_to_date == 1  # (the build stamp, of the whole value too)
    assert _whole(value) in _task_parts(old)  # (the state as the agentmake before kept it)
    (old_key,) = _keys(old, "SELECT key FROM cache")
    new = _as_now(old)
    explained = new.am("explain", "sum")
    assert "sum.md [sum] is up to date" in explained.text, explained
    run = new.am()
    assert run.summary.up_to_date == 1 and run.summary.ran == 0, run
    assert new.calls("sum") == ["sum"]
    assert _whole(value) not in _task_parts(new)  # (the record is keyed without the secrets now)
    run = new.am()
    assert run.summary.up_to_date == 1, run
    # (nor any other file of the state: the build stamp's signature is of the value without them too; nor
    # the old key, from which the password could be guessed as well, in the cache, in free pages or in the
    # key file of the attempt before, `runners.salvage`: it names the new key)
    assert _keys(new, "SELECT key FROM cache") == _keys(new, "SELECT key FROM tasks") != [old_key]
    files = [p for p in (new.root / ".agentmake").rglob("*") if p.is_file()]
    assert any(p.name == "state.db" for p in files)
    for secret in (_whole(value).encode(), old_key.encode()):
        assert not [p for p in files if secret in p.read_bytes()], secret
    new.extra = {name: value.replace("hunter2-pw", "swordfish")}  # (and a new password changes nothing)
    run = new.am()
    assert run.summary.up_to_date == 1, run
    assert new.calls("sum") == ["sum"]


def test_a_project_built_before_with_another_endpoint_still_reruns(old: OldE2E) -> None:
    _agentfile(old, "claude")
    old.extra = {"ANTHROPIC_BASE_URL": SECRET_URL}
    assert old.am().code == 0
    new = _as_now(old)
    new.extra = {"ANTHROPIC_BASE_URL": SECRET_URL.replace("/v1", "/v2")}
    explained = new.am("explain", "sum")
    assert "endpoint changed (ANTHROPIC_BASE_URL changed)" in explained.text, explained
    run = new.am()
    assert run.summary.ran == 1, run


def _as_now(old: OldE2E) -> EnvE2E:
    """The same project, built by this agentmake."""
    new = EnvE2E(old.root, old.fake)
    new.extra = dict(old.extra)
    return new


def _keys(e2e: E2E, query: str) -> list[str]:
    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake" / "state.db")) as conn:
        return [row[0] for row in conn.execute(query)]


def _task_parts(e2e: E2E) -> str:
    """The parts of the task records in the state database (as stored)."""
    with contextlib.closing(
        sqlite3.connect(e2e.root / ".agentmake" / "state.db")
    ) as conn:  # (not `with conn`)
        return "\n".join(row[0] for row in conn.execute("SELECT parts FROM tasks"))


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> EnvE2E:
    project = EnvE2E(tmp_path / "proj", fake_agents)
    project.extra = {}
    project.write("src.txt", "hello\n")
    return project
