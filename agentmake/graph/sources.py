"""A target that names a file the Agentfile is loaded from, not an output: say what it is.

`agentmake explain prompts/sum.md` ("what does editing this prompt rerun?") names no task; the answer is the
agents it prompts, which the error names instead of a bare "unknown target":

    refuse_source(af, "prompts/sum.md", "prompts/sum.md")
      UsageError: 'prompts/sum.md' is the prompt of sum, not an output: name an output, an agent or a report
                  (`agentmake explain sum` says why it would run)
    refuse_source(af, "common.Agentfile", ...)
      UsageError: 'common.Agentfile' is a file agentmake reads to load the Agentfile, not an output: ...
    refuse_source(af, "docs/a.md", "docs/a.md")   -> returns (not a source: the caller says unknown)

`path` is the target project-relative and normalized, as `target_path` gives it.
"""

from __future__ import annotations

import os

from agentmake.errors import UsageError
from agentmake.firstfew import first_few
from agentmake.graph.globs import normalize_path
from agentmake.invocation import command_line
from agentmake.model import Agentfile

_INSTEAD = "not an output: name an output, an agent or a report"


def prompted_by(agentfile: Agentfile, path: str) -> list[str]:
    """The agents (and reports, by their `merge` prompt) whose prompt file is `path`, in declared order."""
    prompts = [(a.name, a.prompt) for a in agentfile.agents.values()]
    prompts += [(r.name, r.merge) for r in agentfile.reports.values()]
    return [name for name, p in prompts if p is not None and p.path and normalize_path(p.path) == path]


def refuse_source(agentfile: Agentfile, target: str, path: str) -> None:
    """Raise UsageError saying what `path` is to the Agentfile (a prompt, an include, a template, the
    Agentfile itself); return if it is none of these."""
    names = prompted_by(agentfile, path)
    if names:
        how = f"`{command_line('explain', *names[:3])}` says why it would run"
        raise UsageError(f"'{target}' is the prompt of {first_few(names)}, {_INSTEAD} ({how})")
    root = os.fspath(agentfile.root)
    if path in {normalize_path(os.path.relpath(f, root)) for f in agentfile.files}:
        raise UsageError(f"'{target}' is a file agentmake reads to load the Agentfile, {_INSTEAD}")
