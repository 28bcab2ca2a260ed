"""The build loop (contract stub: to be implemented)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from agentmake.graph import Graph
from agentmake.plan import Rebuilder
from agentmake.runners import Executor
from agentmake.scheduler.events import BuildResult, TaskEvent
from agentmake.store import Store


@dataclass
class BuildOptions:
    jobs: int = 4
    keep_going: bool = False
    budget: float | None = None


def run_build(
    graph: Graph,
    rebuilder: Rebuilder,
    executor: Executor,
    store: Store,
    options: BuildOptions,
    sink: Callable[[TaskEvent], None],
) -> BuildResult:
    raise NotImplementedError
