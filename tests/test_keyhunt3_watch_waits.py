"""`agentmake watch` started while another agentmake builds the project (a second terminal) waits for that
build to end, saying so, then builds what is still stale and watches. It gave up after two seconds with
"another agentmake (pid N) is using ...", exit 2: a watch left to run while a long build goes on was gone.
Real processes: the first build's fake agent lingers until the test lets it exit."""

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
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE, dedent=False)
    e2e.write("a.md", "alpha\n")
    e2e.write("b.md", "beta\n")
    return e2e


def test_a_watch_waits_for_the_build_that_holds_the_project_then_builds_what_is_stale(
    e2e: E2E, tmp_path: Path
) -> None:
    first = e2e.spawn("a")  # (b is left stale: the watch builds it)
    log = tmp_path / "watch.err"
    watch: subprocess.Popen[str] | None = None
    try:
        wait_for(lambda: e2e.calls("a") == ["a"], what="the first build's agent")
        with log.open("w") as err:
            watch = subprocess.Popen(
                e2e.argv(("watch",)), cwd=e2e.root, env=e2e.env(), stdout=subprocess.DEVNULL,
                stderr=err, stdin=subprocess.DEVNULL, text=True,
            )  # fmt: skip
        wait_for(lambda: "waiting for it to end" in log.read_text() or watch.poll() is not None,
                 what="the watch to say it waits")  # fmt: skip
        said = log.read_text()
        assert watch.poll() is None, said
        assert f"another agentmake (pid {first.pid}) is using" in said, said
        assert not e2e.exists("out/b.md")
        (e2e.fake.state / "stop-lingering").touch()  # (the first build ends)
        run = E2E.finish(first, ("a",))
        assert run.code == 0, run
        wait_for(lambda: "watching for changes" in log.read_text() or watch.poll() is not None,
                 what="the watch's first build")  # fmt: skip
        assert watch.poll() is None, log.read_text()
        assert e2e.exists("out/b.md")
        assert e2e.calls("a") == ["a"] and e2e.calls("b") == ["b"]  # (a was up to date)
        e2e.write("b.md", "beta 2\n")  # (and it watches)
        wait_for(lambda: e2e.calls("b") == ["b", "b"], what="the watch to build the edit")
    finally:
        kill_quietly(first.pid)
        first.communicate(timeout=30)
        if watch is not None:
            watch.send_signal(signal.SIGINT)
            try:
                watch.wait(timeout=30)
            except subprocess.TimeoutExpired:
                kill_quietly(watch.pid)
                watch.wait(timeout=30)


def test_a_watch_waiting_for_the_project_stops_at_ctrl_c(e2e: E2E, tmp_path: Path) -> None:
    first = e2e.spawn("a")
    log = tmp_path / "watch.err"
    try:
        wait_for(lambda: e2e.calls("a") == ["a"], what="the first build's agent")
        with log.open("w") as err:
            watch = subprocess.Popen(
                e2e.argv(("watch",)), cwd=e2e.root, env=e2e.env(), stdout=subprocess.DEVNULL,
                stderr=err, stdin=subprocess.DEVNULL, text=True,
            )  # fmt: skip
        wait_for(lambda: "waiting for it to end" in log.read_text() or watch.poll() is not None,
                 what="the watch to say it waits")  # fmt: skip
        watch.send_signal(signal.SIGINT)
        assert watch.wait(timeout=30) == 130, log.read_text()
        assert "Traceback" not in log.read_text()
    finally:
        (e2e.fake.state / "stop-lingering").touch()
        first.communicate(timeout=60)
