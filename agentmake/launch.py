"""The `agentmake` console script and `python -m agentmake`: catch an early Ctrl-C, pause the cyclic
collector, then run the CLI.

The pause comes before the CLI is imported, so it covers every import of start-up; the build loop ends it
once it starts (`gcpause.end_startup`), and every other command as it begins (`cli`).
"""

from __future__ import annotations

from agentmake.gcpause import pause_startup
from agentmake.interrupts import catch_early


def main() -> int:
    catch_early()  # (a Ctrl-C while it starts is never lost: see `interrupts`)
    pause_startup()
    from agentmake.cli import main as cli_main

    return cli_main()
