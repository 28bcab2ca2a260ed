"""A job's copy of a CLI's login (`agentmake.runners.credentials`): lent for one attempt and removed when it
ends, whatever the end (a build killed mid-attempt: by the next build); never written back to the user's
file; copies older versions kept go; no link is followed to the user's own login."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E, wait_for

CLAUDE_LOGIN = {"claudeAiOauth": {"accessToken": "at-1", "refreshToken": "rt-1", "expiresAt": 1_000_000}}
CODEX_LOGIN = {
    "OPENAI_API_KEY": None,
    "tokens": {"id_token": "id-1", "access_token": "at-1", "refresh_token": "rt-1", "account_id": "acc"},
    "last_refresh": "2025-01-01T00:00:00.123456789Z",
}


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents, monkeypatch: pytest.MonkeyPatch) -> E2E:
    """A project whose claude and codex are logged in by their files only (no key in the environment)."""
    for name in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "CODEX_API_KEY"):
        monkeypatch.delenv(name)
    for directory, name, login in ((".claude", ".credentials.json", CLAUDE_LOGIN),
                                   (".codex", "auth.json", CODEX_LOGIN)):  # fmt: skip
        path = fake_agents.home / directory / name
        path.parent.mkdir()
        path.write_text(json.dumps(login))
        path.chmod(0o600)
    project = E2E(tmp_path / "proj", fake_agents)
    (project.root / ".git").mkdir()  # (codex works in a repository only)
    return project


def login(e2e: E2E, cli: str = "claude") -> dict:  # type: ignore[type-arg]
    name = {"claude": ".claude/.credentials.json", "codex": ".codex/auth.json"}[cli]
    return json.loads((e2e.fake.home / name).read_text())


def copies(e2e: E2E) -> list[str]:
    """What is left under .agentmake/home besides directories and the sweep marker."""
    home = e2e.root / ".agentmake" / "home"
    found = (p for p in home.rglob("*") if not p.is_dir() and p.name != ".logins-removed")
    return sorted(str(p.relative_to(home)) for p in found)


def agentfile(prompt: str, runner: str = "claude", **extra: str) -> str:
    keys = "".join(f"    {k} = {v}\n" for k, v in extra.items())
    return f'agent a:\n    outputs = out.md\n    prompt = "{prompt}"\n    runner = {runner}\n{keys}'


def test_the_copy_is_there_for_the_attempt_and_gone_after_it(e2e: E2E) -> None:
    e2e.write("Agentfile", agentfile("FAKE: show-login"))
    run = e2e.am()
    assert run.code == 0, run
    assert '"refreshToken": "rt-1"' in e2e.read("out.md")  # (the agent was lent the login)
    assert copies(e2e) == []
    assert login(e2e) == CLAUDE_LOGIN
    home = e2e.root / ".agentmake" / "home"
    assert home.stat().st_mode & 0o077 == 0
    assert not (home / "a").exists()  # (the job directory goes with the attempt: test_runnerhunt2_job_dirs)


def test_a_failed_attempt_leaves_no_copy(e2e: E2E) -> None:
    e2e.write("Agentfile", agentfile("FAKE: exit=3 stderr=boom", retries="0"))
    run = e2e.am()
    assert run.code == 1 and "boom" in run.err, run
    assert copies(e2e) == []


def test_an_interrupted_attempt_leaves_no_copy(e2e: E2E) -> None:
    e2e.write("Agentfile", agentfile("FAKE: label=a hang"))
    build = e2e.spawn()
    try:
        wait_for(lambda: e2e.running_agents().get("a"), what="the agent to start")
        assert copies(e2e) == ["a/claude/.credentials.json"]
        build.send_signal(signal.SIGINT)
        run = e2e.finish(build)
    finally:  # (failing, the build must not be left running: its agent hangs, and dies with it)
        if build.poll() is None:  # (Popen, not the pid: a reaped build's pid may be another's by now)
            build.kill()
            build.communicate()
    assert run.code == 130, run
    assert copies(e2e) == []


@pytest.mark.parametrize("cli", ["claude", "codex"])
def test_a_login_the_cli_refreshed_in_its_copy_is_not_written_back(e2e: E2E, cli: str) -> None:
    """The copy is in the project, where the agent may write: what it holds is not known to be the CLI's, so
    the user's own login file is never written (the limitation is documented)."""
    e2e.write("Agentfile", agentfile("FAKE: refresh-login", runner=cli))
    run = e2e.am()
    assert run.code == 0, run
    assert login(e2e, cli) == (CLAUDE_LOGIN if cli == "claude" else CODEX_LOGIN)
    assert copies(e2e) == []


