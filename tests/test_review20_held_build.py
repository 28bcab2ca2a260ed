"""A build while another agentmake holds the project (ux28, `workflow.heldbuild`) warns as a build does before
it decides: an input left over from a task no longer in the Agentfile is said, as a build and -n say it,
not passed over with "nothing to run" and exit 0 (review20)."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from conftest import FakeAgents
from e2e_helpers import E2E

BOTH = """\
agent a:
    inputs = a.md
    outputs = out/a.md
    run = "cat {input} > {output}"

agent b:
    inputs = out/a.md
    outputs = out/b.md
    run = "cat {input} > {output}"
"""
LEFT = "out/a.md is left over from a, which is no longer in the graph, and b reads it"


def test_a_held_build_with_nothing_to_run_warns_of_a_leftover_it_reads(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", BOTH, dedent=False)
    e2e.write("a.md", "alpha\n")
    assert e2e.am().code == 0
    e2e.write("Agentfile", BOTH.split("\n\n", 1)[1], dedent=False)  # (agent a dropped: out/a.md left over)
    assert LEFT in e2e.am("-n").err  # (as -n says it)
    fd = os.open(e2e.root / ".agentmake" / "lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # (another agentmake holds the project)
        os.ftruncate(fd, 0)
        os.pwrite(fd, b"4242\nwatch\n", 0)
        run = e2e.am()
    finally:
        os.close(fd)
    assert run.code == 0, run
    assert "nothing to run; an `agentmake watch` (pid 4242) is using the project" in run.err, run
    assert LEFT in run.err, run
    assert LEFT in e2e.am().err  # (as a build says it)


def test_a_wait_build_beside_a_watch_with_nothing_to_run_warns_of_a_leftover_it_reads(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    """review21: `--wait` beside a live watch with nothing to run answers without waiting
    (`heldbuild.up_to_date_beside_watch`, newuser28): it said 'nothing to run', exit 0, and not the leftover
    that -n, a build, and the same build without --wait say."""
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", BOTH, dedent=False)
    e2e.write("a.md", "alpha\n")
    assert e2e.am().code == 0
    e2e.write("Agentfile", BOTH.split("\n\n", 1)[1], dedent=False)  # (agent a dropped: out/a.md left over)
    fd = os.open(e2e.root / ".agentmake" / "lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # (a live watch holds the project: this test's own pid)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\nwatch\n".encode(), 0)
        run = e2e.am("--wait", timeout=30)
    finally:
        os.close(fd)
    assert run.code == 0, run
    assert f"nothing to run; an `agentmake watch` (pid {os.getpid()}) is using the project" in run.err, run
    assert run.err.count(LEFT) == 1, run
