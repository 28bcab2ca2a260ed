"""(heldux29) A build while another agentmake holds the project says what it would do (exit 2): it counted the
results it would restore from the cache as tasks to run ("2 tasks to run (a, b)" where -n says "1 to run, 1
to restore from the cache"); now it counts them apart, as -n does."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """\
agent a:
    inputs = a.md
    outputs = out/a.md
    run = "cat {input} > {output}"

agent b:
    inputs = b.md
    outputs = out/b.md
    run = "cat {input} > {output}"
"""


def _held_build(e2e: E2E, *args: str) -> str:
    """What a build says while another agentmake (pid 4242, not a watch) holds the project: its stderr."""
    fd = os.open(e2e.root / ".agentmake" / "lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, b"4242\n\n", 0)
        run = e2e.am(*args)
    finally:
        os.close(fd)
    assert run.code == 2, run
    return run.err


def test_a_held_build_counts_restores_apart(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE, dedent=False)
    e2e.write("a.md", "one\n")
    e2e.write("b.md", "beta\n")
    assert e2e.am().code == 0
    e2e.write("a.md", "two\n")
    assert e2e.am().code == 0
    e2e.write("a.md", "one\n")  # (a's first result, in the cache: restored)
    e2e.write("b.md", "beta 2\n")  # (b: run)
    assert "1 to run, 1 to restore from the cache" in e2e.am("-n").out + e2e.am("-n").err
    err = _held_build(e2e)
    assert "agentmake: error: 1 task to run, 1 to restore (a, b), but another agentmake (pid 4242)" in err
    err = _held_build(e2e, "a")
    assert "agentmake: error: 1 task to restore (a), but another agentmake (pid 4242)" in err


CHAIN = AGENTFILE.replace("inputs = b.md", "inputs = out/a.md")


def test_a_held_build_counts_what_may_run_apart(tmp_path: Path, fake_agents: FakeAgents) -> None:
    """(review29b) b reads what a makes: -n says "1 to run, 1 may run"; a held build said "2 tasks to
    run"."""
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", CHAIN, dedent=False)
    e2e.write("a.md", "one\n")
    assert e2e.am().code == 0
    e2e.write("a.md", "two\n")
    assert "1 to run, 1 may run" in e2e.am("-n").out + e2e.am("-n").err
    err = _held_build(e2e)
    assert "agentmake: error: 1 task to run, 1 may run (a, b), but another agentmake (pid 4242)" in err, err
