"""The task graph: agents and reports expanded into concrete tasks linked by files.

Contract (owned by the graph module; other modules rely on these names):
- `Task`: one concrete unit of work (an agent after wildcard expansion, or a report).
- `Graph`: tasks in a topological order, with deps/dependents/producer maps and `select(targets)`.
- `build_graph(agentfile) -> Graph`: expands fan-outs against files on disk and other tasks' outputs,
  links tasks by files, and raises `AgentfileError`/`UsageError` (cycle, missing input) before anything runs.
"""

from agentmake.graph.dag import Graph, Task, build_graph

__all__ = ["Graph", "Task", "build_graph"]
