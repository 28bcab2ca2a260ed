"""Ctrl-Z stops the agents with agentmake, and `fg` continues them; their time limits wait meanwhile.

Every agent runs in a process group (a session) of its own (`process`: so a timeout or Ctrl-C ends it
whole), so the terminal's SIGTSTP, sent to agentmake's foreground group, never reached them: they ran on, and
were paid for, while the user thought the build was paused. Now the console script handles SIGTSTP
(`install`, also what `kill -TSTP` sends): it stops every agent's group with SIGSTOP (their groups are
orphaned, where the kernel throws a SIGTSTP away), then stops agentmake itself as the default action would
(SIGTSTP re-raised with the default handler: the shell sees it stopped by SIGTSTP, as any job). When it is
continued (`fg`, `bg`, `kill -CONT`) it continues those groups (SIGCONT) and goes on.

The time so stopped is no agent's time: `clock` is the monotonic clock less every such stop (frozen while
one lasts), and the time limits of agents (`process`, `supervise`) and `stall`'s patience run on it. A
SIGSTOP sent to agentmake alone cannot be caught: its agents run on meanwhile, and that time counts.

The groups are registered by `process.start_child` (`add`, inside `spawning`) and forgotten once their child
is reaped and its group ended (`forget`). A group is only signalled while its leader is not reaped (its pid,
hence the group's id, cannot have been reused); one started while agentmake stops is stopped by `add` itself.
A child runs from the moment its `Popen` forks, before `add` registers it: a Ctrl-Z in between would leave it
running through the stop. So the handler waits (a few seconds at most) for the other threads' spawns in
flight to register their groups, and a Ctrl-Z that arrives in the main thread while the main thread itself is
starting an agent is put off until that spawn is registered (`spawning` then stops agentmake). A spawn that
another thread (a spawner, a worker) would begin once the handler has started waits until agentmake is
continued: begun after the groups were counted, its agent ran, and was paid for, through the whole stop.

A terminal's Ctrl-Z goes to agentmake's whole foreground group, and with it to a child forked but not yet in
a session of its own (CPython's child unblocks signals before its `setsid`): stopped there, before its exec,
it holds its spawn, hence the handler's wait, or, where the main thread was starting it, the main thread
itself, in the kernel (a vfork) where no handler runs: agentmake hung until continued by hand. So once a
spawn has been in flight for `NUDGE_AFTER`, a watchdog thread (started with the first spawn, where the
handler is installed) continues agentmake's stopped children still in its group (`held_children`): they go
on to their own session and exec, and are stopped with their group like any other agent.

An agent may start processes that leave its group (`setsid`, a daemon's double fork): they carry its token
in their environment (`identity.SPAWN_VAR`), so the handler looks for them too (one look through /proc for
all the agents' tokens) and stops and continues their groups with the agents'.

A Ctrl-Z that comes while the handler is stopping agentmake (an impatient second press: the handler may wait
for spawns) is the same request: the handler would otherwise run again inside itself, and the inner run,
continued, would continue the agents while the outer one went on to stop agentmake a second time, leaving the
agents running through that stop. A Ctrl-Z once agentmake is continued is a new stop.

What else must be put right around a stop registers with `watching`: the live display shows the terminal's
cursor again before agentmake stops (the shell would be left without one) and hides it once continued.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # (imported by the console script at its start: nothing more than it needs)
    import subprocess
    from collections.abc import Callable, Iterator
    from types import FrameType

_lock = threading.RLock()  # (reentrant: the handler runs in the main thread, which may hold it)
_spawned = threading.Condition(_lock)  # notified whenever a spawn in flight ends
_begun = threading.Condition(_lock)  # notified whenever a thread's first spawn in flight begins
_resumed = threading.Condition(_lock)  # notified when a stop is over (`_stopping` is False again)
_spawning: dict[int, int] = {}  # thread ident -> its spawns in flight (child maybe running, not yet added)
_since: dict[int, float] = {}  # thread ident -> monotonic time its first spawn in flight began
NUDGE_AFTER = 0.2  # seconds a spawn is in flight before the watchdog continues agentmake's held children
_installed = False  # `install` put `on_sigtstp` in place: the watchdog is wanted
_watchdog: threading.Thread | None = None
_watchers: list[tuple[Callable[[], object], Callable[[], object]]] = []  # (before the stop, once continued)
_deferred = False  # a Ctrl-Z came while the main thread was spawning: `spawning` stops agentmake after it
SPAWN_WAIT = 5.0  # seconds the handler waits, at most, for other threads' spawns in flight to be added
_groups: dict[int, subprocess.Popen[bytes]] = {}  # pgid -> its leader, started by agentmake
_tokens: dict[int, str] = {}  # pgid -> the token its processes carry (those that leave it, too)
_stopping = False  # the handler is stopping agentmake: a group added now is stopped at once
# (seconds agentmake was stopped by the handler, in all; monotonic time the stop going on began, or None):
# one tuple, replaced whole, so that `clock` never reads one half of a change
_stops: tuple[float, float | None] = (0.0, None)


def clock() -> float:
    """Monotonic seconds, less the time agentmake was stopped by Ctrl-Z (`on_sigtstp`); frozen while it is."""
    stopped_for, since = _stops
    return (time.monotonic() if since is None else since) - stopped_for


def add(proc: subprocess.Popen[bytes], token: str | None = None) -> None:
    """Register the group `proc` leads (it was started in a new session), to be stopped with agentmake;
    `token`: the spawn token in its environment, by which what leaves the group is found."""
    with _lock:
        _groups[proc.pid] = proc
        if token is not None:
            _tokens[proc.pid] = token
        if _stopping:
            _signal(proc.pid, signal.SIGSTOP)


@contextlib.contextmanager
def spawning() -> Iterator[None]:
    """Around a child's `Popen` and its `add`: the handler waits for it (see the docstring)."""
    global _deferred
    me = threading.get_ident()
    with _lock:
        if _stopping and me != threading.main_thread().ident:  # (the handler has counted the groups)
            _resumed.wait_for(lambda: not _stopping)
        count = _spawning.get(me, 0)
        _spawning[me] = count + 1
        if not count:
            _since[me] = time.monotonic()
            _begun.notify()
        if _installed and _watchdog is None:
            _start_watchdog()
    try:
        yield
    finally:
        with _lock:
            left = _spawning[me] - 1
            if left:
                _spawning[me] = left
            else:
                del _spawning[me], _since[me]
            _spawned.notify_all()
            stop_now = _deferred and not left and me == threading.main_thread().ident
            if stop_now:
                _deferred = False
        if stop_now:
            on_sigtstp(signal.SIGTSTP, None)


