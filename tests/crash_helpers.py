"""Kill agentmake with SIGKILL at a chosen moment: `crash_at` runs the real CLI in a subprocess that sends
itself `kill -9` at the first operating-system event (a Python audit event such as ``os.rename``) whose
arguments name a given path. Nothing in agentmake is replaced: the process dies exactly as a `kill -9` from
outside would leave it, at a moment a test can name instead of guess.
"""

from __future__ import annotations

import signal
import subprocess
import sys

from e2e_helpers import E2E, Run

_WRAPPER = """\
import os, signal, sys
event, needle = sys.argv[1], sys.argv[2]
def hook(name, args):
    if name == event and any(needle in str(a) for a in args):
        os.kill(os.getpid(), signal.SIGKILL)
sys.addaudithook(hook)
sys.argv = ["agentmake", *sys.argv[3:]]
from agentmake.cli import main
sys.exit(main())
"""


_AFTER_WRITE = """\
import os, signal, sys
needle, nth, seen, dying = sys.argv[1], int(sys.argv[2]), [0], [False]
def hook(name, args):
    if dying[0]:
        return
    if seen[0] >= nth:  # the first event after it: the file is there, nothing written into it yet
        dying[0] = True
        os.kill(os.getpid(), signal.SIGKILL)
    if name == "open" and args and needle in str(args[0]) and isinstance(args[2], int):
        if args[2] & (os.O_WRONLY | os.O_RDWR) and args[2] & os.O_CREAT:
            seen[0] += 1
sys.addaudithook(hook)
sys.argv = ["agentmake", *sys.argv[3:]]
from agentmake.cli import main
sys.exit(main())
"""


def crash_after_create(e2e: E2E, needle: str, *args: str, nth: int = 1, timeout: float = 60) -> Run:
    """Run ``agentmake ARGS`` until the `nth` file whose path contains `needle` (``x.json`` matches a
    ``x.json.part`` written first too) is created for writing (an ``open`` with O_CREAT), and kill it with
    SIGKILL at the very next audit event: the file exists, and whatever was to be written into it is not
    (asserted: a run that never got there fails the test)."""
    argv = [sys.executable, "-c", _AFTER_WRITE, needle, str(nth), *args]
    proc = subprocess.run(argv, cwd=e2e.root, env=e2e.env(), capture_output=True, text=True, timeout=timeout)
    run = Run(args, proc.returncode, proc.stdout, proc.stderr)
    assert proc.returncode == -signal.SIGKILL, f"agentmake was not killed after creating {needle}:\n{run}"
    return run


def crash_at(e2e: E2E, event: str, needle: str, *args: str, timeout: float = 60) -> Run:
    """Run ``agentmake ARGS`` until the first audit `event` whose arguments contain `needle`, where it is
    killed with SIGKILL (asserted: a run that never reached that moment fails the test)."""
    argv = [sys.executable, "-c", _WRAPPER, event, needle, *args]
    proc = subprocess.run(argv, cwd=e2e.root, env=e2e.env(), capture_output=True, text=True, timeout=timeout)
    run = Run(args, proc.returncode, proc.stdout, proc.stderr)
    assert proc.returncode == -signal.SIGKILL, f"agentmake was not killed at {event} {needle}:\n{run}"
    return run


_AT_SUMMARY = """\
import os, signal, sys
after = sys.argv[1] == "after"
class Out:
    def __init__(self, stream):
        self.stream, self.said = stream, False
    def write(self, text):
        if text.startswith("agentmake: ") and " ran, " in text:
            if not after:
                os.kill(os.getpid(), signal.SIGKILL)
            self.said = True
        return self.stream.write(text)
    def flush(self):
        self.stream.flush()
        if self.said:  # (the line is out: the next thing agentmake does is never done)
            os.kill(os.getpid(), signal.SIGKILL)
    def __getattr__(self, name):
        return getattr(self.stream, name)
sys.stdout = Out(sys.stdout)
sys.argv = ["agentmake", *sys.argv[2:]]
from agentmake.cli import main
sys.exit(main())
"""


def crash_at_summary(e2e: E2E, *args: str, after: bool = False, timeout: float = 60) -> Run:
    """Run ``agentmake ARGS`` until it prints its summary line (``agentmake: N ran, ...``) and kill it with
    SIGKILL just before the line gets out, or with `after`, just after (asserted: a run that never printed
    one fails the test). Only its stdout is wrapped, to know the moment; nothing of agentmake is replaced."""
    argv = [sys.executable, "-c", _AT_SUMMARY, "after" if after else "before", *args]
    proc = subprocess.run(argv, cwd=e2e.root, env=e2e.env(), capture_output=True, text=True, timeout=timeout)
    run = Run(args, proc.returncode, proc.stdout, proc.stderr)
    assert proc.returncode == -signal.SIGKILL, f"agentmake was not killed at its summary line:\n{run}"
    assert ("agentmake: " in run.out) == after, run
    return run
