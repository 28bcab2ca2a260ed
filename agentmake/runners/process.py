"""Run one child process that agentmake owns: its own process group, prompt on stdin, output to log files,
a wall-clock timeout and a cancel event that end the *whole group* (SIGTERM, a short grace, SIGKILL).

Ownership rules:
- `start_new_session=True`: the child leads a new process group (pgid == pid), so wrappers such as the Node
  `codex` launcher cannot leave their native binary behind when we kill the group.
- `parent_death=True` (LLM agents and check commands): on Linux the child also gets a parent-death signal
  (SIGTERM), so it dies if agentmake is `kill -9`ed. `PR_SET_PDEATHSIG` fires when the *thread* that started
  the child exits: `run_process` blocks in the calling thread until the child is gone, so a scheduler worker
  thread that calls it always outlives its child. The child sets it itself (`runners.deathsignal`): it is
  started as a small Python program (15 to 25 ms more per start) that sets the signal, checks that agentmake
  is still its parent, and then becomes the agent (`execve`: the same process, group and descriptors, the
  environment exactly as given). It used to be set by a `preexec_fn`, Python code run in a `fork()`ed copy
  of agentmake, which can deadlock when another thread held a lock at that moment (CPython's documented
  hazard): such a child never reaches exec, its worker waits in `Popen` for good, and so does every worker
  that started a child while it lived (it holds their pipes open). A soak run (`benchmarks/soak_kill9.py
  --signal INT`, seed 316, on a loaded machine) saw that pattern once: four agents logged as about to start,
  none started, and a Ctrl-C that could not end the build. Now no Python code runs between fork and exec.
- `parent_death=False` (shell agents, which are many, short and cheap): started directly (CPython uses
  `vfork()`: about a millisecond a task). Such a child outlives a `kill -9`ed agentmake, but every child is
  logged the moment it starts (`on_spawn` -> the build's spawn log, `agentmake.store.spawnlog`) and the next
  run ends logged groups whose agentmake is gone (`scheduler.processes.end_orphans`) before it starts.
- `token`: the spawn log's name for a child about to start, put in its environment as `SPAWN_VAR` (its
  children inherit it), so the next build can find a child that agentmake died too soon to log. A shell
  task's environment is otherwise inherited as it is (`env=None`); with a token it is agentmake's own, copied
  as bytes (`os.environb`: no decoding) with the token added. What that costs per task is Popen turning the
  mapping into a list (about 0.4 microseconds a variable; see `benchmarks/phases.py`).
- After the leader exits, anything left in its group (background grandchildren) is ended too.
- A timeout or a cancel also ends the processes that left the group (`setsid`, a daemon's double fork, a CLI
  that starts its tools `detached`) but still hold the child's token, each with its group (`end_escaped`):
  otherwise they worked on, and a retry or the next build ran a second copy of the task beside them. A child
  that exits by itself leaves such processes alone: a build step may start a service on purpose.
- stdout/stderr of shell agents are pipes that this thread copies into the attempt's log files as data
  arrives (`capture`: a log is created at its first byte, and a stream that printed nothing leaves no log at
  all, because a new file per stream and attempt was the dearest step of a trivial task). The child's exit,
  not the pipes' end of file, ends the wait: a background process holding a pipe open cannot hang the
  attempt. Once the child and its group are gone, what the pipes still hold is copied without waiting for
  more. LLM agents and checks (`parent_death=True`: few, slow, paid for) write into their log files
  directly: an answer is on disk the moment it is printed, even if agentmake dies before reading it (see
  `runners.salvage`); an empty log is removed afterwards.

Starting: by `subprocess.Popen`, except a shell task's child started on the scheduler thread in agentmake's
own directory: `os.posix_spawn` starts that one, the same child without Popen's Python layer (`spawn`; it
holds the GIL until the child has exec'd, so never on another thread, where `_posixsubprocess`, which
releases it, was measured faster).

Waiting costs nothing per task: on Linux the exit is awaited with `poll()` on a pidfd together with the pipes
(it wakes the moment the child exits or writes); the poll times out every `_POLL` seconds only to look at the
cancel event and the deadline. Without pidfd (other platforms, old kernels) the same poll also checks
`Popen.poll()`, or falls back to `Popen.wait(timeout=...)` once the pipes are closed.

A Ctrl-Z stops every child's group with agentmake, and its time limit waits meanwhile (`suspend`).
"""

