"""The build stamp holds, of the agent CLIs' config files, only what a task's key reads of them (the model,
claude's ``env`` block's ANTHROPIC_MODEL and endpoint variables without their secrets, codex's profiles'
models, llm's aliases: `runners.modelconfig.stamp_digests`), never a digest of the whole file.

A claude settings file may hold a token (an ``env`` block with ANTHROPIC_AUTH_TOKEN or ANTHROPIC_API_KEY, an
``apiKeyHelper``): the stamp kept the digest of the file's bytes, from which a weak token could be guessed
(the project's rule, tests/test_endpoint_secrets.py), and a new token alone made every build load the
Agentfile again. Now a new token leaves the stamp answering, a new model still reruns, and a stamp of the
format before is only written anew (one no-op that loads the Agentfile), never a task run again. Real
builds with the fake CLIs, HOME a temporary directory."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import xxhash
from conftest import FakeAgents
from test_keyhunt3_endpoints import EnvE2E, _agentfile

from agentmake.runners.configstamp import stamp_digests

TOKEN = "tok-hunter2-SECRET"


def _claude(path: Path, model: str, token: str, url: str = "https://me:pw-1@proxy.example/v1") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    settings = {
        "model": model,
        "apiKeyHelper": f"/bin/echo {token}",
        "env": {"ANTHROPIC_AUTH_TOKEN": token, "ANTHROPIC_API_KEY": token, "ANTHROPIC_BASE_URL": url},
    }
    path.write_text(json.dumps(settings), encoding="utf-8")


def _codex(path: Path, model: str, token: str, url: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'model = "{model}"\nprofile = "fast"\n[profiles.fast]\nmodel = "{model}-fast"\n'
        f'[model_providers.proxy]\nexperimental_bearer_token = "{token}"\n',
        encoding="utf-8",
    )


def _gemini(path: Path, model: str, token: str, url: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    settings = {"model": {"name": model}, "security": {"auth": {"apiKey": token}}}
    path.write_text(json.dumps(settings), encoding="utf-8")


def _aliases(path: Path, model: str, token: str, url: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"fast": model, "key": {"token": token}}), encoding="utf-8")


FILES = [
    (".claude/settings.json", True, _claude),
    (".claude/settings.json", False, _claude),
    (".claude/settings.local.json", False, _claude),
    (".codex/config.toml", True, _codex),
    (".gemini/settings.json", True, _gemini),
    (".gemini/settings.json", False, _gemini),
    (".config/io.datasette.llm/aliases.json", True, _aliases),
]


@pytest.mark.parametrize(("name", "home", "write"), FILES)
def test_the_stamp_holds_what_the_keys_read_and_no_token(
    tmp_path: Path, name: str, home: bool, write: Callable[..., None]
) -> None:
    env, root = {"HOME": str(tmp_path / "home")}, tmp_path / "proj"
    root.mkdir()
    path = (tmp_path / "home" if home else root) / name
    write(path, "m1", TOKEN)
    first = stamp_digests(env, root)
    assert first != stamp_digests({"HOME": str(tmp_path / "nohome")}, tmp_path / "none")  # (it is there)
    held = json.dumps(first)
    assert TOKEN not in held and xxhash.xxh3_128_hexdigest(path.read_bytes()) not in held
    write(path, "m1", "tok-swordfish-OTHER", "https://me:pw-2@proxy.example/v1")  # (the token alone)
    assert stamp_digests(env, root) == first
    write(path, "m2", TOKEN)  # (what the keys see)
    assert stamp_digests(env, root) != first


def test_a_claude_endpoint_is_stamped_without_its_password_and_its_host_still_counts(tmp_path: Path) -> None:
    env, user = {"HOME": str(tmp_path)}, tmp_path / ".claude" / "settings.json"
    _claude(user, "m1", TOKEN, "https://me:pw-1@proxy.example/v1")
    first = stamp_digests(env)
    _claude(user, "m1", TOKEN, "https://me:pw-2@proxy.example/v1")
    assert stamp_digests(env) == first
    _claude(user, "m1", TOKEN, "https://me:pw-1@other.example/v1")
    assert stamp_digests(env) != first


def test_a_file_that_names_nothing_the_keys_read_is_as_no_file(tmp_path: Path) -> None:
    env, root = {"HOME": str(tmp_path / "home")}, tmp_path / "proj"
    none = stamp_digests(env, root)
    user = tmp_path / "home" / ".claude" / "settings.json"
    user.parent.mkdir(parents=True)
    user.write_text(json.dumps({"apiKeyHelper": "/bin/echo key", "env": {"ANTHROPIC_API_KEY": TOKEN}}))
    (root / ".claude").mkdir(parents=True)
    (root / ".claude" / "settings.json").write_text("{broken")
    assert stamp_digests(env, root) == none
    assert not any(entry[-1] for entry in none)  # (so the stamp's signature is as without the files)


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch) -> EnvE2E:
    monkeypatch.delenv("CLAUDE_CONFIG_DIR", raising=False)
    project = EnvE2E(tmp_path / "proj", fake_agents)
    project.extra = {}
    project.write("src.txt", "hello\n")
    return project


def _sig(e2e: EnvE2E) -> str:
    return str(json.loads(_stamp(e2e).split(b"\n")[1])["sig"])


def _stamp(e2e: EnvE2E) -> bytes:
    return (e2e.root / ".agentmake" / "stamp").read_bytes()


def test_a_new_token_leaves_the_stamp_answering_and_a_new_model_reruns(e2e: EnvE2E) -> None:
    _agentfile(e2e, "claude")
    user = e2e.fake.home / ".claude" / "settings.json"
    _claude(user, "opus", TOKEN)
    assert e2e.am().summary.ran == 1
    assert e2e.am().summary.up_to_date == 1  # (writes the stamp)
    stamp = _stamp(e2e)
    for kept in (TOKEN.encode(), b"pw-1", xxhash.xxh3_128_hexdigest(user.read_bytes()).encode()):
        assert kept not in stamp, kept
    _claude(user, "opus", "tok-swordfish-OTHER", "https://me:pw-2@proxy.example/v1")
    run = e2e.am("-v")
    assert "up to date without loading the Agentfile" in run.err and run.summary.up_to_date == 1, run
    _claude(user, "sonnet", "tok-swordfish-OTHER", "https://me:pw-2@proxy.example/v1")
    run = e2e.am("-v")
    assert "without loading" not in run.err and run.summary.ran == 1, run
    assert e2e.calls("sum") == ["sum", "sum"]


# the stamp's digests of the config files as the agentmake before this one made them: of each file's bytes
OLD_DIGESTS = """
import runpy, xxhash, agentmake.runners.configfiles as f, agentmake.runners.modelconfig as m
def old(environ, root=None, **_):
    found = []
    for preset, (where, _) in sorted(m.CONFIGS.items()):
        data = f.read_config(where(environ))
        found.append([preset, "" if data is None else xxhash.xxh3_128_hexdigest(data)])
    for preset, names in sorted(f.PROJECT_FILES.items()):
        for name in names:
            data = None if root is None else f.read_config(root / name)
            if data is not None:
                found.append([preset, name, xxhash.xxh3_128_hexdigest(data)])
    return found
