"""The live table hides the terminal's cursor while it draws; a Ctrl-Z stops agentmake with the table still
up, and the shell that takes the terminal then had no cursor. Now agentmake shows the cursor again as it
stops and hides it once continued (`suspend.watching`). agentmake runs on a real pseudo-terminal here, as
a job of its own (a process group in this session, so that the kernel does stop it at a SIGTSTP)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E, process_state, wait_for

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
    group: dict[str, object] = (
        {"process_group": 0} if sys.version_info >= (3, 11) else {"preexec_fn": os.setpgrp}
    )
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
