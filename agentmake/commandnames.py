"""The names of agentmake's commands and what each does, and the hint for a target that names one.

Data only, free of argparse: the CLI's option table (`commands`) lists them in its help, and the graph
(`graph.dag`) matches a target no task answers to against them ("did you mean the command
`agentmake report`?") without importing the command line.
"""

from __future__ import annotations

COMMANDS = {
    "build": "build targets (the default command)",
    "report": "build reports (all, or the ones named) and print their paths",
    "check": "load and validate the Agentfile, warn of likely slips, print a one-line summary",
    "list": "list agents with their tasks, and reports",
    "init": "write a starter Agentfile, its prompt and an example note into the directory (replacing none)",
    "status": "show what is up to date, stale or failed (--json for machines)",
    "graph": "print the task graph (--format text|dot|mermaid)",
    "explain": "say why TARGET would (or would not) run",
    "clean": "remove built outputs (--cache: also the result cache; --leftovers: only those of tasks gone)",
    "watch": "rebuild when inputs, prompts or the Agentfile change",
}


def command_hint(word: str) -> str | None:
    """``the command `agentmake report` `` when `word`, a target no task answers to, is a command's name or
    close to one (`reprot`), else None: `agentmake reprot` took the misspelt command for a target."""
    from agentmake.errors import close_names

    close = close_names(word, COMMANDS, most=1)
    return f"the command `agentmake {close[0]}`" if close else None
