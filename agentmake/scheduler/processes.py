"""Child processes of running tasks: recording them, and ending orphans a killed agentmake left running.

`ProcessRecorder` is the executor's `on_process` callback. The worker that started a process appends it to
the build's spawn log at once (`agentmake.store.spawnlog`), and hands (task, pid, pgid) to the scheduler
thread, which writes it to the store's `running` table once it has run for `loop.MARK_DELAY` (so the store
is only ever used from one thread; `agentmake status` reads that table).

`end_orphans` runs before a build, under the project lock: every process in the `running` table or in a
spawn log left behind that is still alive is an orphan of a killed agentmake and is ended, so there are never
two live copies of one task. A group is only ended if it is still the one recorded (same boot; its leader
has the same start time; `agentmake.store.identity`): after a reboot, in another container sharing
`.agentmake`, or after pid wrap-around, its pgid may name an unrelated group, which is left alone (its row is
just cleared). A group whose leader has exited (a shell that left a background job behind) is still ended:
Linux reuses no pid while a group of that id has members, so members that are all of the leader's session
and started no earlier than the leader are the leader's own. (Only if the group emptied, its id was reused
by a new session leader, and that leader exited too, could such a group be someone else's.) A child that
agentmake died too soon to log (killed between the child's start and its spawn line) is found by the token
its intent line gave it, in the environment of this user's processes, and its group is ended too
(`_unlogged`). `find_orphans` finds them all without ending any (`clean -n` lists them).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from agentmake.procstat import stat_fields
from agentmake.runners.groups import group_alive, kill_process_groups
from agentmake.runners.process import SPAWN_VAR
from agentmake.store import Store
from agentmake.store.identity import (
    boot_id,
    group_members,
    holding,
    proc_available,
    start_ticks,
    ticks_per_second,
)
from agentmake.store.lock import held_elsewhere
from agentmake.store.spawnlog import Intent, SpawnLog, read_spawn_log, unstarted
from agentmake.trace import mark

ProcessNote = tuple[str, str, int, int]  # ("process", task_id, pid, pgid)


class ProcessRecorder:
    """Pass it as `Executor(on_process=...)` and to `run_build(..., processes=...)`."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.run_id = 0
        self.post: Callable[[ProcessNote], None] | None = None  # set by run_build while a build runs
        self.spawn_log: SpawnLog | None = None  # set by run_build while a build runs under the lock

    def __call__(self, task_id: str, pid: int, pgid: int) -> None:
        self.note(task_id, pid, pgid)
        post = self.post
        if post is not None:
            post(("process", task_id, pid, pgid))
        else:
            self.store.mark_running(task_id, self.run_id, pid, pgid)

    def intend(self, task_id: str) -> str | None:
        """A child of `task_id` is about to start: announce it in the spawn log (an intent line) and return
        the token to put in its environment (None: no spawn log). Pass it as `Executor(on_intent=...)`."""
        spawn_log = self.spawn_log
        return None if spawn_log is None else spawn_log.intend(task_id)

    def note(self, task_id: str, pid: int, pgid: int) -> None:
        """Append a process that just started to the spawn log (what a call does before reporting it)."""
        mark("spawn", task_id)
        spawn_log = self.spawn_log
        if spawn_log is not None:
            spawn_log.add(task_id, pid, pgid)

    def start_logging(self) -> None:
        """Under the project lock, log every process of this build the moment it starts
        (`agentmake.store.spawnlog`), so a `kill -9` at any moment leaves the next build able to end it."""
        store_dir = getattr(self.store, "dir", None)
        if getattr(self.store, "locked", False) and isinstance(store_dir, Path):
            self.spawn_log = SpawnLog(store_dir)

    def stop_logging(self, *, all_ended: bool) -> None:
        """The build is over: close its spawn log, and remove it if `all_ended` (no process of the build can
        still be running; otherwise it stays for the next build to end what it names)."""
        spawn_log, self.spawn_log = self.spawn_log, None
        if spawn_log is not None:
            spawn_log.close(remove=all_ended)


