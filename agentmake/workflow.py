"""The pipeline each command runs: load -> graph -> rebuilder -> scheduler -> display/report.

The CLI turns argv into a `Request` and calls one function here; each returns the process exit code
(0 ok, 1 build failed, 2 usage/Agentfile error, 130 interrupted). (Contract stub: to be implemented.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Request:
    directory: Path = field(default_factory=Path.cwd)  # -C DIR (already resolved)
    agentfile: Path | None = None  # -f FILE; None: DIR/Agentfile
    targets: list[str] = field(default_factory=list)
    overrides: dict[str, str] = field(default_factory=dict)  # VAR=value
    jobs: int | None = None  # -j
    keep_going: bool = False  # -k
    dry_run: bool = False  # -n
    force: bool = False  # -B
    question: bool = False  # -q
    budget: float | None = None  # --budget
    silent: bool = False  # -s
    verbose: bool = False  # -v


def build(req: Request) -> int:
    raise NotImplementedError


def report(req: Request) -> int:
    """Build the named report targets (req.targets) or every report, then print each report's path."""
    raise NotImplementedError


def explain(req: Request) -> int:
    raise NotImplementedError


def graph(req: Request, fmt: str) -> int:
    raise NotImplementedError


def status(req: Request, as_json: bool) -> int:
    raise NotImplementedError


def clean(req: Request, cache: bool) -> int:
    raise NotImplementedError


def watch(req: Request) -> int:
    raise NotImplementedError
