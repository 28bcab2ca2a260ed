"""The task graph: agents and reports expanded into concrete tasks linked by files.

Contract (owned by the graph module; other modules rely on these names):
- `Task`: one concrete unit of work (an agent after wildcard expansion, or a report).
- `Graph`: tasks in a topological order, with deps/dependents/producer maps and `select(targets)`;
  helpers `topo_order()`, `tasks_named(name)`, `needs(id)`, `needed_by(id)`, `source_files()`.
- `build_graph(agentfile) -> Graph`: expands fan-outs against files on disk and other tasks' outputs,
  links tasks by files, and raises `AgentfileError`/`UsageError` (cycle, missing input) before anything runs.
- `makes_no_task(agent) -> str`: what to say of an agent that makes no task (its fan-out matches no file).
- `render_graph(graph, fmt) -> str`: the graph as "text", "dot" or "mermaid".

Modules: `globs` (patterns and the file index), `overlap` (can two patterns meet), `expand` (specs → tasks),
`dag` (linking, order, select), `sources` (a target naming a prompt or include), `export` (rendering), `task`
(the Task record).

The names are imported on first use, so `agentmake.graph.globs` (which the build stamp's no-op path uses to
list a directory again) loads alone, without the model or the rest of the graph.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentmake.lazy import lazy_names

if TYPE_CHECKING:
    from agentmake.graph.checks import makes_no_task
    from agentmake.graph.dag import Graph, Task, build_graph
    from agentmake.graph.export import FORMATS, render_graph

__all__ = ["FORMATS", "Graph", "Task", "build_graph", "makes_no_task", "render_graph"]


__getattr__ = lazy_names(
    __name__,
    {
        "Graph": "agentmake.graph.dag",
        "Task": "agentmake.graph.dag",
        "build_graph": "agentmake.graph.dag",
        "makes_no_task": "agentmake.graph.checks",
        "FORMATS": "agentmake.graph.export",
        "render_graph": "agentmake.graph.export",
    },
)
