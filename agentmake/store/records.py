"""The records the store reads and writes: plain dataclasses, no I/O."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


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
    status: str = "done"  # "done" | "failed" | "partial" (a partial report: `agentmake.plan.partial`)
    finished_at: float = 0.0
    duration: float = 0.0
    attempts: int = 1
    cost_usd: float | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    run_id: int = 0
    error: str | None = None
    # a rebuilder memo kept beside the key (never part of it), readable without decoding `parts`;
    # the store fills it from ``parts["_memo"]`` when it is not given
    memo: str = ""
    # when the task's first attempt of this run started (its history row spans every attempt, as a failure's
    # does); not stored in the task row. None: `finished_at - duration`
    started_at: float | None = None
    # `duration` is the task's *time*: its attempts of that build, summed (retries in, backoff waits out). Not
    # stored in the task row: the successful attempt's own time (the history row keeps it as `duration`, the
    # next build's estimate), and (start, end) of each attempt when it took several (kept as `runs`)
    attempt_time: float | None = None
    runs: list[tuple[float, float]] | None = None
    # what the task waited for before it first started in that build: (task id, "dependency" | "slot"); kept
    # in the history row's `extra["after"]` (the report's critical path), not in the task row
    after: tuple[str, str] | None = None
    # its time, attempts, cost and tokens are those of the build that made the result, kept by a build that
    # spent nothing on it (its outputs passed a changed check, or already held the result): the record
    # describes the result in place; the history row, what this build did (no time, no call, no cost), with
    # the kept figures in `extra["made"]` (a later report's row for it, as `status` shows them)
    kept: bool = False
    # a salvaged answer whose cost this build counted, since no build had reported it (`scheduler.outcomes.
    # _unreported`): its history row ("cached") says so in `extra["paid_earlier"]`, and a report counts it
    paid_earlier: bool = False


# what making a record's result took and cost (`made_figures`): its fields, named as the `tasks` columns
FIGURES = ("duration", "attempts", "cost_usd", "tokens_in", "tokens_out")


def made_figures(record: TaskRecord) -> dict[str, Any]:
    """What making `record`'s result took and cost (`FIGURES`): kept in a history row that spent nothing on
    it (`TaskRecord.kept`) and with its cache entry (`cache.made`, given back when it is restored)."""
    return {name: getattr(record, name) for name in FIGURES}


def says_made(made: Mapping[str, Any]) -> bool:
    """Whether figures (`made_figures`) tell of a result made: an attempt, time, a cost or tokens; not those
    of a result `agentmake -t` recorded (0 attempts, 0.0s, nothing spent)."""
    if any(made.get(name) is not None for name in ("cost_usd", "tokens_in", "tokens_out")):
        return True
    return any(isinstance(v, (int, float)) and v > 0 for v in (made.get("attempts"), made.get("duration")))


def keep_figures(record: TaskRecord, made: Mapping[str, Any]) -> None:
    """`record`, of a result this build spent nothing on, describes it as `made` says it was made
    (`made_figures`): its time, cost and tokens (its attempts stay this build's), and `kept`."""
    duration = made.get("duration")
    record.duration = float(duration) if isinstance(duration, (int, float)) else record.duration
    cost = made.get("cost_usd")
    record.cost_usd = float(cost) if isinstance(cost, (int, float)) else None
    for name in ("tokens_in", "tokens_out"):
        value = made.get(name)
        setattr(record, name, int(value) if isinstance(value, int) else None)
    record.kept = True


class RawJSON(str):
    """JSON text not decoded yet: `TaskRecord.parts` and `.outputs`, and `AttemptRecord.extra`, decode it on
    first access (loading is then cheap)."""


def _lazy_json(slot: str) -> Any:
    """A property kept in the instance's ``__dict__[slot]``: a `RawJSON` there is decoded on first read."""

    def get(self: object) -> Any:
        value = self.__dict__[slot]
        if isinstance(value, RawJSON):
            value = self.__dict__[slot] = json.loads(value)
        return value

    def put(self: object, value: Any) -> None:
        self.__dict__[slot] = value

    return property(get, put)


TaskRecord.parts = _lazy_json("_parts")
TaskRecord.outputs = _lazy_json("_outputs")


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


def runs_extra(runs: list[tuple[float, float]]) -> list[list[float]]:
    """(start, end) of each attempt as kept in a history row's `extra["runs"]` (milliseconds are enough)."""
    return [[round(start, 3), round(end, 3)] for start, end in runs]


def run_time(a: AttemptRecord) -> float:
    """A history row's *time*: the seconds its attempts ran (`extra["runs"]`, when it took several), else its
    span (`ended_at - started_at`: one attempt, nothing waited)."""
    runs = a.extra.get("runs")
    if isinstance(runs, list) and runs:
        return sum(max(float(end) - float(start), 0.0) for start, end in runs)
    return max(a.ended_at - a.started_at, 0.0)


# (a report over 10k tasks and 19 builds read ~86k rows, and decoding every `extra` was ~0.5 s of its
# ~1.1 s: most readers want the figures only, and `extra` of a cached row alone, `paid_earlier`)
AttemptRecord.extra = _lazy_json("_extra")


def attempt_from_row(r: tuple[Any, ...]) -> AttemptRecord:
    """A history row read from `attempts` (its `_ATTEMPT_COLS`): its `extra` decoded on first access."""
    # (positional: its columns are the fields in order, run_id to message, then extra; a third faster)
    extra = r[11]
    return AttemptRecord(
        r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10],
        RawJSON(extra) if extra and extra != "{}" else {},  # type: ignore[arg-type]
    )  # fmt: skip
