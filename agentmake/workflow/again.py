"""The command line a hint tells to run (`again`), for a `Request`: its -C DIR, -f FILE and VAR=value words
kept around the words of the hint (`invocation.command_line`; a value that may be a secret is `VAR=…`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentmake.invocation import Invocation, command_line

if TYPE_CHECKING:
    from agentmake.workflow import Request


def invocation_of(req: Request) -> Invocation:
    """The words of `req`'s command line a hint repeats."""
    agentfile = str(req.agentfile) if req.agentfile is not None else None
    return Invocation(req.given_directory, agentfile, dict(req.overrides))


def again(req: Request, *words: str) -> str:
    """``agentmake [-C DIR] [-f FILE] WORDS... [VAR=value...]`` as `req` was given (`command_line`)."""
    return command_line(*words, invocation=invocation_of(req))
