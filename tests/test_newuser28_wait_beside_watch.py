"""`agentmake --wait` while an `agentmake watch` holds the project and nothing is to run waited for the watch
to end, which it never does by itself (a script's `agentmake --wait` hung), where a plain build says "nothing
to run" and exits 0. Now --wait says the same (newuser28); with something to run it still waits, as asked.
What a watch keeps from running is named in -n's order (natural: m2 before m10)."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from conftest import FakeAgents
from e2e_helpers import E2E, kill_quietly, wait_for

AGENTFILE = """\
agent a:
    inputs = a.md
    outputs = out/a.md
    run = "cat {input} > {output}"
"""

FANOUT = """\
agent a:
    inputs = docs/{name}.md
    outputs = out/{name}.md
    run = "cat {input} > {output}"
"""


@contextmanager
def _watching(e2e: E2E, log: Path, *args: str) -> Iterator[int]:
    """An `agentmake watch` of the project (with `args`), started (its pid), and stopped (SIGTERM) at the
    end."""
    with log.open("w") as err:
        watch = subprocess.Popen(
            e2e.argv(("watch", *args)), cwd=e2e.root, env=e2e.env(), stdout=subprocess.DEVNULL,
            stderr=err, stdin=subprocess.DEVNULL, text=True,
        )  # fmt: skip
    try:
        wait_for(lambda: "watching for changes" in log.read_text() or watch.poll() is not None,
                 what="the watch to start")  # fmt: skip
        assert watch.poll() is None, log.read_text()
        yield watch.pid
    finally:
        watch.send_signal(signal.SIGTERM)
        try:
            watch.wait(timeout=30)
        except subprocess.TimeoutExpired:
            kill_quietly(watch.pid)
            watch.wait(timeout=30)


def test_wait_with_nothing_to_run_beside_a_watch_exits_0(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE, dedent=False)
    e2e.write("a.md", "alpha\n")
    assert e2e.am().code == 0
    with _watching(e2e, tmp_path / "watch.err") as pid:
        run = e2e.am("--wait", timeout=120)  # (it waited for ever: TimeoutExpired)
        assert run.code == 0, run
        assert "agentmake: 0 ran, 0 cached, 1 up to date, 0 failed in " in run.out, run
        assert f"nothing to run; an `agentmake watch` (pid {pid}) is using the project" in run.err, run


def test_the_tasks_a_watch_keeps_from_running_are_named_as_dry_run_names_them(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    """(newuser28) `3 tasks to run (a:m1, a:m10, a:m2)` where -n says a:m1, a:m2, a:m10."""
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", FANOUT, dedent=False)
    for n in (1, 2, 10):
        e2e.write(f"docs/m{n}.md", f"doc {n}\n")
    assert e2e.am().code == 0
    with _watching(e2e, tmp_path / "watch.err"):
        run = e2e.am("-B")
        assert run.code == 2, run
        assert "3 tasks to run (a:m1, a:m2, a:m10), but an `agentmake watch`" in run.err, run


SLOW = """\
agent a:
    inputs = a.md
    outputs = out/a.md
    run = "sleep 2; cat {input} > {output}"
"""


def test_wait_beside_a_watch_building_what_is_stale_ends_once_it_is_built(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    """(review21) A --wait build while a watch is building the task it would run (an input was just edited):
    it waited for the watch to end, which it never does by itself (a script's `agentmake --wait` hung, as
    newuser28's nothing-to-run case did); now it waits until the watch has built it, then says nothing to
    run (exit 0), as it says at once when the watch built it before."""
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", SLOW, dedent=False)
    e2e.write("a.md", "alpha\n")
    assert e2e.am().code == 0
    log = tmp_path / "watch.err"
    with _watching(e2e, log) as pid:
        e2e.write("a.md", "beta\n")
        wait_for(lambda: "running" in log.read_text(), what="the watch to run a")
        run = e2e.am("--wait", timeout=60)  # (it waited for ever: TimeoutExpired)
        assert run.code == 0, run
        assert "agentmake: 0 ran, 0 cached, 1 up to date, 0 failed in " in run.out, run
        assert f"nothing to run; an `agentmake watch` (pid {pid}) is using the project" in run.err, run
        assert "waiting for it to build 1 task (a), or to end" in run.err, run
        assert (e2e.root / "out" / "a.md").read_text() == "beta\n"