import agentmake.runners.configstamp as c
c.stamp_digests = old
runpy.run_module('agentmake', run_name='__main__', alter_sys=True)
"""


class OldE2E(EnvE2E):
    """This agentmake with the build stamp's digests of the config files as they were (whole bytes)."""

    def argv(self, args: tuple[str, ...]) -> list[str]:
        return [*super().argv(())[:1], "-c", OLD_DIGESTS, *args]


def test_a_stamp_of_the_format_before_is_written_anew_and_nothing_reruns(e2e: EnvE2E) -> None:
    _agentfile(e2e, "claude")
    _claude(e2e.fake.home / ".claude" / "settings.json", "opus", TOKEN)
    (e2e.root / ".claude").mkdir()
    _claude(e2e.root / ".claude" / "settings.local.json", "sonnet", TOKEN)
    old = OldE2E(e2e.root, e2e.fake)
    old.extra = {}
    assert old.am().summary.ran == 1
    run = old.am("-v")  # (the build that ran wrote the stamp: it answers the agentmake before)
    assert "up to date without loading the Agentfile" in run.err, run
    before = _stamp(e2e)
    assert TOKEN.encode() not in before  # (a digest of it was)
    run = e2e.am("-v")  # (this agentmake: the old stamp is for another request; loads the Agentfile once)
    assert "without loading" not in run.err and run.summary.up_to_date == 1 and run.summary.ran == 0, run
    assert _stamp(e2e) != before
    run = e2e.am("-v")
    assert "up to date without loading the Agentfile" in run.err, run
    assert e2e.calls("sum") == ["sum"]


def test_a_project_without_config_files_keeps_its_stamp_byte_for_byte(e2e: EnvE2E) -> None:
    """No config file (or none naming anything): the signature is as the agentmake before made it, so its
    stamp still answers, unchanged."""
    _agentfile(e2e, "claude", model="model = opus")
    user = e2e.fake.home / ".claude" / "settings.json"
    user.parent.mkdir(parents=True, exist_ok=True)
    user.write_text(json.dumps({"permissions": {"allow": []}}))  # (names nothing the keys read)
    old = OldE2E(e2e.root, e2e.fake)
    old.extra = {}
    user.rename(user.with_name("aside.json"))  # (the agentmake before stamped a file even naming nothing)
    assert old.am().summary.ran == 1
    before = _sig(e2e)
    user.with_name("aside.json").rename(user)
    run = e2e.am("-v")
    assert "up to date without loading the Agentfile" in run.err, run
    assert _sig(e2e) == before  # (the stamp is the same; the check may settle its racy entries)
    assert e2e.calls("sum") == ["sum"]
