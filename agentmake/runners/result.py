"""What came of one attempt (`AttemptResult`): the outcome, its error type and message, the staged outputs,
duration, cost and tokens, and where its logs are."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class AttemptResult:
    """`outcome`: "ok", "retry" (worth another attempt), "fatal" (retrying cannot help), "cancelled" or
    "held" (its outputs in place failed its new check, and the build no longer calls its agent: the
    message says why; `Executor.calls_held`).
    `error_type`: "rate-limit", "overloaded", "auth", "quota", "timeout", "exit", "no-output", "check",
    "not-found", "usage", "prompt-too-large", "permission" (the CLI refused the tools that write the
    outputs) or None. `staged`: output path -> temporary file holding its final content (ok only).
    `log_stem`: ``<log_dir>/<safe id>.<attempt>``; add ``.out``/``.err`` for the agent's output.
    `salvaged`, `in_place`, `rejected`: see the fields."""

    outcome: str
    message: str = ""
    error_type: str | None = None
    exit_code: int | None = None
    staged: dict[str, Path] = field(default_factory=dict)
    duration: float = 0.0
    cost_usd: float | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    log_stem: Path | None = None
    salvaged: bool = False  # ok with the answer of an earlier, interrupted run's attempt (`runners.salvage`)
    # salvaged: the log stem of the attempt that paid for that answer, and when it started (None if a build
    # recorded that spend: `salvage.note_reported`)
    paid_by: Path | None = None
    paid_at: float | None = None
    # ok with no call: the outputs in place pass the task's new check (`Decision.recheck`); `staged` holds the
    # copies it ran on if it rewrote one, to be committed as the task's outputs, and is empty if it did not
    in_place: bool = False
    # salvaged answers of earlier, interrupted runs that this attempt (the task's first in the build) found
    # failing the task's check before it asked the agent again: what each cost (`paid_by`, `paid_at`), to
    # be counted once (`scheduler.spending._add_rejected`)
    rejected: list[AttemptResult] = field(default_factory=list)
    retry_after: float | None = None  # seconds the provider said to wait before the next call (a rate limit)
    notice: str = ""  # ok: worth telling, though not a failure (e.g. what an agent wrote in place was kept)

    @property
    def rate_limited(self) -> bool:
        return self.error_type in ("rate-limit", "overloaded")