def test_a_job_directory_swapped_for_a_link_during_the_attempt_costs_the_user_nothing(e2e: E2E) -> None:
    """An agent that replaces its config directory with a link to the user's: removing the copy follows no
    link, so the user's login stays."""
    bin_dir = e2e.root.parent / "bin"
    bin_dir.mkdir()
    (bin_dir / "swap").write_text(
        '#!/bin/sh\nrm -rf "$CLAUDE_CONFIG_DIR" && ln -s "$HOME/.claude" "$CLAUDE_CONFIG_DIR"\n'
        f'exec {e2e.fake.bin / "claude"} "$@"\n'
    )
    (bin_dir / "swap").chmod(0o755)
    e2e.write(
        "Agentfile",
        f'runner swap:\n    base = claude\n    command = "{bin_dir / "swap"} -p --output-format json"\n\n'
        + agentfile("hello", runner="swap"),
    )
    assert e2e.am().code == 0
    assert login(e2e) == CLAUDE_LOGIN


def test_a_build_killed_mid_attempt_has_its_copy_removed_by_the_next(e2e: E2E) -> None:
    e2e.write("Agentfile", agentfile("FAKE: label=a refresh-login hang"))
    build = e2e.spawn()
    copy = e2e.root / ".agentmake/home/a/claude/.credentials.json"
    try:
        wait_for(lambda: e2e.running_agents().get("a"), what="the agent to start")
        # (the fake refreshes after it logs its start, before it hangs)
        wait_for(lambda: "rt-1-refreshed" in copy.read_text(), what="the fake to refresh its login")
    finally:  # (failing, the build must not be left running: its agent hangs, and dies with it)
        build.send_signal(signal.SIGKILL)
        e2e.finish(build)
    assert copy.exists()
    e2e.write("Agentfile", agentfile("hello") + '\nagent b:\n    outputs = b.md\n    prompt = "hi"\n')
    run = e2e.am("b")  # (a build of another task: the killed one's leftovers are tidied all the same)
    assert run.code == 0, run
    assert copies(e2e) == []
    assert login(e2e) == CLAUDE_LOGIN


def test_copies_an_older_version_kept_are_removed(e2e: E2E) -> None:
    e2e.write("Agentfile", agentfile("hello"))
    for task in ("old", "gone"):  # (as older versions left them, with no record)
        path = e2e.root / ".agentmake/home" / task / "claude/.credentials.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(CLAUDE_LOGIN))
    (e2e.root / ".agentmake/home/gone/codex").mkdir()
    (e2e.root / ".agentmake/home/gone/codex/auth.json").write_text(json.dumps(CODEX_LOGIN))
    (e2e.root / ".agentmake/home/old/claude/settings.json").write_text("{}")
    assert e2e.am().code == 0
    assert copies(e2e) == ["old/claude/settings.json"]


def test_a_job_directory_linked_to_the_users_config_is_refused(e2e: E2E) -> None:
    """``.agentmake/home/a/claude -> ~/.claude`` (e.g. planted in a repository): copying the login there,
    then removing the copy, would have removed the user's own login."""
    (e2e.root / ".agentmake/home/a").mkdir(parents=True)
    (e2e.root / ".agentmake/home/a/claude").symlink_to(e2e.fake.home / ".claude")
    e2e.write("Agentfile", agentfile("hello"))
    run = e2e.am()
    assert run.code == 1 and "is a symbolic link" in run.err, run
    assert login(e2e) == CLAUDE_LOGIN
    assert sorted(os.listdir(e2e.fake.home / ".claude")) == [".credentials.json"]
