"""`agentmake -n` while another agentmake runs a task: the dry run said "would run" of it, as if nothing ran
it; it says the task is running elsewhere (which agentmake), as `status` does, and counts it apart."""

from __future__ import annotations

from pathlib import Path

from conftest import FakeAgents
from e2e_helpers import E2E, fanout_agentfile, kill_quietly, wait_for


def test_a_dry_run_says_a_task_another_agentmake_runs_is_running_elsewhere(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e = E2E(tmp_path / "p", fake_agents)
    e.write("Agentfile", fanout_agentfile(sleep=60.0))
    e.write("docs/a.md", "doc a\n")
    first = e.spawn("-j", "1")
    try:
        wait_for(lambda: e.calls() == ["a"], what="the agent to start")
        wait_for(lambda: "running in another process" in e.am("status").out, what="status: running")
        dry = e.am("-n")
        assert dry.code == 0, dry
        lines = dry.out.splitlines()
        assert f"running elsewhere translate:a: agentmake (pid {first.pid}) is running it now" in lines, dry
        assert not any(line.startswith("would run translate:a") for line in lines), dry
        assert lines[-1].startswith("agentmake: 1 to run, "), dry  # (summary)
        assert "1 running elsewhere" in lines[-1], dry
    finally:
        kill_quietly(first.pid)
        E2E.finish(first)
    after = e.am("-n")  # (killed: nothing runs it now, a build would)
    assert "would run translate:a" in after.out, after