from __future__ import annotations

import contextlib
import math
import os
import select
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from agentmake.leanstdlib import import_without
from agentmake.runners import suspend
from agentmake.runners.capture import LogFile, Pipes
from agentmake.runners.deathsignal import dying_with_us
from agentmake.runners.groups import GRACE, end_escaped, group_alive, kill_process_group
from agentmake.store.identity import SPAWN_VAR

import_without("subprocess", ("locale",))  # (without `locale`, which it needs for text streams only)
import subprocess  # noqa: E402  (after: see `leanstdlib.import_without`)

from agentmake.runners import spawn  # noqa: E402  (it imports subprocess too)

_POLL = 0.05

_HAS_PIDFD = hasattr(os, "pidfd_open") and hasattr(select, "poll")
Environment = Mapping[str, str] | Mapping[bytes, bytes]  # a child's (bytes: as the kernel has it)


@dataclass
class ProcResult:
    """How a child process ended: its exit code, or why it has none (timed out, cancelled, not found)."""

    exit_code: int | None  # None when it could not start
    timed_out: bool = False
    cancelled: bool = False
    not_found: bool = False
    start_error: str | None = None
    stalled: str | None = None  # why `watch` had it ended while it ran (see `run_process`)
    duration: float = 0.0
    pid: int | None = None


def _feed(proc: subprocess.Popen[bytes], data: bytes) -> None:
    assert proc.stdin is not None
    try:
        proc.stdin.write(data)
    except (BrokenPipeError, OSError):
        pass
    finally:
        with contextlib.suppress(BrokenPipeError, OSError):
            proc.stdin.close()


_devnull: int | None = None
_devnull_lock = threading.Lock()


def _null_stdin() -> int:
    """One read-only /dev/null descriptor (close-on-exec) shared by every child's stdin: not an open and a
    close per task, as `subprocess.DEVNULL` costs."""
    global _devnull
    with _devnull_lock:
        if _devnull is None:
            _devnull = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
        return _devnull


def run_process(
    argv: Sequence[str],
    *,
    stdin: bytes | None,
    env: Mapping[str, str] | None,
    cwd: Path,
    stdout_path: Path,
    stderr_path: Path,
    timeout: float | None,
    cancel: threading.Event,
    on_spawn: Callable[[int, int], None] | None = None,
    grace: float = GRACE,
    parent_death: bool = True,
    executable: str | None = None,
    clear_logs: bool = True,
    watch: Callable[[], str | None] | None = None,
    token: str | None = None,
) -> ProcResult:
    """Run `argv` until it ends (or timeout/cancel). `stdin` bytes are written then closed (None: null).
    `env` None: the child inherits agentmake's environment. `parent_death`, `token`: see the module docstring.
    `executable`: the program's resolved path (argv[0] is still passed as the program's name).
    stdout/stderr end up in `stdout_path`/`stderr_path` (see `capture` for empty streams). `clear_logs`:
    remove older logs of these names first; False when the caller knows there are none (a log directory
    new in this build: writing a log replaces a file of its name anyway). `watch`: called at every turn of
    the wait; a text it returns ends the group as a timeout would, and is the result's `stalled`."""
    logs = (LogFile(stdout_path), LogFile(stderr_path))
    if clear_logs:
        for log in logs:
            log.clear()
    try:
        return _run(
            argv, stdin, env, cwd, logs, timeout, cancel, on_spawn, grace, parent_death, executable, watch,
            token,
        )  # fmt: skip
    finally:
        for log in logs:
            log.close()


@dataclass
class Child:
    """A started child: its Popen, and its stdout/stderr pipes being copied into their logs."""

    proc: subprocess.Popen[bytes]
    pipes: Pipes
    logs: tuple[LogFile, LogFile]  # the caller closes them once the child is gone
    started: float  # monotonic
    token: str | None = None  # its spawn-log token (`SPAWN_VAR`), which its descendants inherit
    begun: float = 0.0  # `suspend.clock()` at its start: its time limit runs on that clock

    @property
    def pgid(self) -> int:
        return self.proc.pid  # start_new_session: the child leads its own group


