"""Small, faithful stand-ins for the store, rebuilder and executor, used by the scheduler tests.

The executor runs REAL subprocesses (`sleep`) in their own process group, honours the cancel event, stages
outputs beside their targets like the real one, and logs every attempt's start and end so tests can measure
concurrency. This module holds no tests.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentmake.graph import Graph, Task
from agentmake.model import Agentfile, AgentSpec, Prompt, RunnerSpec, Settings
from agentmake.plan import Decision, Reason
from agentmake.runners import AttemptResult
from agentmake.store import AttemptRecord, TaskRecord

# -- graphs ------


@dataclass
class Spec:
    """A task for `make_graph`: `deps` are task ids; output is ``out/<id>.txt``."""

    id: str
    deps: tuple[str, ...] = ()
    runner: str = "r"
    priority: int = 0
    estimate: float | None = None
    retries: int | None = None
    shell: bool = False


def make_graph(
    root: Path, specs: list[Spec], runners: dict[str, int | None] | None = None, retries: int = 2
) -> Graph:
    runners = runners or {"r": None}
    runner_specs = {name: RunnerSpec(name, ("true",), parallel=cap) for name, cap in runners.items()}
    runner_specs.setdefault("shell", RunnerSpec("shell", ("sh", "-c")))
    agents: dict[str, AgentSpec] = {}
    tasks: dict[str, Task] = {}
    producer: dict[str, str] = {}
    for s in specs:
        out = f"out/{s.id}.txt"
        inputs = tuple(f"out/{d}.txt" for d in s.deps)
        agent = AgentSpec(
            s.id,
            inputs,
            (out,),
            prompt=None if s.shell else Prompt("do it"),
            run="true" if s.shell else None,
            runner="shell" if s.shell else s.runner,
            priority=s.priority,
            estimate=s.estimate,
            retries=s.retries,
        )
        agents[s.id] = agent
        tasks[s.id] = Task(s.id, s.id, "agent", inputs, (out,), agent)
        producer[out] = s.id
    af = Agentfile(root / "Agentfile", root, Settings(retries=retries), {}, runner_specs, agents, {})
    deps = {s.id: s.deps for s in specs}
    dependents: dict[str, list[str]] = {s.id: [] for s in specs}
    for s in specs:
        for d in s.deps:
            dependents[d].append(s.id)
    return Graph(af, tasks, deps, {k: tuple(v) for k, v in dependents.items()}, producer)


# -- store, hasher, rebuilder ------


class FakeHasher:
    def __init__(self) -> None:
        self.written: dict[str, str] = {}
        self.flushed = 0

    def note_written(self, path: str, digest: str, read_ns: int | None = None) -> None:
        self.written[path] = digest

    def records(self, paths: object) -> None:
        return None  # as `Hasher.records` for files it never looked at: the scheduler then checks nothing

    def flush(self) -> None:
        self.flushed += 1


class FakeStore:
    def __init__(self, root: Path, means: dict[str, float] | None = None) -> None:
        self.root = root
        self.dir = root / ".agentmake"
        self.means = means or {}
        self.successes: list[tuple[TaskRecord, dict[str, Path]]] = []
        self.attempt_records: list[AttemptRecord] = []
        self.failures: list[tuple[str, str]] = []
        self.logged: list[tuple[int, str, str, str, str]] = []
        self.marked: dict[str, tuple[int, int, int, int]] = {}
        self.cleared: list[str] = []
        self.running_rows: list[tuple[str, int, int, int]] = []
        self.cache: dict[str, dict[str, bytes]] = {}
        self.ended: dict[str, int] | None = None
        self.threads: set[int] = set()

    def _touch(self) -> None:
        self.threads.add(threading.get_ident())

    def mean_durations(self) -> dict[str, float]:
        return dict(self.means)

    def begin_run(self) -> int:
        self._touch()
        return 7

    def end_run(
        self, run_id: int, counts: dict[str, int], summed: Iterable[int] = (), said: bool = True
    ) -> None:
        self.ended = counts

    def spend_unsummed(self, ours: int | None = None) -> list[AttemptRecord]:
        """No build of this store was ever killed."""
        return []

    def spend_reported(self, task_id: str, at: float) -> bool:
        """Like the real store: a history row of the task spans `at` and says what its attempts cost."""
        return any(
            a.task_id == task_id and a.started_at <= at <= a.ended_at and a.cost_usd is not None
            for a in self.attempt_records
        )

    def task_record(self, task_id: str) -> TaskRecord | None:
        """The task's latest recorded success (this store records no failure's row)."""
        return next((r for r, _ in reversed(self.successes) if r.task_id == task_id), None)

    def record_success(self, record: TaskRecord, files: dict[str, Path], *, state: str = "done") -> None:
        """Like the real store: the task row, a history row (`state`) and a cache entry."""
        self._touch()
        assert all(p.is_file() for p in files.values()) and set(files) <= set(record.outputs)
        self.successes.append((record, files))
        now = record.finished_at
        self.attempt_records.append(
            AttemptRecord(record.run_id, record.task_id, state, now - record.duration, now, record.attempts)
        )

    def record_failure(self, task_id: str, run_id: int, error: str) -> None:
        self._touch()
        self.failures.append((task_id, error))

    def record_attempt(self, attempt: AttemptRecord) -> None:
        self._touch()
        self.attempt_records.append(attempt)

    def log_event(self, run_id: int, task_id: str, error_type: str, message: str, action: str) -> None:
        self._touch()
        self.logged.append((run_id, task_id, error_type, message, action))

    def mark_running(self, task_id: str, run_id: int, pid: int, pgid: int) -> None:
        self._touch()
        self.marked[task_id] = (run_id, pid, pgid, os.getpid())

    def clear_running(self, task_id: str) -> None:
        self.cleared.append(task_id)

    def running(self) -> list[tuple[str, int, int, int]]:
        return list(self.running_rows)

    def cache_restore(self, key: str, root: Path, moved: dict[str, str] | None = None) -> dict[str, str]:
        from agentmake.plan.hashing import hash_path

        out: dict[str, str] = {}
        for cached, data in self.cache[key].items():
            path = (moved or {}).get(cached, cached)
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            out[path] = hash_path(target)
        return out

    def save_edited(self, path: str) -> Path:
        dest = self.dir / "edited" / path
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.root / path, dest)
        return dest

    def states(self) -> dict[str, str]:
        return {a.task_id: a.state for a in self.attempt_records}


class FakeRebuilder:
    """Decides "run" unless `actions` says otherwise; remembers the order of decisions."""

    def __init__(
        self, actions: dict[str, str] | None = None, edited: dict[str, list[str]] | None = None
    ) -> None:
        self.hasher = FakeHasher()
        self.actions = actions or {}
        self.edited = edited or {}
        self.decided: list[str] = []

    def decide(self, task: Task, **_: Any) -> Decision:
        self.decided.append(task.id)
        action = self.actions.get(task.id, "run")
        reasons = [Reason("never-built", f"{task.id} was never built")]
        return Decision(
            task.id, action, reasons, f"key-{task.id}", {"id": task.id}, None, self.edited.get(task.id, [])
        )


# -- executor ------


@dataclass
class Step:
    """One attempt's behaviour: run `sleep seconds`, then report `outcome`."""

    seconds: float = 0.05
    outcome: str = "ok"
    error_type: str | None = None
    cost: float | None = None


