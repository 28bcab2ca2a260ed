"""One concrete task: an agent after wildcard expansion, or a report."""

from __future__ import annotations

from dataclasses import dataclass

from agentmake.model import AgentSpec, ReportSpec


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
