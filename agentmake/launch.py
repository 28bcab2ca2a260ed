"""The `agentmake` console script and `python -m agentmake`: pause the cyclic collector, then run the CLI.

The pause comes before the CLI is imported, so it covers every import of start-up; the build loop ends it
once it starts (`gcpause.end_startup`), and every other command as it begins (`cli`).
"""

from __future__ import annotations

from agentmake.gcpause import pause_startup


def main() -> int:
    pause_startup()
    from agentmake.cli import main as cli_main

    return cli_main()
