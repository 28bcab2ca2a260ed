"""Which ready task goes first: critical-path weights and a priority queue over them.

A task's weight is its own expected duration plus the heaviest chain of tasks that wait on it, so the task
at the head of the longest remaining path starts first (what keeps wall time near the critical path). Ties are
broken by the agent's `priority` (higher first), then by declaration order: agents as declared, an agent's
tasks in natural order (`natorder`: `copy:2` before `copy:10`, as the display and summaries list them).

Expected duration, in order of preference: the task's recorded mean, the mean of its agent's recorded tasks
(fan-out ids are ``name:values``), the agent's `estimate`, and `DEFAULT_DURATION`.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping

from agentmake.graph import Graph, Task
from agentmake.model import AgentSpec
from agentmake.natorder import in_natural_order

DEFAULT_DURATION = 1.0  # seconds: a task nobody knows anything about

PriorityKey = tuple[float, int, int]


def expected_durations(graph: Graph, means: Mapping[str, float]) -> dict[str, float]:
    """Expected duration of each task of `graph`, from recorded `means` (task id -> seconds) and estimates."""
    by_name: dict[str, list[float]] = {}
    for task_id, mean in means.items():
        by_name.setdefault(task_id.split(":", 1)[0], []).append(mean)
    name_mean = {name: sum(values) / len(values) for name, values in by_name.items()}
    durations: dict[str, float] = {}
    for task_id, task in graph.tasks.items():
        if task_id in means:
            durations[task_id] = means[task_id]
        elif task.name in name_mean:
            durations[task_id] = name_mean[task.name]
        elif isinstance(task.spec, AgentSpec) and task.spec.estimate is not None:
            durations[task_id] = task.spec.estimate
        else:
            durations[task_id] = DEFAULT_DURATION
    return durations


def critical_path_weights(graph: Graph, durations: Mapping[str, float]) -> dict[str, float]:
    """Weight of each task: its duration plus the largest weight among its dependents (bottom-up, one pass).

    Example: a(1s) -> b(5s) and c(2s) independent: weights a=6, b=5, c=2, so `a` starts before `c`.
    """
    weights: dict[str, float] = {}
    for task_id in _reverse_topological(graph):
        below = [weights[d] for d in graph.dependents.get(task_id, ()) if d in weights]
        weights[task_id] = durations.get(task_id, DEFAULT_DURATION) + (max(below) if below else 0.0)
    return weights


def priority_keys(graph: Graph, weights: Mapping[str, float]) -> dict[str, PriorityKey]:
    """Sort key of every task: smaller goes first (equals: agents as declared, each one's tasks in natural
    order, ranked once here rather than compared at each pop)."""
    tasks = graph.tasks
    return {
        task_id: (-weights[task_id], -_priority(tasks[task_id]), order)
        for order, task_id in enumerate(in_natural_order(tasks))
    }


def _priority(task: Task) -> int:
    return task.spec.priority if isinstance(task.spec, AgentSpec) else 0


def _reverse_topological(graph: Graph) -> list[str]:
    """Task ids, dependents before their dependencies (Kahn's algorithm; no trust in dict order)."""
    remaining = {t: sum(1 for d in graph.dependents.get(t, ()) if d in graph.tasks) for t in graph.tasks}
    stack = [t for t, n in remaining.items() if n == 0]
    order: list[str] = []
    while stack:
        task_id = stack.pop()
        order.append(task_id)
        for dep in graph.deps.get(task_id, ()):
            if dep in remaining:
                remaining[dep] -= 1
                if remaining[dep] == 0:
                    stack.append(dep)
    return order


class ReadyQueue:
    """A heap of task ids ordered by their priority keys (O(log n) push and pop)."""

    def __init__(self, keys: Mapping[str, PriorityKey]) -> None:
        self._keys = keys
        self._heap: list[tuple[PriorityKey, str]] = []

    def push(self, task_id: str) -> None:
        heapq.heappush(self._heap, (self._keys[task_id], task_id))

    def pop(self) -> str:
        return heapq.heappop(self._heap)[1]

    def peek_key(self) -> PriorityKey | None:
        return self._heap[0][0] if self._heap else None

    def remove(self, task_id: str) -> None:
        """Drop `task_id` if queued (O(n): for rare cancellations only)."""
        kept = [item for item in self._heap if item[1] != task_id]
        if len(kept) != len(self._heap):
            self._heap = kept
            heapq.heapify(self._heap)

    def drain(self) -> list[str]:
        """Remove and return every queued task id (in no particular order)."""
        items = [task_id for _, task_id in self._heap]
        self._heap.clear()
        return items

    def __len__(self) -> int:
        return len(self._heap)


def park(
    parked: dict[str | None, ReadyQueue], runner: str | None, task_id: str, keys: Mapping[str, PriorityKey]
) -> None:
    """Queue `task_id` in `parked` under its runner, whose queue is made at its first task (`setdefault`
    made a queue, thrown away, at every call: 0.33 µs a task)."""
    queue = parked.get(runner)
    if queue is None:
        queue = parked[runner] = ReadyQueue(keys)
    queue.push(task_id)
