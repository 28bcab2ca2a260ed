"""The `agentmake` console script and `python -m agentmake`: catch an early Ctrl-C, pause the cyclic
collector, then run the CLI.

The pause comes before the CLI is imported, so it covers every import of start-up; the build loop ends it
once it starts (`gcpause.end_startup`), and every other command as it begins (`cli`).
"""

from __future__ import annotations

from agentmake import codecache
from agentmake.gcpause import pause_startup
from agentmake.interrupts import catch_early, caused_by_interrupt, interrupted


def main() -> int:
    catch_early()  # (a Ctrl-C while it starts is never lost: see `interrupts`)
    pause_startup()
    try:
        codecache.install()  # (before the CLI's import: its classes' methods come compiled)
        from agentmake.cli import main as cli_main
    except BaseException as e:  # a Ctrl-C while the CLI is imported, maybe wrapped: as the CLI says it
        if not caused_by_interrupt(e):
            raise
        return interrupted()
    return cli_main()
