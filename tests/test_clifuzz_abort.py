"""A build that ends with an error before it has a result (a state it cannot write: here `status.md` is a
directory; a full disk, a database damaged mid-file) stops its display before the error is printed. The live
display was left running: the error went through its redirected stderr, the table was drawn again below it,
and the terminal's cursor stayed hidden after agentmake exited. The plain display's buffered lines were
written at exit, after the error: the log read `agentmake: error: ...`, then `[ 0.0s] up to date ...`."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from conftest import FakeAgents
from e2e_helpers import E2E

SHOW_CURSOR, HIDE_CURSOR = "\x1b[?25h", "\x1b[?25l"
AGENTFILE = """\
agent a:
    run = "cp {input} {output}"
    inputs = in/a.txt
    outputs = out/a.txt

agent b:
    run = "cp {input} {output}"
    inputs = in/b.txt
    outputs = out/b.txt
"""


def _project(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    """Built once, then `status.md` made a directory and `b` made stale: a's line comes before the error."""
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE, dedent=False)
    e2e.write("in/a.txt", "a\n")
    e2e.write("in/b.txt", "b\n")
    assert e2e.am().code == 0
    (e2e.root / ".agentmake/status.md").unlink()
    (e2e.root / ".agentmake/status.md").mkdir()
    e2e.write("in/b.txt", "b, edited\n")
    return e2e


def test_the_plain_display_writes_its_lines_before_the_error(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e2e = _project(tmp_path, fake_agents)
    run = e2e.am()
    assert run.code == 2, run
    assert "Traceback" not in run.err, run
    error = run.err.index("agentmake: error: cannot use a file")
    assert run.err.index("] 1 up to date\n") < error, run  # (a, counted: the line held for the next one)
    assert run.err.rstrip().endswith("status.md'"), run  # (nothing after the error)


def test_the_live_display_is_stopped_before_the_error_and_shows_the_cursor_again(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e2e = _project(tmp_path, fake_agents)
    env = e2e.env()
    env.pop("CI")
    env.pop("NO_COLOR")
    env.update(TERM="xterm", COLUMNS="100", LINES="30")
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "agentmake"], cwd=e2e.root, env=env, stdin=subprocess.DEVNULL,
        stdout=slave, stderr=slave,
    )  # fmt: skip
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # (EIO: the terminal's other end is closed)
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.wait(timeout=30) == 2
    shown = b"".join(chunks).decode("utf-8", "replace")
    assert HIDE_CURSOR in shown, shown  # (the live display did start)
    error = shown.index("agentmake: error: cannot use a file")
    assert shown.rfind(SHOW_CURSOR) < error, repr(shown)  # the cursor is shown again before the error...
    assert shown.rfind(HIDE_CURSOR) < shown.rfind(SHOW_CURSOR), repr(shown)
    assert "\x1b" not in shown[error:], repr(shown[error:])  # ...and no table is drawn after it