def start_child(
    argv: Sequence[str],
    *,
    stdin: bool,
    env: Mapping[str, str] | None,
    cwd: Path,
    logs: tuple[LogFile, LogFile],
    parent_death: bool,
    executable: str | None = None,
    direct: bool = False,
    token: str | None = None,
) -> Child:
    """Start `argv` in a new session (its own process group) with stdout/stderr on pipes copied into `logs`
    (`direct`: into the log files themselves, no pipes); `stdin`: a pipe for the caller to write (else the
    null device); `token`: see the module docstring. Raises what Popen raises when the program cannot start
    (FileNotFoundError, PermissionError, ...), leaving no descriptor open but the logs' (the caller closes
    them)."""
    start, begun = time.monotonic(), suspend.clock()
    if parent_death:
        wrapped = dying_with_us(argv, executable, env, cwd)
        if wrapped is not None:
            argv, executable = wrapped, None
    if direct:
        pipes = Pipes({})
        out_w, err_w = logs[0].open_for_child(), logs[1].open_for_child()
    else:
        out_r, out_w = os.pipe()  # close-on-exec in the parent; Popen dup2s the write ends onto 1 and 2
        err_r, err_w = os.pipe()
        pipes = Pipes({out_r: logs[0], err_r: logs[1]})
    try:
        with suspend.spawning():  # (a Ctrl-Z now waits for the child to be added: see `suspend`)
            proc = _popen(argv, executable, stdin, out_w, err_w, cwd, env, token, direct)
            suspend.add(proc, token)  # (stopped with agentmake at a Ctrl-Z)
    except BaseException:
        pipes.close()
        raise
    return Child(proc, pipes, logs, start, token, begun)


def _popen(
    argv: Sequence[str],
    executable: str | None,
    stdin: bool,
    out_w: int,
    err_w: int,
    cwd: str | Path | None,
    env: Mapping[str, str] | None,
    token: str | None,
    direct: bool,
) -> subprocess.Popen[bytes]:
    """`Popen` of a child in a new session with stdout/stderr on `out_w`/`err_w`, which it closes unless
    `direct` (they are the log files' then, the caller's to close). A shell task's child started on the
    scheduler thread is started by `os.posix_spawn` where it may be (`spawn`)."""
    try:
        fds = (_null_stdin(), out_w, err_w)
        if not stdin and not direct and spawn.usable(executable, fds, cwd):
            assert executable is not None  # (`usable`)
            environ = with_token(env, token)
            child = spawn.spawned(argv, executable, fds, _environ_bytes() if environ is None else environ)
            if child is not None:
                return child
        return subprocess.Popen(
            argv,
            executable=executable,
            stdin=subprocess.PIPE if stdin else fds[0],
            stdout=out_w,
            stderr=err_w,
            cwd=cwd,
            env=with_token(env, token),
            start_new_session=True,
        )
    finally:
        if not direct:
            os.close(out_w)
            os.close(err_w)


def with_token(env: Mapping[str, str] | None, token: str | None) -> Environment | None:
    """`env` with `SPAWN_VAR` set to `token` (None: `env` as it is; `env` None: agentmake's environment)."""
    if token is None:
        return env
    if env is None:
        return {**_environ_bytes(), _SPAWN_KEY: token.encode()}
    return {**env, SPAWN_VAR: token}


_SPAWN_KEY = SPAWN_VAR.encode()


def _environ_bytes() -> Mapping[bytes, bytes]:
    """agentmake's environment as bytes, as a child given `env=None` gets it. CPython keeps it so (the dict
    behind `os.environ` and `os.environb`, updated with every change): copied in a quarter of a microsecond,
    where `dict(os.environb)` takes 15 (a call per variable)."""
    data = getattr(os.environ, "_data", None)
    if isinstance(data, dict):
        return data
    return os.environb


def not_started(error: OSError, start: float) -> ProcResult:
    """The result of a child that could not be started."""
    duration = time.monotonic() - start
    if isinstance(error, FileNotFoundError):
        return ProcResult(None, not_found=True, start_error=str(error), duration=duration)
    return ProcResult(None, start_error=str(error), duration=duration)  # PermissionError, ENOEXEC, ...


