"""`agentmake watch 2> watch.log`, the log inside the project, with an Agentfile that does not load: each line
the watch printed was a change of a file in the project, which it tried against the broken Agentfile and
answered by printing its error again, so the log grew by the same error several times a second, for as long as
the Agentfile stayed broken. Now a change of a file that plans nothing (a log, a new note) says the error only
if it is another one; a save of the Agentfile says it again, as ever."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from test_watch import make_project, write  # noqa: F401 (the fixture)


def _wait_for(cond: Callable[[], bool], proc: subprocess.Popen[bytes], log: Path, what: str) -> None:
    deadline = time.monotonic() + 30.0
    while time.monotonic() < deadline:
        if cond():
            return
        assert proc.poll() is None, f"watch exited early: {log.read_text()}"
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}; stderr:\n{log.read_text()}")


def test_a_watch_logging_into_its_project_says_an_agentfile_error_once(
    make_project: Callable[..., tuple[Path, Path]],  # noqa: F811
) -> None:
    project, _ = make_project({"a": "alpha\n"})
    good = (project / "Agentfile").read_text()
    write(project / "Agentfile", good + "agent broken\n")
    log = project / "watch.log"  # (inside the project: every line the watch prints changes a file there)
    with log.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "agentmake", "watch"],
            cwd=project, stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL,
            env={**os.environ, "NO_COLOR": "1", "CI": "1"},
        )  # fmt: skip
    first = "error: expected ':' at the end of the block header"
    try:
        _wait_for(lambda: "fix it to start building" in log.read_text(), proc, log, "the Agentfile error")
        write(project / "docs" / "b.md", "a file the broken Agentfile cannot plan\n")
        time.sleep(1.0)  # (let a wrong repetition show itself)
        write(project / "Agentfile", good + "agent broken:\n")  # another mistake: said at once
        _wait_for(lambda: "expected an indented block" in log.read_text(), proc, log, "the second error")
        assert log.read_text().count(first) == 1, log.read_text()
        write(project / "Agentfile", good)
        _wait_for(lambda: " to stop" in log.read_text(), proc, log, "the fixed Agentfile's build")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    assert proc.returncode == 130, log.read_text()
