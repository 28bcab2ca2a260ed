"""Many children watched from one thread: the scheduler's own, for shell attempts (see `scheduler.inline`).

A worker thread per attempt costs two thread hand-offs per task (scheduler -> worker to start it, worker ->
scheduler to report it), each a wait for the GIL while the other threads run: on a build of many quick shell
tasks those waits, not the work, set the pace. A `Supervisor` instead starts children from the calling
thread and waits for all of them in one `epoll`: each child's pidfd (readable the moment it exits), its
stdout/stderr pipes (copied into the attempt's logs as data arrives) and an eventfd other threads write to
wake the wait (`wake`).

The ownership rules of `process.run_process` hold, without ever blocking the thread: a timeout or a cancel
sends SIGTERM to the child's whole process group, then SIGKILL once `grace` seconds have passed with the group
still alive, and likewise to what the child started outside its group (`groups.end_escaped`); after the
leader exits, what it left in its group is ended the same way; and once the group is gone, what the pipes
still hold is copied without waiting for more (a process that left the group may keep a pipe open forever).
`available()` says whether this platform has what it takes (Linux: pidfd, epoll, eventfd); elsewhere every
attempt runs on a worker thread as before.

Descriptors leave the epoll set before they are closed, and pipes are read without blocking: children may be
started by other threads meanwhile (`scheduler.inline` spawners), and a vforked child holds a copy of every
descriptor until its exec, which would keep a closed one in the set, reported under a reused number.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import threading
import time
from dataclasses import dataclass
from typing import Any

from agentmake.runners import suspend
from agentmake.runners.groups import (
    GRACE,
    escaped_groups,
    group_alive,
    hurried,
    signal_escaped,
    terminate_group,
)
from agentmake.runners.process import Child, ProcResult

_RECHECK = 0.05  # seconds between looks at a group being ended (its members are not our children)
_available: bool | None = None


def available() -> bool:
    """Whether children can be supervised here: pidfd_open, epoll and eventfd all work."""
    global _available
    if _available is None:
        _available = False
        if hasattr(os, "pidfd_open") and hasattr(select, "epoll") and hasattr(os, "eventfd"):
            try:
                os.close(os.pidfd_open(os.getpid()))
                _available = True
            except OSError:  # ENOSYS (kernel older than 5.3), a seccomp filter, ...
                pass
    return _available


@dataclass
class _Watched:
    """A child the supervisor watches: its key, process and pidfd."""

    key: Any
    child: Child
    pidfd: int  # -1 once the leader was reaped (then the number may belong to another child)
    deadline: float | None  # `suspend.clock`: the timeout
    cancel: threading.Event
    stop: str | None = None  # "timeout" or "cancel" once the group was told to end
    ending: float | None = None  # monotonic: SIGTERM sent to the group; SIGKILL at ending + grace
    killed: bool = False  # SIGKILL sent
    escaped: bool = False  # stopped with members outside its group (`groups.end_escaped`) still alive


def _has_exited(pidfd: int) -> bool:
    """Whether the child of `pidfd` has exited (its pidfd is readable), without waiting. Asked when its time
    limit has passed before its exit was taken: agentmake was stopped meanwhile (a SIGSTOP; a Ctrl-Z stops the
    agents too, and that time is no agent's: `suspend`) or busy, while the child, in a session of its own,
    ran on and finished in time; its attempt stands, as a worker's (`process._wait` takes an exit before it
    looks at the deadline)."""
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    return bool(poller.poll(0))


class Supervisor:
    """Children started elsewhere (`process.start_child`), watched here until they are gone: `add` one, then
    call `wait` from the same thread until it hands back (key, ProcResult) for each."""

    def __init__(self, grace: float = GRACE) -> None:
        self.grace = grace
        self.epoll = select.epoll()
        self.wake_fd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        self.epoll.register(self.wake_fd, select.EPOLLIN)
        self.by_pidfd: dict[int, _Watched] = {}
        self.by_pipe: dict[int, _Watched] = {}
        self.ending: list[_Watched] = []  # groups told to end (or left behind by their leader), not yet gone

    def __len__(self) -> int:
        return len(self.by_pidfd) + len(self.ending)

    def add(self, key: Any, child: Child, timeout: float | None, cancel: threading.Event) -> None:
        """Watch `child` (started `child.started`): it ends with its exit, or is ended `timeout` seconds
        after its start or once `cancel` is set. Raises OSError if it cannot be watched (no descriptor or
        epoll watch left): then its group was killed, it was reaped, and its pipes and logs are closed."""
        pidfd = -1
        registered: list[int] = []
        try:
            pidfd = os.pidfd_open(child.proc.pid)
            for fd in (pidfd, *child.pipes.logs):
                if fd != pidfd:
                    os.set_blocking(fd, False)  # (an event that is not for this pipe never blocks a read)
                self.epoll.register(fd, select.EPOLLIN)
                registered.append(fd)
        except OSError:
            for fd in registered:
                self.epoll.unregister(fd)
            if pidfd >= 0:
                os.close(pidfd)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.pgid, signal.SIGKILL)
            child.proc.wait()
            suspend.forget(child.proc)
            child.pipes.close()
            for log in child.logs:
                log.close()
            raise
        deadline = child.begun + timeout if timeout else None  # (on `suspend.clock`)
        watched = _Watched(key, child, pidfd, deadline, cancel)
        self.by_pidfd[pidfd] = watched
        for fd in child.pipes.logs:
            self.by_pipe[fd] = watched

    def wake(self) -> None:
        """Make a `wait` in progress (or the next one) return now. Safe from any thread."""
        with contextlib.suppress(BlockingIOError, OSError):
            os.eventfd_write(self.wake_fd, 1)

    def wait(self, timeout: float) -> list[tuple[Any, ProcResult]]:
        """Wait up to `timeout` seconds for a child to end (or for `wake`); copy output meanwhile. Returns
        the children that are gone, each with its result."""
        done: list[tuple[Any, ProcResult]] = []
        if timeout > 0:  # (a look that does not wait: the timers are seen to once, after it)
            now = time.monotonic()
            self._stop_due(now, done)
            if done:
                timeout = 0.0
            timeout = min(timeout, self._next_timer(now))
        try:
            events = self.epoll.poll(max(timeout, 0.0))
        except InterruptedError:  # (PEP 475 retries; a signal handler that raised never gets here)
            events = []
        for fd, _mask in events:
            if fd == self.wake_fd:
                with contextlib.suppress(BlockingIOError, OSError):
                    os.eventfd_read(self.wake_fd)
            elif fd in self.by_pidfd:
                self._exited(self.by_pidfd[fd], done)
            elif fd in self.by_pipe and not self.by_pipe[fd].child.pipes.read(fd, close=False):  # at its end
                self._forget(fd)
                os.close(fd)
        self._stop_due(time.monotonic(), done)
        return done

    def close(self) -> None:
        """Kill and reap whatever is still watched (a build that ends has none); release the descriptors."""
        if self.epoll.closed:
            return
        for watched in [*self.by_pidfd.values(), *self.ending]:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(watched.child.pgid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                watched.child.proc.wait()
            self._release(watched)
        self.by_pidfd.clear()
        self.ending.clear()
        self.epoll.close()
        os.close(self.wake_fd)

    # -- internals ------------------------------------------------------------------------------------------

    def _next_timer(self, now: float) -> float:
        """Seconds until something must be looked at without an event: a deadline, or a group being ended."""
        wait, clock = float("inf"), suspend.clock()
        for watched in self.by_pidfd.values():
            if watched.deadline is not None and watched.stop is None:
                wait = min(wait, watched.deadline - clock)
        if self.ending or any(w.ending is not None for w in self.by_pidfd.values()):
            wait = min(wait, _RECHECK)
        return wait

    def _stop_due(self, now: float, done: list[tuple[Any, ProcResult]]) -> None:
        """Tell groups to end (timeout, cancel), escalate to SIGKILL after the grace, finish ended groups."""
        clock = suspend.clock()  # (time limits: without the time agentmake and its agents were stopped)
        for watched in list(self.by_pidfd.values()):
            if watched.stop is None:
                if watched.cancel.is_set():
                    watched.stop = "cancel"
                elif watched.deadline is not None and clock >= watched.deadline:
                    if _has_exited(watched.pidfd):  # it ended in time, and agentmake looks late (see below)
                        self._exited(watched, done)
                        continue
                    watched.stop = "timeout"
                if watched.stop is not None:
                    self._terminate(watched, now)
            elif not watched.killed and watched.ending is not None and self._grace_over(watched, now):
                self._kill(watched)
        for watched in list(self.ending):
            if not self._alive(watched):
                self._finish(watched, done)
            elif watched.killed or self._grace_over(watched, now):
                self._kill(watched)  # after SIGKILL nothing is awaited: members are not our children
                self._finish(watched, done)

    def _grace_over(self, watched: _Watched, now: float) -> bool:
        """Whether a group told to end (at `watched.ending`) is due its SIGKILL: its grace is over, or a
        second Ctrl-C asked to stop now (`groups.hurry`)."""
        return now >= (watched.ending or now) + self.grace or hurried()

    @staticmethod
    def _alive(watched: _Watched) -> bool:
        """Whether the child's group, or what left it of a child stopped (`escaped`), is still alive."""
        pgid = watched.child.pgid
        return group_alive(pgid) or (watched.escaped and bool(escaped_groups(watched.child.token, pgid)))

    def _terminate(self, watched: _Watched, now: float) -> None:
        watched.ending = now
        if watched.stop is not None:  # (a timeout or cancel: what left the group is ended too)
            watched.escaped = bool(signal_escaped(watched.child.token, watched.child.pgid))
        try:
            terminate_group(watched.child.pgid)
        except (ProcessLookupError, PermissionError):
            watched.killed = not watched.escaped  # no such group: nothing to escalate

    def _kill(self, watched: _Watched) -> None:
        watched.killed = True
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(watched.child.pgid, signal.SIGKILL)
        if watched.escaped:
            signal_escaped(watched.child.token, watched.child.pgid, kill=True)
            watched.escaped = False

    def _exited(self, watched: _Watched, done: list[tuple[Any, ProcResult]]) -> None:
        """The leader exited: reap it; finish now if its group is empty, else end what it left behind."""
        self._drop_pidfd(watched)
        watched.child.proc.wait()
        if not self._alive(watched):
            self._finish(watched, done)
            return
        if watched.ending is None:  # a normal exit that left members behind: end them too
            self._terminate(watched, time.monotonic())
        self.ending.append(watched)

    def _finish(self, watched: _Watched, done: list[tuple[Any, ProcResult]]) -> None:
        if watched in self.ending:
            self.ending.remove(watched)
        self._release(watched)
        proc = watched.child.proc
        done.append(
            (
                watched.key,
                ProcResult(
                    proc.returncode,
                    timed_out=watched.stop == "timeout",
                    cancelled=watched.stop == "cancel",
                    duration=time.monotonic() - watched.child.started,
                    pid=proc.pid,
                ),
            )
        )

    def _forget(self, fd: int) -> None:
        """Stop watching `fd`, before it is closed: a descriptor closed while still in the epoll set stays
        there as long as another process holds a copy of it (a child a spawner thread is starting, between
        its vfork and its exec), and would then be reported under a number since given to a new pipe."""
        if self.by_pipe.pop(fd, None) is not None:
            self.epoll.unregister(fd)

    def _release(self, watched: _Watched) -> None:
        """Copy what the pipes still hold, close them and the logs, stop watching them."""
        pipes = watched.child.pipes
        for fd in list(pipes.logs):
            self._forget(fd)
        pipes.drain_ready()  # (set non-blocking by `add`: read without a poll first)
        pipes.close()
        for log in watched.child.logs:
            log.close()
        suspend.forget(watched.child.proc)
        if watched.pidfd >= 0:  # (a leader that exited gave its pidfd back, and the number may be reused)
            self._drop_pidfd(watched)

    def _drop_pidfd(self, watched: _Watched) -> None:
        """Stop watching the leader's pidfd and close it; the entry forgets the number (-1)."""
        self.epoll.unregister(watched.pidfd)
        del self.by_pidfd[watched.pidfd]
        os.close(watched.pidfd)
        watched.pidfd = -1
