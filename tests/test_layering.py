"""The core does not import the command line: the graph names the commands (for "did you mean the command
`agentmake report`?") from `commandnames`, not from the CLI's option table and its argparse."""

from __future__ import annotations

import subprocess
import sys


def test_the_graph_imports_neither_the_cli_option_table_nor_argparse() -> None:
    probe = (
        "import sys\nimport agentmake.graph.dag\n"
        "print(sorted(m for m in ('argparse', 'agentmake.commands', 'agentmake.cli') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_the_command_names_stay_importable_from_the_cli_option_table() -> None:
    from agentmake import commandnames, commands

    assert commands.COMMANDS is commandnames.COMMANDS
    assert commands.command_hint("reprot") == "the command `agentmake report`"