def alive(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie counts as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    fields = stat_fields(pid)
    if not fields:
        return True  # no /proc (not Linux): trust the signal check
    return fields[0] not in (b"Z", b"X")


def left_running(store: Store) -> set[str]:
    """The tasks an agentmake that is gone was running, by the `running` table and (under the project lock)
    a spawn log left behind: their attempts' logs were never redacted, nor their login copies removed
    (`Executor.tidy_left`)."""
    found = {row[0] for row in store.running()}
    store_dir = getattr(store, "dir", None)
    if getattr(store, "locked", False) and isinstance(store_dir, Path):
        found.update(spawned.task_id for spawned in read_spawn_log(store_dir))
        found.update(intent.task_id for intent in unstarted(store_dir))
    return found


@dataclass(frozen=True)
class Orphan:
    """A process group a killed agentmake left running: its task, and the group's id (the pid of the process
    agentmake started, which leads the group)."""

    task_id: str
    pgid: int


def tasks_of(orphans: Iterable[Orphan]) -> list[str]:
    """The tasks of `orphans`, each once, in the order found."""
    return list(dict.fromkeys(orphan.task_id for orphan in orphans))


def end_orphans(store: Store) -> list[str]:
    """End the process groups of tasks whose agentmake is gone and clear their records; returns their ids
    (`end_orphan_groups`, by task)."""
    return tasks_of(end_orphan_groups(store))


def end_orphan_groups(store: Store) -> list[Orphan]:
    """End the groups `find_orphans` finds, then clear the `running` records it names; returns the groups
    ended (a group that was gone by then is not)."""
    found, records = find_orphans(store)
    existed = kill_process_groups([orphan.pgid for orphan in found])  # (one grace for them all)
    ended = [orphan for orphan in found if orphan.pgid in existed]
    for task_id in records:
        store.clear_running(task_id)
    return ended


def find_orphans(store: Store, *, locked: bool | None = None) -> tuple[list[Orphan], list[str]]:
    """(the process groups of tasks whose agentmake is gone, each once, in the order found; the tasks whose
    `running` records are to be cleared once they are ended), found without ending or clearing anything
    (`clean -n` lists them).

    Under the project lock (`locked`, by default `store.locked`) no other agentmake can be running this
    project, so every recorded entry, and every process in a spawn log left behind, is an orphan, whatever its
    owner pid says now (that pid may be a zombie or reused by an unrelated process). Without the lock (a store
    opened read-only, a test double), an entry whose owner is another live process is left alone, and no spawn
    log is read. A reader that holds no lock but found nobody holding it passes `locked=True`."""
    if locked is None:
        locked = bool(getattr(store, "locked", False))
    found: dict[int, Orphan] = {}  # pgid -> the first task found to own it
    records: list[str] = []
    me = os.getpid()
    read_identities = getattr(store, "running_identities", None)  # absent from test doubles
    identities = read_identities() if callable(read_identities) else {}
    boot = boot_id()
    root = getattr(store, "root", None)
    for task_id, pid, pgid, owner in store.running():
        if not locked and owner != me and alive(owner):
            continue  # another live agentmake may own it
        records.append(task_id)  # (a record copied with the project, or of a group gone: just cleared)
        if isinstance(root, Path) and working_elsewhere(pid, root):
            continue
        ticks, recorded_boot = identities.get(task_id, (None, None))
        if _ours(pid, pgid, ticks, recorded_boot, boot):
            found.setdefault(pgid, Orphan(task_id, pgid))
    store_dir = getattr(store, "dir", None)
    if locked and isinstance(store_dir, Path) and proc_available():
        hz = ticks_per_second()
        logged = read_spawn_log(store_dir)
        for spawned in logged:
            if spawned.started is None or spawned.boot is None:
                continue  # no identity to check: by now its pid may name anyone
            if spawned.pgid in found or (isinstance(root, Path) and working_elsewhere(spawned.pid, root)):
                continue
            ticks = int(spawned.started * hz)  # read just after the start: a second of slack
            if _ours(spawned.pid, spawned.pgid, ticks, spawned.boot, boot, slack=hz):
                found[spawned.pgid] = Orphan(spawned.task_id, spawned.pgid)
        # and what holds the token of a logged process but left its group (`setsid`, a daemon's double fork:
        # `groups.escaped_groups`), which ending the group alone leaves running
        tokened = [Intent(s.task_id, s.token, s.started) for s in logged if s.token is not None]
        unlogged = _unlogged(unstarted(store_dir) + tokened, root if isinstance(root, Path) else None)
        for pgid, task_id in unlogged.items():
            found.setdefault(pgid, Orphan(task_id, pgid))
    return list(found.values()), records


def _unlogged(intents: list[Intent], root: Path | None) -> dict[int, str]:
    """The groups (pgid -> task id) of every process of this user whose environment holds the token of one of
    `intents` (children no spawn line names: agentmake was killed after it started them, before it logged
    them, or they never started; or, for the tokens of logged children, what left their groups). The token
    is exact and this build's own (see `store.spawnlog`), so no other project's or user's process carries
    it; a process that started before its intent (by a second's
    slack) is not that child, nor is one working in another project whose build runs (`working_elsewhere`: a
    copy of this project made while a build ran has its spawn log too)."""
    if not intents:
        return {}  # (the usual case: no scan of every process)
    by_token = {intent.token: intent for intent in intents}
    hz = ticks_per_second()
    groups: dict[int, str] = {}
    for pid, token in holding(SPAWN_VAR, by_token):
        intent = by_token[token]
        fields = stat_fields(pid)
        if not fields or len(fields) < 20 or fields[0] in (b"Z", b"X"):
            continue
        pgid, started = int(fields[2]), int(fields[19])
        if pgid <= 0 or pgid == os.getpgrp() or pid == os.getpid():
            continue
        if intent.at is not None and started < (intent.at - 1) * hz:
            continue
        if root is not None and working_elsewhere(pid, root):
            continue
        groups.setdefault(pgid, intent.task_id)
    return groups


def working_elsewhere(pid: int, root: Path) -> bool:
    """Whether process `pid` works in another project whose build is running now: its working directory is
    outside `root`, in a project whose lock another process holds. Agents run in their project's root, so
    such a process was recorded by that build, and its records reached this project with a copy made while
    it ran (`cp -a` copies `.agentmake/`): ending it would kill that build's paid work. A directory that
    cannot be read (gone, not Linux) or lies inside `root` says nothing: the entry is handled as before."""
    try:
        cwd = Path(os.readlink(f"/proc/{pid}/cwd"))
    except OSError:
        return False
    root = Path(os.path.realpath(root))  # (as the kernel names the working directory: links resolved)
    if cwd == root or root in cwd.parents:
        return False
    for d in (cwd, *cwd.parents):
        lock = d / ".agentmake" / "lock"
        if lock.exists():
            return held_elsewhere(lock)
    return False


def _ours(
    pid: int, pgid: int, ticks: int | None, recorded_boot: str | None, boot: str | None, slack: int = 0
) -> bool:
    """Whether group `pgid` (led by `pid`, started at `ticks`, give or take `slack`, during `recorded_boot`)
    is still alive and still the one recorded."""
    if pgid <= 0 or pgid == os.getpgrp():
        return False
    if same_process(pid, ticks, recorded_boot, boot, slack):
        return group_alive(pgid)
    return leaderless_group_of(pid, pgid, ticks, recorded_boot, boot, slack)


def same_process(
    pid: int, ticks: int | None, recorded_boot: str | None, boot: str | None, slack: int = 0
) -> bool:
    """Whether `pid` is still the process recorded with start time `ticks` (give or take `slack` ticks) during
    boot `recorded_boot` (`boot` is this boot's id). Where this machine has both (/proc and a boot id), a
    record without them is not taken on trust: agentmake always records them here, so it was written
    elsewhere (a `state.db` copied or committed from another machine, or planted) and its pid names some
    other process. Without /proc or a boot id here, unknown parts are trusted: the pid alone decides."""
    if recorded_boot is not None and boot is not None and recorded_boot != boot:
        return False
    if boot is not None and proc_available() and (ticks is None or recorded_boot is None):
        return False
    if ticks is None or not proc_available():
        return True
    started = start_ticks(pid)  # None when the leader is gone: see `leaderless_group_of`
    return started is not None and abs(started - ticks) <= slack


def leaderless_group_of(
    pid: int, pgid: int, ticks: int | None, recorded_boot: str | None, boot: str | None, slack: int = 0
) -> bool:
    """Whether group `pgid` lives on after its recorded leader `pid` (started at `ticks`) exited: the leader
    led it (pid == pgid), it has live members, and every one is of the leader's session and started no
    earlier than the leader did (a group of that id made after the leader's group emptied would have a
    leader of its own, alive or older members)."""
    if pid != pgid or ticks is None or recorded_boot is None or recorded_boot != boot:
        return False
    if start_ticks(pid) is not None:
        return False  # the pid is alive and is another process (`same_process` said no)
    members = group_members(pgid)
    earliest = ticks - slack
    return bool(members) and all(session == pgid and started >= earliest for _, started, session in members)