@dataclass
class Entry:
    task_id: str
    attempt: int
    runner: str
    start: float
    end: float = 0.0
    pid: int = 0
    outcome: str = ""


@dataclass
class SleepExecutor:
    root: Path
    plans: dict[str, list[Step]] = field(default_factory=dict)
    default: Step = field(default_factory=Step)
    on_process: Any = None
    log: list[Entry] = field(default_factory=list)
    discarded: list[AttemptResult] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def step(self, task_id: str, attempt: int) -> Step:
        plan = self.plans.get(task_id)
        if not plan:
            return self.default
        return plan[min(attempt, len(plan)) - 1]

    def execute(self, task: Task, decision: Decision, attempt: int, cancel: threading.Event) -> AttemptResult:
        step = self.step(task.id, attempt)
        runner = task.spec.runner if isinstance(task.spec, AgentSpec) else ""
        entry = Entry(task.id, attempt, runner, time.monotonic())
        proc = subprocess.Popen(
            ["sleep", str(step.seconds)], start_new_session=True, stdin=subprocess.DEVNULL
        )
        entry.pid = proc.pid
        with self.lock:
            self.log.append(entry)
        if self.on_process is not None:
            self.on_process(task.id, proc.pid, proc.pid)
        while True:
            try:
                proc.wait(timeout=0.02)
                break
            except subprocess.TimeoutExpired:
                if cancel.is_set():
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait()
                    entry.end, entry.outcome = time.monotonic(), "cancelled"
                    return AttemptResult("cancelled", "cancelled", duration=entry.end - entry.start)
        entry.end, entry.outcome = time.monotonic(), step.outcome
        result = AttemptResult(
            step.outcome,
            "" if step.outcome == "ok" else f"{task.id} failed ({step.error_type or step.outcome})",
            error_type=step.error_type,
            duration=entry.end - entry.start,
            cost_usd=step.cost,
            exit_code=proc.returncode,
        )
        if step.outcome == "ok":
            for out in task.outputs:
                target = self.root / out
                target.parent.mkdir(parents=True, exist_ok=True)
                staged = target.with_name(f".{target.name}.agentmake-tmp-{attempt}")
                staged.write_text(f"{task.id} attempt {attempt}\n")
                result.staged[out] = staged
        return result

    def discard(self, result: AttemptResult) -> None:
        self.discarded.append(result)
        for staged in result.staged.values():
            staged.unlink(missing_ok=True)

    def paid_answers(self, task: Task, decision: Decision) -> list[AttemptResult]:
        """No interrupted run left an answer to salvage."""
        return []

    def may_salvage(self, task: Task, decision: Decision) -> bool:
        return False

    # measurements

    def entries(self, task_id: str | None = None) -> list[Entry]:
        return [e for e in self.log if task_id is None or e.task_id == task_id]

    def max_overlap(self, entries: list[Entry] | None = None) -> int:
        points = sorted(
            [(e.start, 1) for e in (entries if entries is not None else self.log)]
            + [(e.end, -1) for e in (entries if entries is not None else self.log)],
            key=lambda p: (p[0], p[1]),
        )
        best = current = 0
        for _, delta in points:
            current += delta
            best = max(best, current)
        return best


class EventLog:
    """A sink that records events and the threads it was called from."""

    def __init__(self, interrupt_on: Any = None) -> None:
        self.events: list[Any] = []
        self.threads: set[int] = set()
        self.interrupt_on = interrupt_on

    def __call__(self, event: Any) -> None:
        self.threads.add(threading.get_ident())
        self.events.append(event)
        if self.interrupt_on is not None and self.interrupt_on(self.events):
            self.interrupt_on = None
            raise KeyboardInterrupt

    def of(self, task_id: str) -> list[Any]:
        return [e for e in self.events if e.task_id == task_id]

    def states(self, task_id: str) -> list[str]:
        return [e.state for e in self.of(task_id)]
