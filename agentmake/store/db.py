"""The state store (contract stub: to be implemented; document the on-disk format here, with its version)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentmake.errors import UsageError


class LockedError(UsageError):
    """Another agentmake process holds the project lock (message names its pid)."""


@dataclass(frozen=True)
class FileRecord:
    """Stat-cache entry: a file's identity when its content hash was computed."""

    path: str
    size: int
    mtime_ns: int
    inode: int
    hash: str
    recorded_ns: int  # wall clock (time.time_ns) when recorded: for git's racily-clean rule


@dataclass
class TaskRecord:
    """The last successful build of a task (or its last failure, status "failed")."""

    task_id: str
    key: str
    parts: dict[str, Any]  # the key's components (see plan.keys), for explain
    outputs: dict[str, str]  # output path -> content hash as agentmake wrote it
    status: str = "done"  # "done" | "failed"
    finished_at: float = 0.0
    duration: float = 0.0
    attempts: int = 1
    cost_usd: float | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    run_id: int = 0
    error: str | None = None


@dataclass
class AttemptRecord:
    """One task's outcome in one run (history): used for mean durations, reports and status.md."""

    run_id: int
    task_id: str
    state: str  # "done" | "cached" | "failed" | "interrupted" | "not-run"
    started_at: float
    ended_at: float
    attempts: int = 1
    cost_usd: float | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    error_type: str | None = None
    message: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Store:
    """Opened once per process on a project root; holds the lock until `close()`."""

    root: Path
    dir: Path  # root / ".agentmake"

    @classmethod
    def open(cls, root: Path, *, wait: float = 2.0, lock: bool = True) -> Store:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    # stat cache
    def file_records(self) -> dict[str, FileRecord]:
        raise NotImplementedError

    def save_file_records(self, records: Iterable[FileRecord]) -> None:
        raise NotImplementedError

    # task state
    def task_records(self) -> dict[str, TaskRecord]:
        raise NotImplementedError

    def record_success(self, record: TaskRecord, files: dict[str, Path]) -> None:
        """One transaction: the task row, a history row, and a cache entry for `record.key` whose blobs are the
        given files (output path -> file holding its final content)."""
        raise NotImplementedError

    def record_attempt(self, attempt: AttemptRecord) -> None:
        raise NotImplementedError

    def mean_durations(self) -> dict[str, float]:
        raise NotImplementedError

    # runs
    def begin_run(self) -> int:
        raise NotImplementedError

    def end_run(self, run_id: int, counts: dict[str, int]) -> None:
        raise NotImplementedError

    def attempts(self, run_id: int | None = None) -> list[AttemptRecord]:
        raise NotImplementedError

    # processes of running tasks (never two live copies of one task)
    def mark_running(self, task_id: str, run_id: int, pid: int, pgid: int) -> None:
        raise NotImplementedError

    def clear_running(self, task_id: str) -> None:
        raise NotImplementedError

    def running(self) -> list[tuple[str, int, int, int]]:
        """(task_id, pid, pgid, owner agentmake pid) of tasks recorded as running."""
        raise NotImplementedError

    # error log
    def log_event(self, run_id: int, task_id: str, error_type: str, message: str, action: str) -> None:
        raise NotImplementedError

    def events(self, run_id: int | None = None) -> list[dict[str, Any]]:
        raise NotImplementedError

    # constructive traces
    def cache_lookup(self, key: str) -> dict[str, str] | None:
        """Output path -> blob hash of a result seen before under `key`, if all its blobs are present."""
        raise NotImplementedError

    def cache_restore(self, key: str, root: Path) -> dict[str, str]:
        """Write the cached outputs of `key` under `root` atomically; returns path -> hash."""
        raise NotImplementedError

    def cache_clear(self) -> None:
        raise NotImplementedError

    def cache_trim(self, limit_bytes: int) -> int:
        raise NotImplementedError

    def save_edited(self, path: str) -> Path:
        """Copy a hand-edited output somewhere the user can find it; returns where."""
        raise NotImplementedError