def forget(proc: subprocess.Popen[bytes]) -> None:
    """The group `proc` led is ended (or being ended by a kill): no longer stopped with agentmake."""
    with _lock:
        if _groups.get(proc.pid) is proc:
            del _groups[proc.pid]
            _tokens.pop(proc.pid, None)


def watching(before: Callable[[], object], after: Callable[[], object]) -> None:
    """Call `before` as agentmake stops at a Ctrl-Z (its agents stopped), `after` once it is continued."""
    with _lock:
        _watchers.append((before, after))


def unwatching(before: Callable[[], object], after: Callable[[], object]) -> None:
    """No longer call the pair given to `watching`."""
    with _lock, contextlib.suppress(ValueError):
        _watchers.remove((before, after))


def install() -> None:
    """Handle SIGTSTP with `on_sigtstp` where it has its default action (not where it is ignored)."""
    global _installed
    with contextlib.suppress(ValueError, AttributeError):  # (not the main thread; no SIGTSTP here)
        if signal.getsignal(signal.SIGTSTP) is signal.SIG_DFL:
            signal.signal(signal.SIGTSTP, on_sigtstp)
            _installed = True


def on_sigtstp(signum: int, frame: FrameType | None) -> None:
    """Stop every agent's group, then agentmake itself; once continued, continue them (see the docstring)."""
    global _deferred, _stopping, _stops
    me = threading.get_ident()
    with _lock:
        if me in _spawning:  # (the main thread is starting an agent: stop once it is added)
            _deferred = True
            return
        if _stopping:  # a second Ctrl-Z while this one stops agentmake: the same request, not a new stop
            return
        # from here until agentmake is continued, no other thread begins a spawn (`spawning` waits): one
        # begun after the groups are counted would run through the stop, its group not yet known
        _stopping, _stops = True, (_stops[0], time.monotonic())
    escaped: list[int] = []
    watchers: list[tuple[Callable[[], object], Callable[[], object]]] = []
    try:
        with _lock:
            _spawned.wait_for(lambda: not _spawning, timeout=SPAWN_WAIT)  # (other threads' children, added)
            stopped = _live_groups()
            tokens = [_tokens[pgid] for pgid in stopped if pgid in _tokens]
        for pgid in stopped:
            _signal(pgid, signal.SIGSTOP)
        escaped = _escaped(tokens, stopped)
        for pgid in escaped:
            _signal(pgid, signal.SIGSTOP)
        watchers = list(_watchers)
        _call(before for before, _ in watchers)
        signal.signal(signal.SIGTSTP, signal.SIG_DFL)
        signal.raise_signal(signal.SIGTSTP)  # (agentmake stops here, until it is continued)
    finally:
        signal.signal(signal.SIGTSTP, on_sigtstp)
        with _lock:
            stopped_for, since = _stops
            _stops = (stopped_for + time.monotonic() - (since or time.monotonic()), None)
            _stopping = False
            _resumed.notify_all()
            groups = _live_groups()
        for pgid in [*groups, *escaped]:
            _signal(pgid, signal.SIGCONT)
        _call(after for _, after in watchers)


