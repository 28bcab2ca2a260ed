"""Run one child process that agentmake owns: its own process group, prompt on stdin, output to log files,
a wall-clock timeout and a cancel event that end the *whole group* (SIGTERM, a short grace, SIGKILL).

Ownership rules:
- `start_new_session=True`: the child leads a new process group (pgid == pid), so wrappers such as the Node
  `codex` launcher cannot leave their native binary behind when we kill the group.
- On Linux the child also gets a parent-death signal (SIGTERM), so it dies if agentmake is `kill -9`ed.
  `PR_SET_PDEATHSIG` fires when the *thread* that forked the child exits: `run_process` blocks in the calling
  thread until the child is gone, so a scheduler worker thread that calls it always outlives its child.
- After the leader exits, anything left in its group (background grandchildren) is ended too.
- stdout/stderr go straight to files (no pipes to drain, no deadlock on a grandchild holding them open).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

GRACE = 3.0  # seconds between SIGTERM and SIGKILL
_POLL = 0.05

_PR_SET_PDEATHSIG = 1
_libc: ctypes.CDLL | None = None
if sys.platform.startswith("linux"):
    with contextlib.suppress(OSError):
        _libc = ctypes.CDLL(None, use_errno=True)


@dataclass
class ProcResult:
    exit_code: int | None  # None when it could not start
    timed_out: bool = False
    cancelled: bool = False
    not_found: bool = False
    start_error: str | None = None
    duration: float = 0.0
    pid: int | None = None


def _pdeathsig_preexec(parent: int) -> Callable[[], None] | None:
    libc = _libc
    if libc is None:
        return None
    prctl = libc.prctl  # resolved before fork: nothing is imported or allocated in the child

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def kill_process_group(pgid: int, grace: float = GRACE, reap: Callable[[], object] | None = None) -> bool:
    """SIGTERM the group, wait up to `grace` seconds for it to empty, then SIGKILL what is left.
    `reap` (e.g. `Popen.poll`) collects our own child so its zombie does not count as alive.
    Returns False when the group did not exist. Safe to call on a group that is already gone."""
    try:
        os.killpg(pgid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return False
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if reap is not None:
            reap()
        if not group_alive(pgid):
            return True
        time.sleep(_POLL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
    return True


def group_alive(pgid: int) -> bool:
    """Whether a live (non-zombie) process is still in group `pgid`. Zombies count as gone: an init that does
    not reap (as in some containers) would otherwise keep a dead group "alive" forever."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if not os.path.isdir("/proc/self"):
        return True
    with os.scandir("/proc") as entries:
        pids = [e.name for e in entries if e.name.isdigit()]
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
            return True
    return False


def _feed(proc: subprocess.Popen[bytes], data: bytes) -> None:
    assert proc.stdin is not None
    try:
        proc.stdin.write(data)
    except (BrokenPipeError, OSError):
        pass
    finally:
        with contextlib.suppress(BrokenPipeError, OSError):
            proc.stdin.close()


def run_process(
    argv: Sequence[str],
    *,
    stdin: bytes | None,
    env: Mapping[str, str],
    cwd: Path,
    stdout_path: Path,
    stderr_path: Path,
    timeout: float | None,
    cancel: threading.Event,
    on_spawn: Callable[[int, int], None] | None = None,
    grace: float = GRACE,
) -> ProcResult:
    """Run `argv` until it ends (or timeout/cancel). `stdin` bytes are written then closed (None: null)."""
    start = time.monotonic()
    with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
        try:
            proc = subprocess.Popen(
                list(argv),
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                cwd=cwd,
                env=dict(env),
                start_new_session=True,
                preexec_fn=_pdeathsig_preexec(os.getpid()),
            )
        except FileNotFoundError as e:
            return ProcResult(None, not_found=True, start_error=str(e), duration=time.monotonic() - start)
        except PermissionError as e:
            return ProcResult(None, start_error=str(e), duration=time.monotonic() - start)
    pgid = proc.pid  # start_new_session: the child leads its own group
    if on_spawn is not None:
        on_spawn(proc.pid, pgid)
    feeder = None
    if stdin is not None:
        feeder = threading.Thread(target=_feed, args=(proc, stdin), daemon=True)
        feeder.start()
    timed_out = cancelled = False
    deadline = start + timeout if timeout else None
    while True:
        try:
            proc.wait(timeout=_POLL)
            break
        except subprocess.TimeoutExpired:
            pass
        if cancel.is_set():
            cancelled = True
        elif deadline is not None and time.monotonic() >= deadline:
            timed_out = True
        if cancelled or timed_out:
            kill_process_group(pgid, grace, proc.poll)
            proc.wait()
            break
    if group_alive(pgid):  # the leader is gone; end whatever it left behind in its group
        kill_process_group(pgid, grace)
    if feeder is not None:
        feeder.join(timeout=1.0)
    return ProcResult(
        proc.returncode,
        timed_out=timed_out,
        cancelled=cancelled,
        duration=time.monotonic() - start,
        pid=proc.pid,
    )
