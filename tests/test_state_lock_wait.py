"""Another program holding the state database's write lock (a real second SQLite connection in a
subprocess, in `BEGIN IMMEDIATE`, as a `sqlite3` shell with an open transaction holds it) while a real build
runs: the build waits, says for what, and loses nothing (it failed with "database is locked" after 10 s, and
the result that had finished meanwhile was thrown away)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E, alive

HOLDER = """\
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("held", flush=True)
sys.stdin.readline()
conn.execute("COMMIT")
"""

AGENTFILE = """\
agent one:
    inputs = src.md
    outputs = out/a.md
    prompt = \"\"\"
        FAKE: label=one sleep=1
        {{ read(input) }}
        \"\"\"

agent count:
    inputs = out/a.md
    outputs = out/count.txt
    run = "wc -l < {input} > {output}"
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    project = E2E(tmp_path / "proj", fake_agents)
    project.write("Agentfile", AGENTFILE)
    project.write("src.md", "first\n")
    built = project.am()
    assert built.code == 0, built
    project.write("src.md", "second\n")
    return project


class Holder:
    """A second connection to the state database, holding its write lock until `release()`."""

    def __init__(self, db: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None and self.proc.stdout.readline() == "held\n"

    def release(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.write("\n")
            self.proc.stdin.close()
            self.proc.wait(15)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


class Build:
    """`agentmake` in the background, its stderr in a file that can be read while it runs."""

    def __init__(self, e2e: E2E, tmp_path: Path) -> None:
        self.err_path = tmp_path / "build.err"
        self.err = self.err_path.open("w")
        self.proc = subprocess.Popen(
            e2e.argv(()), cwd=e2e.root, env=e2e.env(), stdout=subprocess.PIPE, stderr=self.err, text=True
        )

    def stderr(self) -> str:
        return self.err_path.read_text()

    def wait_for(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.stderr():
            assert self.proc.poll() is None, f"agentmake ended ({self.proc.returncode}):\n{self.stderr()}"
            assert time.monotonic() < deadline, f"no {text!r} in:\n{self.stderr()}"
            time.sleep(0.05)

    def finish(self) -> tuple[int, str, str]:
        out, _ = self.proc.communicate(timeout=60)
        self.err.close()
        return self.proc.returncode, out, self.stderr()


@pytest.fixture
def holders() -> Iterator[list[Holder]]:
    made: list[Holder] = []
    yield made
    for holder in made:
        holder.release()


def _answer_when_told(e2e: E2E) -> None:
    """From now on the agent's answer reaches agentmake only once `_tell_to_answer`: it answers, then
    lingers (its stdout open) until told to exit. (A fixed `sleep=1` was over before a holder that took more
    than a second to start, on a loaded machine, held the lock: the build finished without waiting.)"""
    e2e.write("Agentfile", AGENTFILE.replace("sleep=1", "linger=120"))


def _tell_to_answer(e2e: E2E) -> int:
    """Let the lingering agent exit (its answer goes to agentmake); its pid."""
    (e2e.fake.state / "stop-lingering").touch()
    return [pid for ev, _, pid, _, label in e2e.fake.log_lines() if ev == "start" and label == "one"][-1]


def _wait_for_agent(e2e: E2E, build: Build) -> None:
    deadline = time.monotonic() + 30
    while len(e2e.calls("one")) < 2:  # (the fixture's build called it once)
        assert build.proc.poll() is None, build.stderr()
        assert time.monotonic() < deadline, "the agent never started"
        time.sleep(0.02)


WAITING = "agentmake: waiting for .agentmake/state.db: another program (pid {pid}, python"


def test_a_lock_held_while_an_agent_runs_is_waited_for_and_nothing_is_lost(
    e2e: E2E, tmp_path: Path, holders: list[Holder]
) -> None:
    _answer_when_told(e2e)
    build = Build(e2e, tmp_path)
    _wait_for_agent(e2e, build)
    holders.append(holder := Holder(e2e.root / ".agentmake/state.db"))
    _tell_to_answer(e2e)  # its answer comes while held
    build.wait_for(WAITING.format(pid=holder.proc.pid))
    holder.release()
    code, out, err = build.finish()
    assert code == 0, err
    assert out.startswith("agentmake: 2 ran, 0 cached, 0 up to date, 0 failed"), out
    assert ".agentmake/state.db is free again after" in err
    assert "second" in e2e.read("out/a.md") and e2e.read("out/count.txt").strip() == "2"
    assert e2e.calls("one") == ["one", "one"]  # one call per build
    assert e2e.am().summary.up_to_date == 2  # and it was all recorded


def test_a_lock_held_when_the_build_starts_is_waited_for(
    e2e: E2E, tmp_path: Path, holders: list[Holder]
) -> None:
    holders.append(holder := Holder(e2e.root / ".agentmake/state.db"))
    build = Build(e2e, tmp_path)
    build.wait_for(WAITING.format(pid=holder.proc.pid))
    assert e2e.calls("one") == ["one"]  # nothing started while the build cannot record it
    holder.release()
    code, out, err = build.finish()
    assert code == 0 and out.startswith("agentmake: 2 ran,"), err
    assert e2e.calls("one") == ["one", "one"]


def test_a_build_stopped_while_it_waits_keeps_the_answer_for_the_next_build(
    e2e: E2E, tmp_path: Path, holders: list[Holder]
) -> None:
    _answer_when_told(e2e)
    build = Build(e2e, tmp_path)
    _wait_for_agent(e2e, build)
    holders.append(holder := Holder(e2e.root / ".agentmake/state.db"))
    agent = _tell_to_answer(e2e)
    build.wait_for(WAITING.format(pid=holder.proc.pid))
    deadline = time.monotonic() + 30
    while alive(agent):  # the answer has come: only its record waits
        assert time.monotonic() < deadline
        time.sleep(0.02)
    build.proc.send_signal(signal.SIGTERM)
    code, out, err = build.finish()
    assert code == 130, err
    assert "0 ran, 0 cached, 0 up to date, 0 failed, 1 interrupted, 1 not run" in out, out
    assert f"agentmake: stopped while another program (pid {holder.proc.pid}, python" in err, err
    assert "one: finished, not recorded: its answer is kept beside its logs; the next build uses it" in err
    assert "end that program's transaction (COMMIT or ROLLBACK, or quit it), then run agentmake again" in err
    assert "Traceback" not in err
    assert "first" in e2e.read("out/a.md")  # the old output, untouched
    holder.release()
    again = e2e.am()
    assert again.code == 0, again
    assert e2e.calls("one") == ["one", "one"]  # the answer paid for was not asked for again
    assert "salvaged" in again.err and "second" in e2e.read("out/a.md")
    assert e2e.read("out/count.txt").strip() == "2"
