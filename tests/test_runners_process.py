"""Children are owned: timeouts and cancellation end the whole process group, nothing is left behind."""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path

import pytest
from conftest import RunnerProject

from agentmake.runners import kill_process_group


def alive(pid: int) -> bool:
    """True while `pid` runs (a zombie nobody reaps counts as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def grandchild_pid(project: RunnerProject, task_id: str, attempt: int = 1) -> int:
    err = (project.root / ".agentmake" / "logs" / f"{task_id}.{attempt}.err").read_text()
    match = re.search(r"grandchild pid (\d+)", err)
    assert match, err
    return int(match.group(1))


def wait_dead(pid: int, limit: float = 10.0) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_timeout_kills_the_whole_process_group(project: RunnerProject) -> None:
    seen: list[int] = []
    task = project.agent("slow", timeout=5.0)  # (the fake must start its grandchild first: ~0.4 s at load 12)
    res = project.run(
        task, "x\nFAKE: spawn-grandchild hang", on_process=lambda t, pid, pgid: seen.append(pid), grace=1.0
    )
    assert (res.outcome, res.error_type) == ("retry", "timeout")
    assert "timed out after 5s" in res.message
    assert not alive(seen[0])
    assert wait_dead(grandchild_pid(project, "slow"))
    assert res.staged == {} and not (project.root / "out.md").exists()


def test_sigterm_ignored_escalates_to_sigkill(project: RunnerProject) -> None:
    task = project.agent("stubborn", timeout=5.0)  # (a SIGTERM before the fake ignores it would end it)
    started = time.monotonic()
    res = project.run(task, "x\nFAKE: ignore-term spawn-grandchild hang", grace=0.5)
    assert res.error_type == "timeout"
    assert wait_dead(grandchild_pid(project, "stubborn"))
    assert time.monotonic() - started < 30  # generous: it must not hang


def test_cancel_event_terminates_the_attempt(project: RunnerProject) -> None:
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    res = project.run(project.agent("c"), "x\nFAKE: spawn-grandchild hang", cancel=cancel, grace=1.0)
    assert res.outcome == "cancelled"
    assert res.staged == {}
    assert wait_dead(grandchild_pid(project, "c"))


def test_cancel_before_start_runs_nothing(project: RunnerProject, fake_agents) -> None:  # type: ignore[no-untyped-def]
    cancel = threading.Event()
    cancel.set()
    res = project.run(project.agent("c"), "x", cancel=cancel)
    assert res.outcome == "cancelled"
    assert fake_agents.log_lines() == []


def test_background_grandchild_is_ended_after_a_normal_exit(project: RunnerProject) -> None:
    res = project.run(project.agent("g"), "x\nFAKE: spawn-grandchild", grace=1.0)
    assert res.outcome == "ok", res.message
    assert wait_dead(grandchild_pid(project, "g"))


def test_kill_process_group_of_a_missing_group_is_harmless() -> None:
    assert kill_process_group(2_000_000_000, grace=0.1) is False


def test_fake_log_records_start_and_end(project: RunnerProject, fake_agents) -> None:  # type: ignore[no-untyped-def]
    project.run(project.agent("a"), "x\nFAKE: label=first")
    events = [(e, cli, label) for e, _, _, cli, label in fake_agents.log_lines()]
    assert events == [("start", "claude", "first"), ("end", "claude", "first")]


def _environment_of(tmp_path: Path, env: dict[str, str] | None, token: str | None, parent_death: bool) -> str:
    from agentmake.runners.process import run_process

    out = tmp_path / "env.out"
    res = run_process(
        ["env"], stdin=None, env=env, cwd=tmp_path, stdout_path=out, stderr_path=tmp_path / "env.err",
        timeout=10, cancel=threading.Event(), parent_death=parent_death, token=token,
    )  # fmt: skip
    assert res.exit_code == 0
    return out.read_text()


def test_a_token_is_added_to_the_environment_a_child_gets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentmake.runners.process import SPAWN_VAR

    monkeypatch.setenv("AGENTMAKE_TEST_INHERITED", "é 1")  # set after start-up: still inherited
    inherited = _environment_of(tmp_path, None, "abc.1", parent_death=False).splitlines()
    assert f"{SPAWN_VAR}=abc.1" in inherited and "AGENTMAKE_TEST_INHERITED=é 1" in inherited
    assert sorted(inherited) == sorted([*(f"{k}={v}" for k, v in os.environ.items()), f"{SPAWN_VAR}=abc.1"])
    assert SPAWN_VAR not in os.environ  # agentmake's own environment is left as it was
    given = _environment_of(tmp_path, {"ONLY": "this"}, "abc.2", parent_death=True).splitlines()
    assert sorted(given) == sorted(["ONLY=this", f"{SPAWN_VAR}=abc.2"])
    assert SPAWN_VAR not in _environment_of(tmp_path, None, None, parent_death=False)
