"""`--wait`: a build, report or clean started while another agentmake holds the project waits for it,
saying so once, instead of stopping after a moment with exit 2 (`workflow.waiting`). A script or CI job
that starts two agentmakes at once (or one while a `watch` runs) no longer has to retry by hand. Ctrl-C
ends the wait (exit 130, nothing built). Real processes: the first build's fake agent lingers until the
test lets it exit."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E, kill_quietly, wait_for

AGENTFILE = """\
agent a:
    inputs = a.md
    outputs = out/a.md
    prompt = "FAKE: label=a linger=300\\n{{ read(input) }}"

agent b:
    inputs = b.md
    outputs = out/b.md
    prompt = "FAKE: label=b\\n{{ read(input) }}"

report all:
    inputs = out/*.md
    output = REPORT.md
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE, dedent=False)
    e2e.write("a.md", "alpha\n")
    e2e.write("b.md", "beta\n")
    return e2e


def _second(e2e: E2E, tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], Path]:
    log = tmp_path / "second.err"
    with log.open("w") as err:
        proc = subprocess.Popen(
            e2e.argv(args), cwd=e2e.root, env=e2e.env(), stdout=subprocess.PIPE, stderr=err,
            stdin=subprocess.DEVNULL, text=True,
        )  # fmt: skip
    return proc, log


def _end(proc: subprocess.Popen[str]) -> None:
    """End `proc` if it still runs, and close its pipes (an open one is a ResourceWarning later)."""
    if proc.poll() is None:
        kill_quietly(proc.pid)
    proc.communicate(timeout=30)


def test_without_wait_a_second_build_stops_with_exit_2(e2e: E2E) -> None:
    first = e2e.spawn("a")
    try:
        wait_for(lambda: e2e.calls("a") == ["a"], what="the first build's agent")
        run = e2e.am("b")
        assert run.code == 2, run
        assert f"another agentmake (pid {first.pid}) is using" in run.err, run
        assert "--wait" not in run.err or "waiting" not in run.err
        assert not e2e.exists("out/b.md")
    finally:
        (e2e.fake.state / "stop-lingering").touch()
        first.communicate(timeout=60)


@pytest.mark.parametrize("command", [(), ("build",), ("report",)])
def test_with_wait_a_second_build_waits_then_builds_what_is_stale(
    e2e: E2E, tmp_path: Path, command: tuple[str, ...]
) -> None:
    first = e2e.spawn("a")
    second: subprocess.Popen[str] | None = None
    try:
        wait_for(lambda: e2e.calls("a") == ["a"], what="the first build's agent")
        second, log = _second(e2e, tmp_path, *command, "--wait")
        wait_for(lambda: "waiting for it to end" in log.read_text() or second.poll() is not None,
                 what="the second build to say it waits")  # fmt: skip
        said = log.read_text()
        assert second.poll() is None, said
        assert f"another agentmake (pid {first.pid}) is using" in said and "(--wait; Ctrl-C to stop)" in said
        assert said.count("waiting for it to end") == 1
        assert not e2e.exists("out/b.md")
        (e2e.fake.state / "stop-lingering").touch()  # (the first build ends)
        assert E2E.finish(first, ("a",)).code == 0
        out, _ = second.communicate(timeout=120)
        assert second.returncode == 0, (out, log.read_text())
        assert e2e.exists("out/b.md")
        assert e2e.calls("a") == ["a"] and e2e.calls("b") == ["b"]  # (a was built by the first, once)
    finally:
        kill_quietly(first.pid)
        first.communicate(timeout=30)
        if second is not None:
            _end(second)


def test_clean_with_wait_waits_for_the_build_then_removes_its_outputs(e2e: E2E, tmp_path: Path) -> None:
    first = e2e.spawn("a")
    second: subprocess.Popen[str] | None = None
    try:
        wait_for(lambda: e2e.calls("a") == ["a"], what="the first build's agent")
        second, log = _second(e2e, tmp_path, "clean", "--wait")
        wait_for(lambda: "waiting for it to end" in log.read_text() or second.poll() is not None,
                 what="clean to say it waits")  # fmt: skip
        assert second.poll() is None, log.read_text()
        (e2e.fake.state / "stop-lingering").touch()
        assert E2E.finish(first, ("a",)).code == 0  # (its out/a.md made, then the clean takes the project)
        second.communicate(timeout=120)
        assert second.returncode == 0, log.read_text()
        assert not e2e.exists("out/a.md")
    finally:
        kill_quietly(first.pid)
        first.communicate(timeout=30)
        if second is not None:
            _end(second)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_ctrl_c_ends_the_wait_with_130_and_builds_nothing(e2e: E2E, tmp_path: Path, signum: int) -> None:
    """Ctrl-C, SIGTERM and SIGHUP alike, as README and --help's exit status say (SIGTERM and SIGHUP killed
    a build waiting with --wait at once: exit -15, -1)."""
    first = e2e.spawn("a")
    second: subprocess.Popen[str] | None = None
    try:
        wait_for(lambda: e2e.calls("a") == ["a"], what="the first build's agent")
        second, log = _second(e2e, tmp_path, "--wait", "b")
        wait_for(lambda: "waiting for it to end" in log.read_text() or second.poll() is not None,
                 what="the second build to say it waits")  # fmt: skip
        second.send_signal(signum)  # (at once: the line is said once the signals are handled)
        second.communicate(timeout=30)
        assert second.returncode == 130, log.read_text()
        assert "Traceback" not in log.read_text()
        assert e2e.calls("b") == [] and not e2e.exists("out/b.md")
    finally:
        (e2e.fake.state / "stop-lingering").touch()
        first.communicate(timeout=60)
        if second is not None:
            _end(second)


def test_wait_is_no_option_of_commands_that_never_lock(e2e: E2E) -> None:
    run = e2e.am("status", "--wait")
    assert run.code == 2 and "--wait is an option of" in run.err, run


def test_touch_with_wait_waits_for_the_build_then_touches(e2e: E2E, tmp_path: Path) -> None:
    first = e2e.spawn("a")
    second: subprocess.Popen[str] | None = None
    try:
        wait_for(lambda: e2e.calls("a") == ["a"], what="the first build's agent")
        e2e.write("out/b.md", "made elsewhere\n")  # (b's output is there: -t can vouch for it)
        second, log = _second(e2e, tmp_path, "-t", "--wait", "b")
        wait_for(lambda: "waiting for it to end" in log.read_text() or second.poll() is not None,
                 what="-t to say it waits")  # fmt: skip
        assert second.poll() is None, log.read_text()
        (e2e.fake.state / "stop-lingering").touch()
        assert E2E.finish(first, ("a",)).code == 0
        out, _ = second.communicate(timeout=120)
        assert second.returncode == 0, (out, log.read_text())
        assert "1 touched" in out, out
        assert e2e.am("-q", "b").code == 0 and e2e.calls("b") == []
    finally:
        kill_quietly(first.pid)
        first.communicate(timeout=30)
        if second is not None:
            _end(second)
