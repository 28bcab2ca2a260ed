"""Start a shell task's child with `os.posix_spawn` where it may be: the child `subprocess.Popen` would start,
without Popen's Python layer (about 45 µs less of the scheduler thread's CPU a task: benchmarks/phases.py).

What Popen does for `process.start_child`, done here too:
- a new session (`setsid`): the child leads its own process group. glibc's child calls setsid() before it
  unblocks signals, so a terminal's Ctrl-Z can never stop it in agentmake's group (`suspend`);
- stdin on the given descriptor (the null device), stdout/stderr on the pipes (`file_actions`);
- signals: SIGPIPE and SIGXFSZ, which Python ignores, back to their default action (Popen's
  `restore_signals`); a signal agentmake handles gets its default at exec, one it ignores (SIGINT in a
  background job) stays ignored, and the signal mask is the calling thread's: as in Popen's child. One
  difference: glibc's child ignores its two internal signals (32 and 33, below SIGRTMIN), and the program
  keeps them ignored. No program can see it but through /proc: glibc refuses them to `sigaction`, and the C
  libraries that use them (glibc, musl) install their handler when they do;
- no other descriptor: Popen closes every one above 2 in its child (`close_fds`). Every descriptor Python
  opens is close-on-exec (PEP 446), and so are SQLite's, the pidfds, the epoll and the eventfd; what
  agentmake inherited from its own parent (an inheritable descriptor its caller left open) is made
  close-on-exec before the first such spawn (`_seal`), once per process: nothing in agentmake makes a
  descriptor above 2 inheritable afterwards;
- the returned object is a `subprocess.Popen` whose `wait`, `poll`, `send_signal`, `returncode`, `pid` are
  Popen's own (`Spawned`): the supervisor, `suspend`, timeouts and cancels see no difference.

Where it may be (`usable`): Linux; the scheduler (main) thread only, since CPython holds the GIL through
`posix_spawn` until the child has exec'd (a worker or spawner thread would stall the scheduler thread:
those use Popen, which releases it); a program already resolved (`executable`); the child's working
directory agentmake's own (no chdir in `posix_spawn` before Python 3.13); stdin/stdout/stderr on descriptors
above 2 (glibc before 2.29 left one dup2'd onto its own number close-on-exec). A start that fails is done
again by Popen, which raises the error (and message) it always raised.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

_usable = sys.platform == "linux" and hasattr(os, "posix_spawn") and hasattr(os, "POSIX_SPAWN_DUP2")
_sealed = False  # `_seal` has run in this process
_DEFAULTS = (signal.SIGPIPE, signal.SIGXFSZ)  # (what Popen's `restore_signals` resets: Python ignores them)


def usable(executable: str | None, fds: tuple[int, int, int], cwd: str | Path | None) -> bool:
    """Whether a child with these (`fds`: its stdin, stdout, stderr) may be started by `Spawned` (see the
    module docstring)."""
    if not _usable or executable is None or min(fds) <= 2:
        return False
    if threading.current_thread() is not threading.main_thread():
        return False
    if cwd is None:
        return True
    try:
        return os.fspath(cwd) == os.getcwd()
    except OSError:  # (agentmake's own directory was removed)
        return False


def _seal() -> None:
    """Make every descriptor above 2 close-on-exec, once per process (see the module docstring)."""
    global _sealed
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd > 2:
            with contextlib.suppress(OSError):  # (the listing's own descriptor, closed by now)
                if os.get_inheritable(fd):
                    os.set_inheritable(fd, False)
    _sealed = True


class Spawned(subprocess.Popen[bytes]):
    """A child started by `os.posix_spawn` in a new session, stdin/stdout/stderr on the given descriptors
    (which stay the caller's to close); the rest is Popen's (its `__init__` is not run: it would start a
    second child)."""

    def __init__(
        self,
        argv: Sequence[str],
        executable: str,
        fds: tuple[int, int, int],
        env: Mapping[str, str] | Mapping[bytes, bytes],
    ) -> None:
        if not _sealed:
            _seal()
        actions = [(os.POSIX_SPAWN_DUP2, fd, target) for target, fd in enumerate(fds)]
        self.pid = os.posix_spawn(
            executable, list(argv), env, file_actions=actions, setsid=True, setsigdef=_DEFAULTS
        )
        # the attributes Popen's `__init__` sets that its methods read
        self.args = argv
        self.stdin = self.stdout = self.stderr = None
        self.returncode = None
        self.encoding = self.errors = None
        self.text_mode = False
        self.pipesize = -1
        self._waitpid_lock = threading.Lock()
        self._input = None
        self._communication_started = False
        self._sigint_wait_secs = 0.25
        self._closed_child_pipe_fds = True
        self._child_created = True  # (`__del__` of one never waited for: Popen's, which reaps it later)


def spawned(
    argv: Sequence[str],
    executable: str,
    fds: tuple[int, int, int],
    env: Mapping[str, str] | Mapping[bytes, bytes],
) -> Spawned | None:
    """A `Spawned` child, or None where `posix_spawn` could not start it (Popen then tries: an error is
    raised as Popen raises it; a platform whose `posix_spawn` cannot `setsid` is not tried again)."""
    global _usable
    try:
        return Spawned(argv, executable, fds, env)
    except NotImplementedError:
        _usable = False
    except OSError:  # (glibc reaped the child that could not exec)
        pass
    return None
