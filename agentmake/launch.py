"""The `agentmake` console script and `python -m agentmake`: hold the standard descriptors, catch an early
Ctrl-C, pause the cyclic collector, have a Ctrl-Z stop the agents too (`runners.suspend`), then run the CLI.

A standard stream closed at start (`agentmake 2>&-`, a cron job or daemon tool that closes descriptors) is
put on /dev/null (`hold_standard_streams`): Python sets `sys.stderr` to None then, and the display's first
write failed every build (exit 1, its tasks recorded as interrupted, not a word said); and a descriptor 0-2
left free would be the next file agentmake opens (a log, a staged output), which anything written to that
stream would then land in.

The pause comes before the CLI is imported, so it covers every import of start-up; the build loop ends it
once it starts (`gcpause.end_startup`), and every other command as it begins (`cli`).

Nothing is imported before `catch_early` but what it needs (`interrupts`): a Ctrl-C that Python loses in an
import before it (an "Exception ignored" in the import machinery) is lost for good, and the build then runs
to its end. The code cache and the collector's pause were imported first, the largest part of start-up
before the CLI (soak_kill9 --signal INT seed 1307 under load).
"""

from __future__ import annotations

import os
import sys

from agentmake.interrupts import catch_early, caused_by_interrupt, interrupted


def hold_standard_streams() -> None:
    """Put each closed standard descriptor (0, 1, 2) on /dev/null, and give Python a stream for a closed
    stdout or stderr (written to /dev/null), so agentmake runs as with `>/dev/null` in its place."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
            continue
        except OSError:
            pass
        try:
            null = os.open(os.devnull, os.O_RDWR)
        except OSError:
            continue
        if null != fd:  # (the lowest free number: `fd` itself, unless a lower one was free too)
            os.dup2(null, fd)
            os.close(null)
        else:
            os.set_inheritable(fd, True)  # (as a standard descriptor is; `os.open` made it close-on-exec)
    for name, fd in (("stdout", 1), ("stderr", 2)):
        if getattr(sys, name) is None:
            try:
                stream = open(fd, "w", closefd=False, errors="backslashreplace")  # noqa: SIM115 (kept open)
                setattr(sys, name, stream)
            except OSError:
                continue


def version_only() -> bool:
    """`agentmake --version` alone: print what the parser's version action prints, without importing the CLI
    (about two thirds of that command's CPU: argparse, dataclasses, pathlib, the commands' tables). Any other
    argv, e.g. `agentmake build --version`, goes to the parser as before."""
    if sys.argv[1:] != ["--version"]:
        return False
    from agentmake import __version__
    from agentmake.pipes import guard

    guard()  # (as the CLI's: a reader gone, `| head -0`, is not an error)
    sys.stdout.write(f"agentmake {__version__}\n")
    sys.stdout.flush()
    return True


def main() -> int:
    hold_standard_streams()
    catch_early()  # (a Ctrl-C while it starts is never lost: see `interrupts`; so nothing is imported before)
    try:
        if version_only():
            return 0
        from agentmake.gcpause import pause_startup

        pause_startup()
        from agentmake import leanstdlib

        leanstdlib.install()  # (before anything imports dataclasses or pathlib: see `leanstdlib`)
        from agentmake import codecache

        codecache.install()  # (before the CLI's import: its classes' methods come compiled)
        from agentmake import modulecache

        modulecache.install()  # (before the CLI's import: agentmake's modules' code comes from one file)
        from agentmake.runners import suspend

        suspend.install()  # (a Ctrl-Z stops the agents too: see `runners.suspend`)
        from agentmake.cli import main as cli_main
    except BaseException as e:  # a Ctrl-C while the CLI is imported, maybe wrapped: as the CLI says it
        if not caused_by_interrupt(e):
            raise
        return interrupted()
    return cli_main()
