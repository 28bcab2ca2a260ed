"""Who a process is, beyond its pid: its start time and the boot it belongs to (Linux /proc; else unknown).

A pid (and so a process group id) is reused after a reboot, in another container sharing `.agentmake`, or
after wrap-around. The store records a task process's start time (clock ticks since boot, field 22 of
``/proc/<pid>/stat``) and the kernel's boot id with it, so an orphan is only ended if it is still the same
process (see `agentmake.scheduler.processes.end_orphans`).
"""

from __future__ import annotations

import os
from collections.abc import Collection

from agentmake.procstat import stat_fields

SPAWN_VAR = (
    "AGENTMAKE_SPAWN"  # the environment variable holding a child's spawn-log token (`holding` finds it)
)

_BOOT_ID = "/proc/sys/kernel/random/boot_id"


def proc_available() -> bool:
    """Whether this system has a Linux-style /proc to identify processes with."""
    return os.path.isfile("/proc/self/stat")


def boot_id() -> str | None:
    """The kernel's id of this boot, or None where it cannot be read."""
    try:
        with open(_BOOT_ID, encoding="ascii") as fh:
            return fh.read().strip() or None
    except OSError:
        return None


def start_ticks(pid: int) -> int | None:
    """When process `pid` started, in clock ticks since boot; None if it is gone or /proc is unavailable."""
    fields = stat_fields(pid)
    if fields is None:
        return None
    try:
        return int(fields[19])  # field 22 overall; fields[0] here is field 3 (state)
    except (IndexError, ValueError):
        return None


def ticks_per_second() -> int:
    """Clock ticks per second of the start times in `/proc/<pid>/stat` (`SC_CLK_TCK`, nearly always 100)."""
    try:
        return int(os.sysconf("SC_CLK_TCK"))
    except (AttributeError, ValueError, OSError):
        return 100


def group_members(pgid: int) -> list[tuple[int, int, int]]:
    """(pid, start ticks, session id) of every live (non-zombie) process in group `pgid`; [] without /proc."""
    try:
        with os.scandir("/proc") as entries:
            pids = [e.name for e in entries if e.name.isdigit()]
    except OSError:
        return []
    members: list[tuple[int, int, int]] = []
    for pid in pids:
        fields = stat_fields(pid)
        if not fields or len(fields) < 20 or fields[0] in (b"Z", b"X"):
            continue
        try:
            if int(fields[2]) == pgid:
                members.append((int(pid), int(fields[19]), int(fields[3])))
        except ValueError:
            continue
    return members


def holding(name: str, values: Collection[str]) -> list[tuple[int, str]]:
    """(pid, value) of every live process of this user whose environment sets `name` to one of `values`
    (exactly: `NAME=value` as one entry of `/proc/<pid>/environ`, the environment it started with); [] without
    /proc. Another user's process is never looked at, even by root: it belongs to no build of this user's."""
    try:
        with os.scandir("/proc") as entries:
            pids = [e.name for e in entries if e.name.isdigit()]
    except OSError:
        return []
    uid = os.geteuid()
    key = name.encode() + b"="
    wanted = {value.encode() for value in values}
    found: list[tuple[int, str]] = []
    for pid in pids:
        try:
            if os.stat(f"/proc/{pid}").st_uid != uid:
                continue
            with open(f"/proc/{pid}/environ", "rb") as fh:
                environ = fh.read()
        except OSError:  # gone, or not ours to read
            continue
        if key not in environ:
            continue
        for entry in environ.split(b"\0"):
            if entry.startswith(key) and entry[len(key) :] in wanted:
                found.append((int(pid), entry[len(key) :].decode()))
                break
    return found


def groups_holding(tokens: Collection[str], known: Collection[int]) -> list[int]:
    """The process groups, other than `known` and this process's own, of live processes whose environment
    holds one of `tokens` (`SPAWN_VAR`): what agents moved out of their groups. [] without /proc."""
    if not tokens:
        return []
    groups: dict[int, None] = {}
    for pid, _ in holding(SPAWN_VAR, tokens):
        fields = stat_fields(pid)
        if not fields or len(fields) < 3 or fields[0] in (b"Z", b"X") or pid == os.getpid():
            continue
        group = int(fields[2])
        if group > 0 and group not in known and group != os.getpgrp():
            groups[group] = None
    return list(groups)