def _run(
    argv: Sequence[str],
    stdin: bytes | None,
    env: Mapping[str, str] | None,
    cwd: Path,
    logs: tuple[LogFile, LogFile],
    timeout: float | None,
    cancel: threading.Event,
    on_spawn: Callable[[int, int], None] | None,
    grace: float,
    parent_death: bool,
    executable: str | None,
    watch: Callable[[], str | None] | None = None,
    token: str | None = None,
) -> ProcResult:
    start = time.monotonic()
    try:
        child = start_child(
            argv,
            stdin=stdin is not None,
            env=env,
            cwd=cwd,
            logs=logs,
            parent_death=parent_death,
            executable=executable,
            direct=parent_death,  # LLM agents and checks: few, and an answer must survive our death
            token=token,
        )
    except OSError as e:
        return not_started(e, start)
    proc, pipes = child.proc, child.pipes
    try:
        pgid = proc.pid  # start_new_session: the child leads its own group
        if on_spawn is not None:
            on_spawn(proc.pid, pgid)
        feeder = None
        if stdin is not None:
            feeder = threading.Thread(target=_feed, args=(proc, stdin), daemon=True)
            feeder.start()
        deadline = child.begun + timeout if timeout else None  # (on `suspend.clock`)
        stop = _wait(proc, pipes, cancel, deadline, watch)

        def reap() -> None:
            pipes.drain()
            proc.poll()

        if stop is not None:
            kill_process_group(pgid, grace, reap)
            proc.wait()
            end_escaped(token, pgid, grace)
        if group_alive(pgid):  # the leader is gone; end whatever it left behind in its group
            kill_process_group(pgid, grace, pipes.drain)
        pipes.drain()
        if feeder is not None:
            feeder.join(timeout=1.0)
    finally:
        pipes.close()
        suspend.forget(proc)
    return ProcResult(
        proc.returncode,
        timed_out=stop == "timeout",
        cancelled=stop == "cancel",
        stalled=stop[len(_STALLED) :] if stop is not None and stop.startswith(_STALLED) else None,
        duration=time.monotonic() - start,
        pid=proc.pid,
    )


_STALLED = "stalled: "  # (`_wait`'s answer when `watch` ended the wait, followed by what it said)


def _wait(
    proc: subprocess.Popen[bytes],
    pipes: Pipes,
    cancel: threading.Event,
    deadline: float | None,
    watch: Callable[[], str | None] | None = None,
) -> str | None:
    """Copy output while waiting for `proc` to exit (reaped: returns None), or for "cancel"/"timeout" or
    `_STALLED` + what `watch` said (then it is still running). On Linux a pidfd in the same `poll()` wakes
    the moment the child exits."""
    pidfd = -1
    if _HAS_PIDFD:
        with contextlib.suppress(OSError):  # ENOSYS (old kernel), seccomp filters, ...
            pidfd = os.pidfd_open(proc.pid)
    try:
        poller = select.poll()
        for fd in pipes.logs:
            poller.register(fd, select.POLLIN)
        if pidfd >= 0:
            poller.register(pidfd, select.POLLIN)
        while True:
            if pidfd < 0 and not pipes.logs:  # nothing to poll: wait on the process itself
                return _wait_polling(proc, cancel, deadline, watch)
            wait = _POLL if deadline is None else min(_POLL, max(deadline - suspend.clock(), 0.0))
            exited = False
            for fd, _events in poller.poll(math.ceil(wait * 1000)):
                if fd == pidfd:
                    exited = True
                elif fd in pipes.logs and not pipes.read(fd):
                    poller.unregister(fd)
            if exited or (pidfd < 0 and proc.poll() is not None):
                break
            if cancel.is_set():
                return "cancel"
            if deadline is not None and suspend.clock() >= deadline:
                return "timeout"
            said = watch() if watch is not None else None
            if said is not None:
                return _STALLED + said
    finally:
        if pidfd >= 0:
            os.close(pidfd)
    proc.wait()
    return None


def _wait_polling(
    proc: subprocess.Popen[bytes],
    cancel: threading.Event,
    deadline: float | None,
    watch: Callable[[], str | None] | None,
) -> str | None:
    while True:
        try:
            proc.wait(timeout=_POLL)
            return None
        except subprocess.TimeoutExpired:
            pass
        if cancel.is_set():
            return "cancel"
        if deadline is not None and suspend.clock() >= deadline:
            return "timeout"
        said = watch() if watch is not None else None
        if said is not None:
            return _STALLED + said
