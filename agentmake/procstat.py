"""Read a process's `/proc/<pid>/stat` (Linux): the one parser for its fields, used wherever agentmake asks
whether a process or group is alive, or whether a pid is still the process it recorded."""

from __future__ import annotations


def stat_fields(pid: int | str) -> list[bytes] | None:
    """The fields of `/proc/<pid>/stat` after the command name (index 0 is field 3, the state; index 2 the
    process group; index 19 the start time), or None if the process is gone or there is no /proc."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return None
    return stat[stat.rfind(b")") + 1 :].split()  # the name may hold spaces and ')'
