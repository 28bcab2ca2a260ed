"""What the scheduler keeps per task: its state during a build, and the static facts it needs about it."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from agentmake.graph import Task
from agentmake.model import Agentfile, AgentSpec, ReportSpec, runner_name
from agentmake.plan import Decision
from agentmake.plan.hashing import Seen
from agentmake.plan.partial import Gap
from agentmake.scheduler.events import TaskOutcome

TERMINAL = frozenset({"done", "failed", "cached", "up-to-date", "not-run", "interrupted"})
MADE = frozenset({"done", "cached", "up-to-date"})  # a task whose outputs this build made or found up to date


@dataclass(eq=False)
class TaskState:
    """What the scheduler knows about one task during a build."""

    task: Task
    runner: str | None
    llm: bool
    max_attempts: int
    waiting_on: int
    outcome: TaskOutcome
    decision: Decision | None = None
    attempt: int = 0
    started_as: int = 0  # the number `Limits.acquire` gave its latest attempt (for `lower` and `grow`)
    cancel: threading.Event | None = None
    notice: str | None = None  # where hand-edited outputs were saved
    error_type: str | None = None
    failed_attempt: str | None = None  # the error of its latest failed attempt in this build, to be retried
    cancelled_for: str | None = None  # why another thread asked to cancel it (watch mode)
    commit_pending: bool = False  # recorded done, outputs not placed: the next run restores them
    seen: list[Seen] | None = None  # its inputs as decided (`Hasher.records`)
    moves: int = 0  # times it was decided again because an input changed while it ran
    outputs_then: list[Seen | None] | None = None  # its outputs as decided to run (`Decision.outputs_seen`)
    gaps: list[Gap] = field(default_factory=list)  # a partial report's inputs not made whole (`plan.partial`)
    readied_by: str | None = None  # the dependency whose end made it ready (None: ready from the start)
    parked_at: float = 0.0  # when it was decided to run and parked, waiting for a slot (time.time())
    # what it waited for before it first started: (task id, "dependency" | "slot"); None: nothing of this
    # build (`Starting._waited_for`, kept in its history row for the report's critical path)
    after: tuple[str, str] | None = None

    @property
    def id(self) -> str:
        return self.task.id

    @property
    def state(self) -> str:
        return self.outcome.state


def runner_of(task: Task, agentfile: Agentfile) -> str | None:
    """The runner whose `parallel` caps this task: an agent's runner, a merge report's runner, else None."""
    spec = task.spec
    if isinstance(spec, ReportSpec) and spec.merge is None:
        return None
    return runner_name(spec, agentfile.settings)


def max_attempts(task: Task, runner: str | None, agentfile: Agentfile) -> int:
    """1 + retries, retries from the agent, else its runner, else the settings."""
    own = task.spec.retries if isinstance(task.spec, AgentSpec) else None
    spec = agentfile.runners.get(runner) if runner else None
    retries = own if own is not None else spec.retries if spec and spec.retries is not None else None
    if retries is None:
        retries = agentfile.settings.retries
    return 1 + max(retries, 0)


def is_llm(task: Task) -> bool:
    spec = task.spec
    return (not spec.is_shell) if isinstance(spec, AgentSpec) else spec.merge is not None


def takes_gaps(task: Task) -> bool:
    """Whether `task` is built as a partial report when some of its inputs are missing (with -k): a report
    without `merge` (it renders locally, at no cost; a merge report's agent would be paid to read half)."""
    spec = task.spec
    return isinstance(spec, ReportSpec) and spec.merge is None
