"""Whether two loads of an Agentfile plan the same work: for watch mode, which must not let a build go on
starting tasks from an Agentfile (or prompt file) that has since been edited.

Two graphs plan the same work when they have the same tasks (ids, inputs, outputs, wildcard values) from
the same settings, variables, runners, agents and reports, ignoring where in the files each was written
(`loc`, an inline prompt's first line): a comment or a blank line added is no change.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from typing import Any

from agentmake.graph.dag import Graph

_WHERE = frozenset({"loc", "line_offset"})  # where a value was written: not what it says


def same_plan(old: Graph, new: Graph) -> bool:
    """True if `new` plans exactly the work `old` does (see the module docstring)."""
    if old.tasks.keys() != new.tasks.keys():
        return False
    for task_id, task in old.tasks.items():
        other = new.tasks[task_id]
        if (task.inputs, task.outputs, task.wildcards) != (other.inputs, other.outputs, other.wildcards):
            return False
    a, b = old.agentfile, new.agentfile
    return all(
        _plain(getattr(a, name)) == _plain(getattr(b, name))
        for name in ("settings", "variables", "runners", "agents", "reports")
    )


def _plain(value: Any) -> Any:
    """`value` as nested tuples, without the fields that only say where it was written."""
    if is_dataclass(value) and not isinstance(value, type):
        return (
            type(value).__name__,
            tuple(
                (f.name, _plain(getattr(value, f.name)))
                for f in fields(value)
                if f.compare and f.name not in _WHERE
            ),
        )
    if isinstance(value, dict):
        return tuple(sorted((k, _plain(v)) for k, v in value.items()))
    if isinstance(value, (tuple, list)):
        return tuple(_plain(v) for v in value)
    return value