def _call(hooks: Iterator[Callable[[], object]]) -> None:
    """Call each of `hooks`: one that fails (a closed terminal, say) must not keep agentmake from stopping."""
    for hook in hooks:
        with contextlib.suppress(Exception):
            hook()


def _escaped(tokens: list[str], known: list[int]) -> list[int]:
    """The groups, other than `known` and agentmake's own, of live processes that carry one of `tokens`."""
    if not tokens:  # (nothing to look for: /proc is not read, nor is `identity` imported)
        return []
    from agentmake.store.identity import groups_holding

    return groups_holding(tokens, set(known))


def _live_groups() -> list[int]:
    """The groups registered whose leader is not reaped (forgetting the others)."""
    for pgid in [pgid for pgid, proc in _groups.items() if proc.returncode is not None]:
        del _groups[pgid]
        _tokens.pop(pgid, None)
    return list(_groups)


def _start_watchdog() -> None:
    global _watchdog
    _watchdog = threading.Thread(target=_watch_spawns, name="agentmake-spawn-watchdog", daemon=True)
    _watchdog.start()


def _watch_spawns() -> None:
    """Continue agentmake's held children whenever a spawn has been in flight for `NUDGE_AFTER` (see the
    docstring). Asleep while no spawn is in flight (an idle `watch`, a build waiting on its agents); while
    spawns go on, a wake every `NUDGE_AFTER` at most, each a look at a dict, and a look at /proc only for a
    slow spawn."""
    while True:
        with _lock:
            _begun.wait_for(lambda: bool(_since))
            due = min(_since.values()) + NUDGE_AFTER
        time.sleep(max(due - time.monotonic(), 0.0))
        with _lock:
            began = min(_since.values(), default=None)
        if began is not None and time.monotonic() - began >= NUDGE_AFTER:
            for pid in held_children():
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGCONT)
            time.sleep(NUDGE_AFTER / 2)  # (a child continued needs a moment to leave the group)


def held_children() -> list[int]:
    """agentmake's stopped children in its own process group: none but those a terminal's Ctrl-Z stopped
    before they left it (agents lead groups of their own once started)."""
    from agentmake.procstat import stat_fields

    me, group = str(os.getpid()).encode(), str(os.getpgrp()).encode()
    held: list[int] = []
    try:
        names = os.listdir("/proc")
    except OSError:  # (no /proc: not Linux)
        return held
    for name in names:
        if name.isdigit():
            fields = stat_fields(name)
            if fields and fields[0] == b"T" and fields[1] == me and fields[2] == group:
                held.append(int(name))
    return held


def _signal(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)
