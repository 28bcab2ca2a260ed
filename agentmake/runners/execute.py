"""Execute one attempt of one task (contract stub: to be implemented)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from agentmake.graph import Task
from agentmake.model import Agentfile
from agentmake.plan import Decision


@dataclass
class AttemptResult:
    """`outcome`: "ok", "retry" (worth another attempt), "fatal" (retrying cannot help) or "cancelled".
    `error_type`: "rate-limit", "overloaded", "auth", "quota", "timeout", "exit", "no-output", "check",
    "not-found", "usage" or None. `staged`: output path -> temporary file holding its final content (ok only)."""

    outcome: str
    message: str = ""
    error_type: str | None = None
    exit_code: int | None = None
    staged: dict[str, Path] = field(default_factory=dict)
    duration: float = 0.0
    cost_usd: float | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None

    @property
    def rate_limited(self) -> bool:
        return self.error_type in ("rate-limit", "overloaded")


class Executor:
    """Runs attempts. `on_process(task_id, pid, pgid)` is called once a child process exists (the scheduler
    records it in the store so a later run can end an orphan)."""

    def __init__(
        self,
        agentfile: Agentfile,
        *,
        log_dir: Path,
        on_process: Callable[[str, int, int], None] | None = None,
        verbose: bool = False,
    ) -> None:
        raise NotImplementedError

    def execute(self, task: Task, decision: Decision, attempt: int, cancel: threading.Event) -> AttemptResult:
        raise NotImplementedError

    def discard(self, result: AttemptResult) -> None:
        """Remove staged files of a result that will not be committed."""
        raise NotImplementedError
