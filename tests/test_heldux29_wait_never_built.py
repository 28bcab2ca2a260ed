"""(heldux29) `agentmake --wait` beside an `agentmake watch` waits for the watch to build what is stale; where
the watch never will (it failed the task and holds it until what it reads changes, or it builds other
targets, or other variables) it decided again every 2 s for ever. Now it ends: a task the watch failed is
named with why, exit 1, as a build of it that failed; one the watch does not build is refused as without
--wait (exit 2), saying so."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import FakeAgents
from e2e_helpers import E2E, wait_for
from test_newuser28_wait_beside_watch import _watching

FAILING = """\
jobs = 1

agent a:
    inputs = a.md
    outputs = out/a.md
    run = "echo boom >&2; exit 3"
    retries = 0

agent b:
    inputs = b.md
    outputs = out/b.md
    run = "cat {input} > {output}"
"""

BOTH = FAILING.replace('"echo boom >&2; exit 3"\n    retries = 0', '"cat {input} > {output}"').replace(
    "jobs = 1\n\n", ""
)


def _project(tmp_path: Path, fake_agents: FakeAgents, agentfile: str) -> E2E:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", agentfile, dedent=False)
    e2e.write("a.md", "alpha\n")
    e2e.write("b.md", "beta\n")
    return e2e


def test_wait_ends_when_the_watch_failed_the_task(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e2e = _project(tmp_path, fake_agents, FAILING)
    log = tmp_path / "watch.err"
    with _watching(e2e, log) as pid:
        # (one slot: a, first in the graph, fails before b starts, and the build stops: b is not run)
        wait_for(lambda: "not run     b" in log.read_text(), what="the watch to fail a and not run b")
        wait_for(lambda: '"held": {"a"' in (e2e.root / ".agentmake" / "watch.json").read_text(),
                 what="the watch to say it holds a")  # fmt: skip
        run = e2e.am("--wait", timeout=120)  # (it decided again every 2 s for ever: TimeoutExpired)
        assert run.code == 1, run
        assert f"agentmake: a failed in an `agentmake watch` (pid {pid}): exited with code 3: boom" in run.err
        assert "the watch runs it again once what it reads changes" in run.err, run
        # b, which does not need a, was not run either (the watch's build stopped after a failed): the
        # watch runs it at its next change; --wait ends once the watch stays idle a moment (it waited on)
        run = e2e.am("--wait", "b", timeout=120)
        assert run.code == 1, run
        assert (
            f"b was not run by an `agentmake watch` (pid {pid}): build stopped after failure of a" in run.err
        ), run
        assert "the watch runs it at its next change: not waiting" in run.err, run
        e2e.write("b.md", "beta 2\n")  # (the change: it builds b, and --wait waits for that)
        run = e2e.am("--wait", "b", timeout=120)
        assert run.code == 0, run
        assert (e2e.root / "out" / "b.md").read_text() == "beta 2\n"
    # (the watch's note goes with it)
    assert not (e2e.root / ".agentmake" / "watch.json").exists()


def test_wait_ends_when_the_watch_builds_other_targets(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e2e = _project(tmp_path, fake_agents, BOTH)
    log = tmp_path / "watch.err"
    with _watching(e2e, log, "b") as pid:
        run = e2e.am("--wait", timeout=120)  # (it decided again every 2 s for ever: TimeoutExpired)
        assert run.code == 2, run
        assert (
            f"1 task to run (a), which an `agentmake watch` (pid {pid}) does not build (it builds b only):"
            f" stop it (`kill {pid}`), then build" in run.err
        ), run
    assert not (e2e.root / "out" / "a.md").exists()


def test_wait_ends_when_the_watch_builds_other_variables(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e2e = _project(tmp_path, fake_agents, BOTH.replace("cat {input}", "echo ${v} | cat {input} -"))
    e2e.write("Agentfile", "v = 1\n" + e2e.root.joinpath("Agentfile").read_text(), dedent=False)
    log = tmp_path / "watch.err"
    with _watching(e2e, log, "v=2") as pid:
        wait_for(lambda: (e2e.root / "out" / "b.md").exists(), what="the watch to build")
        run = e2e.am("--wait", timeout=120)  # (its v=2 outputs are not this build's v=1)
        assert run.code == 2, run
        assert (
            f"2 tasks to run (a, b), which an `agentmake watch` (pid {pid}) does not build (its command line"
            " sets other variables)" in run.err
        ), run


def test_wait_ends_when_the_watch_builds_another_agentfile(tmp_path: Path, fake_agents: FakeAgents) -> None:
    """(review29b) A watch of another Agentfile of the same directory (`watch -f Other`) holds the same
    project lock but never builds this one's tasks: --wait decided again every 2 s for ever."""
    e2e = _project(tmp_path, fake_agents, BOTH)
    e2e.write("Other", BOTH.replace("agent a:", "agent x:").replace("out/", "other/"), dedent=False)
    log = tmp_path / "watch.err"
    with _watching(e2e, log, "-f", "Other") as pid:
        wait_for(lambda: (e2e.root / "other" / "b.md").exists(), what="the watch to build")
        run = e2e.am("--wait", timeout=120)
        assert run.code == 2, run
        assert (
            f"2 tasks to run (a, b), which an `agentmake watch` (pid {pid}) does not build (it builds Other)"
            in run.err
        ), run
    assert not (e2e.root / "out" / "a.md").exists()


CLAUDE = """\
runner c:
    base = claude

agent a:
    runner = c
    outputs = out/a.md
    prompt = "hi"
"""


def test_wait_ends_when_the_watch_stays_idle(tmp_path: Path, fake_agents: FakeAgents) -> None:
    """(review29b) Under ANTHROPIC_MODEL set here, not in the watch's environment, a is stale for --wait and
    up to date for the watch, which never builds it: --wait decided again every 2 s for ever."""
    e2e = _project(tmp_path, fake_agents, CLAUDE)
    log = tmp_path / "watch.err"
    with _watching(e2e, log) as pid:
        wait_for(lambda: (e2e.root / "out" / "a.md").exists(), what="the watch to build")
        env = {**e2e.env(), "ANTHROPIC_MODEL": "claude-opus-4"}
        run = subprocess.run(
            e2e.argv(("--wait",)), cwd=e2e.root, env=env, capture_output=True, text=True, timeout=120
        )
        assert run.returncode == 2, run
        assert f"1 task to run (a), which an `agentmake watch` (pid {pid}) does not build (it stays idle" in (
            run.stderr
        ), run
    assert len(e2e.calls()) == 1  # (the watch's build alone)
