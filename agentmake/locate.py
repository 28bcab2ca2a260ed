"""Which Agentfile a command loads: `-f FILE` (relative to `-C DIR`) or DIR/Agentfile. Its own small module so
that every command says the same thing when there is none, and the no-op path imports nothing heavy."""

from __future__ import annotations

import os
from pathlib import Path

from agentmake.errors import UsageError


def agentfile_path(directory: Path, agentfile: Path | None) -> Path:
    """The Agentfile to load; UsageError saying what to do when there is none."""
    path = directory / agentfile if agentfile is not None else directory / "Agentfile"
    if not path.is_file():
        if path.is_dir():
            raise UsageError(f"{path} is a directory: an Agentfile is a text file")
        if path.exists():  # (a FIFO, a device)
            raise UsageError(f"{path} is not a regular file: an Agentfile is a text file")
        if agentfile is not None:
            raise UsageError(f"no such Agentfile: {path}")
        from agentmake.invocation import command_line

        hint = f"use -f FILE or -C DIR, or run `{command_line('init', values=False)}` to create one"
        raise UsageError(f"no Agentfile in {directory} ({hint})")
    return path


def project_directory(arg: str, agentfile: str | None = None) -> Path:
    """The absolute directory `-C arg` names, with `.` and `..` taken out where that names the same directory
    (so `-C ../other` prints `/work/other/REPORT.md`, not `/work/here/../other/REPORT.md`); kept as given
    where a link makes `x/..` lead elsewhere than the directory holding `x`. `agentfile`: `-f`'s value,
    which, absolute, needs no working directory (the one the shell is in may have been deleted)."""
    try:
        given = Path(arg).absolute()
    except FileNotFoundError:  # (os.getcwd: the working directory was deleted)
        if arg == "." and agentfile and os.path.isabs(agentfile):
            return Path(os.path.dirname(agentfile))
        where = "" if arg == "." else f" -C {arg}: "
        raise UsageError(
            f"{where}the current directory no longer exists (deleted?): cd to one that does, or give -C an"
            " absolute path"
        ) from None
    tidy = Path(os.path.normpath(given))
    if tidy != given:
        try:
            if os.path.samefile(tidy, given):
                return tidy
        except OSError:
            pass
    return given
