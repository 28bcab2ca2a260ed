"""Tasks and the DAG that links them (contract stub: to be implemented)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from agentmake.model import Agentfile, AgentSpec, ReportSpec


@dataclass(frozen=True)
class Task:
    """A concrete task. `id` is the agent/report name, or for fan-out tasks ``name:v1,v2`` (wildcard values in
    order of first appearance in the inputs). `inputs`/`outputs` are concrete project-relative POSIX paths."""

    id: str
    name: str  # agent or report name
    kind: str  # "agent" | "report"
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    spec: AgentSpec | ReportSpec
    wildcards: tuple[tuple[str, str], ...] = ()

    @property
    def wildcard_values(self) -> dict[str, str]:
        return dict(self.wildcards)


@dataclass
class Graph:
    """Tasks keyed by id, in a topological order (dependencies first)."""

    agentfile: Agentfile
    tasks: dict[str, Task]
    deps: dict[str, tuple[str, ...]] = field(default_factory=dict)  # task -> tasks producing its inputs
    dependents: dict[str, tuple[str, ...]] = field(default_factory=dict)
    producer: dict[str, str] = field(default_factory=dict)  # output path -> task id

    def select(self, targets: Sequence[str]) -> Graph:
        """The sub-graph needed for `targets` (task ids, agent/report names, or output paths).
        An unknown target raises UsageError with "did you mean". Empty `targets`: the default targets."""
        raise NotImplementedError


def build_graph(agentfile: Agentfile) -> Graph:
    raise NotImplementedError
