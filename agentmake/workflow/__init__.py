"""The pipeline each command runs: load -> graph -> rebuilder -> scheduler -> display/report.

The CLI turns argv into a `Request` and calls one function here; each returns the process exit code
(0 ok, 1 build failed, 2 usage/Agentfile error, 130 interrupted). Nothing here decides staleness or runs a
process: it only wires the modules together.

This module holds what every command starts from (the `Request`, the loaded `Project`, the exit codes); it
is all that parsing the command line loads. The rest is imported on first use: `commands` (one function
per command: `build`, `report`, `explain`, `graph`, `status`, `clean`, `watch`), `building` (one build of a
selected graph, `run_graph`, and what it needs), `planning` (decisions without a build: -n/-q, `status`)
and `stamping` (the build stamp's answer to a request). Their public names are importable from here.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentmake import locate
from agentmake.safetext import term_safe
from agentmake.trace import mark

if TYPE_CHECKING:  # imported where used: a no-op build never loads what it does not need (not even SQLite)
    from agentmake.graph import Graph
    from agentmake.model import Agentfile
    from agentmake.scheduler import BuildResult  # noqa: F401  (named `workflow.BuildResult` by tests)
    from agentmake.workflow.building import compile_templates, run_graph, warn_leftovers
    from agentmake.workflow.commands import build, clean, explain, graph, report, status, watch

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


@dataclass
class Request:
    """What the command line asked for: directory, Agentfile, targets, overrides and options."""

    directory: Path = field(default_factory=Path.cwd)  # -C DIR (already resolved)
    given_directory: str = "."  # -C DIR as it was given (a hint's command line repeats it: `again`)
    agentfile: Path | None = None  # -f FILE; None: DIR/Agentfile
    targets: list[str] = field(default_factory=list)
    overrides: dict[str, str] = field(default_factory=dict)  # VAR=value
    jobs: int | None = None  # -j
    keep_going: bool = False  # -k
    dry_run: bool = False  # -n
    force: bool = False  # -B
    question: bool = False  # -q
    touch: bool = False  # -t: mark up to date, run nothing (`workflow.touching`)
    budget: float | None = None  # --budget
    silent: bool = False  # -s
    verbose: bool = False  # -v
    wait: bool = False  # --wait: for another agentmake holding the project, as long as it takes


@dataclass
class Project:
    """A loaded Agentfile and its full task graph."""

    agentfile: Agentfile
    graph: Graph
    warned: bool = False  # loading it said a warning (`load_warnings`): a build says it again, unstamped

    @property
    def root(self) -> Path:
        return self.agentfile.root

    @property
    def name(self) -> str:
        """The Agentfile's name in the project directory: what the state files its tasks' records under
        (several Agentfiles in one directory share its `.agentmake/`, `Store.owns`)."""
        return self.agentfile.path.name


def agentfile_path(req: Request) -> Path:
    return locate.agentfile_path(req.directory, req.agentfile)


def load_project(req: Request) -> Project:
    from agentmake.graph import build_graph
    from agentmake.syntax import load_agentfile

    agentfile = load_agentfile(agentfile_path(req), req.overrides)
    mark("agentfile")
    if (agentfile.root / ".agentmake" / "tmp").is_dir():  # a killed run may have left a half-done attempt
        from agentmake.runners.backups import recover_if_idle

        recover_if_idle(agentfile.root)  # only if no build holds the lock; builds recover in their Executor
    project = Project(agentfile, build_graph(agentfile))
    mark("graph")
    from agentmake.check_warnings import load_warnings

    for warning in load_warnings(agentfile):
        sys.stderr.write(f"agentmake: warning: {term_safe(warning)}\n")
        project.warned = True
    return project


def _out(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


# the names of the modules beside this one (`agentmake.lazy`, inlined: parsing the command line loads no more)
_HOMES = {
    **dict.fromkeys(
        ["FILES_KEPT", "FILES_PER_TASK", "backoff_base", "compile_templates", "exit_code",
         "jobs_within_open_files", "run_graph", "unrecorded_note", "warn_leftovers"],
        "agentmake.workflow.building",
    ),
    **dict.fromkeys(["running_elsewhere", "running_owners"], "agentmake.workflow.planning"),
    **dict.fromkeys(
        ["build", "clean", "explain", "graph", "report", "status", "warn_idle_targets", "watch"],
        "agentmake.workflow.commands",
    ),
}  # fmt: skip


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)


__all__ = [
    "Project",
    "Request",
    "build",
    "clean",
    "compile_templates",
    "explain",
    "graph",
    "load_project",
    "report",
    "run_graph",
    "status",
    "warn_leftovers",
    "watch",
]
