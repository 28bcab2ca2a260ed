"""The live table hides the terminal's cursor while it draws; a Ctrl-Z stops agentmake with the table still
up, and the shell that takes the terminal then had no cursor. Now agentmake shows the cursor again as it
stops and hides it once continued (`suspend.watching`). agentmake runs on a real pseudo-terminal here, as
a job of its own (a process group in this session, so that the kernel does stop it at a SIGTSTP)."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E, as_a_job, process_state, wait_for
from rich.console import Console

from agentmake.display import LiveDisplay
from agentmake.runners import suspend
from agentmake.scheduler.events import BuildResult, TaskEvent

SHOW, HIDE = b"\x1b[?25h", b"\x1b[?25l"
AGENTFILE = """agent ticking:
    run = "while [ ! -e go ]; do echo t >> ticks; sleep 0.05; done; echo done > {output}"
    outputs = out/x.txt
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


class Terminal:
    """The master side of a pseudo-terminal, everything written to it kept in `seen`."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        self.seen = b""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:  # (EIO: every writer closed its side)
                return
            if not data:
                return
            self.seen += data

    def close(self) -> None:
        self._reader.join(timeout=10)
        os.close(self.master)


def test_a_ctrl_z_gives_the_shell_its_cursor_back_and_fg_hides_it_again(e2e: E2E) -> None:
    e2e.write("Agentfile", AGENTFILE, dedent=False)
    env = e2e.env()
    env.pop("CI", None)
    env.update(TERM="xterm", COLUMNS="100", LINES="30")
    term = Terminal()
    group = as_a_job()
    proc = subprocess.Popen(  # type: ignore[call-overload]
        e2e.argv(()), cwd=e2e.root, env=env, stdin=subprocess.DEVNULL, stdout=term.slave, stderr=term.slave,
        **group,
    )  # fmt: skip
    os.close(term.slave)
    try:
        wait_for(lambda: HIDE in term.seen and e2e.exists("ticks"), what="the live table and its agent")
        assert SHOW not in term.seen.split(HIDE, 1)[1]
        proc.send_signal(signal.SIGTSTP)
        wait_for(lambda: process_state(proc.pid) == "T", what="agentmake to stop")
        wait_for(lambda: SHOW in term.seen.split(HIDE, 1)[1], timeout=10, what="the cursor shown at the stop")
        at_stop = len(term.seen)
        proc.send_signal(signal.SIGCONT)
        wait_for(lambda: HIDE in term.seen[at_stop:], what="the cursor hidden again once continued")
        e2e.write("go", "")
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGCONT)
            proc.kill()
            proc.wait()
        term.close()
    assert SHOW in term.seen[term.seen.rindex(HIDE) :], "the cursor left hidden at the end"
    assert e2e.read("out/x.txt") == "done\n"


def _live_on(term: Terminal) -> tuple[LiveDisplay, Console]:
    """A live table drawn on `term` (a real pseudo-terminal), as agentmake draws it."""
    file = open(term.slave, "w", encoding="utf-8", closefd=False)  # noqa: SIM115 (closed by the caller)
    console = Console(file=file, force_terminal=True, width=80, height=20)
    return LiveDisplay(console, summary_stream=io.StringIO()), console


def _stopped_now() -> None:
    """What the Ctrl-Z handler does with the hooks registered at that moment, before agentmake stops."""
    for before, _ in list(suspend._watchers):
        before()


def test_a_ctrl_z_right_after_the_table_hid_the_cursor_shows_it(tmp_path: Path) -> None:
    """The table registered its cursor hooks only after it had started (and hidden the cursor): a Ctrl-Z in
    between (handled at the very next line) left the shell without a cursor (a py3.10 suite, once)."""
    term = Terminal()
    display, console = _live_on(term)
    real_start = display._live.start

    def start_then_stop(*args: object, **kwargs: object) -> None:
        real_start(*args, **kwargs)
        _stopped_now()

    display._live.start = start_then_stop  # type: ignore[method-assign]
    try:
        display(TaskEvent("a", "running", time.time(), 1, 1))
        wait_for(lambda: HIDE in term.seen and SHOW in term.seen.split(HIDE, 1)[1], timeout=10, what="SHOW")
    finally:
        display.close(BuildResult(1))
        console.file.close()
        os.close(term.slave)
        term.close()


def test_a_ctrl_z_that_comes_while_the_table_draws_shows_the_cursor_at_once(tmp_path: Path) -> None:
    """The console holds back what is written inside a drawing (`with console:`) until the drawing ends,
    which a Ctrl-Z in the middle puts off until after `fg`: the cursor must reach the terminal before."""
    term = Terminal()
    display, console = _live_on(term)
    try:
        display(TaskEvent("a", "running", time.time(), 1, 1))
        wait_for(lambda: HIDE in term.seen, what="the table")
        with console:  # (a drawing under way)
            _stopped_now()
            wait_for(
                lambda: SHOW in term.seen.split(HIDE, 1)[1], timeout=10, what="the cursor, while drawing"
            )
    finally:
        display.close(BuildResult(1))
        console.file.close()
        os.close(term.slave)
        term.close()
