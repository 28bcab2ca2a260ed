"""The hint for an output renamed in the Agentfile: the task's key names its outputs, so a build calls the
agent again for the result it made under the old name. When that is all that changed (the task is stale
for its outputs alone: `outputs-changed`, `output-missing`), one output renamed, the old file still holding
what agentmake recorded there and the new path free, `-n` and `status` say how to keep it instead:
`mv OLD NEW && agentmake -t TASK` (make -t records the moved file as built, calling nothing)."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

from agentmake.safetext import term_safe

if TYPE_CHECKING:
    from agentmake.graph import Graph
    from agentmake.plan import Decision
    from agentmake.store import Store
    from agentmake.workflow import Project

ONLY = frozenset({"outputs-changed", "output-missing"})


def rename_hints(project: Project, selected: Graph, decisions: Iterable[Decision], store: Store) -> list[str]:
    """A sentence for each task of `decisions` stale only because one of its outputs was renamed (see the
    module's docstring); reads the records of those tasks alone."""
    from agentmake.plan.leftovers import holds

    named = "" if project.name == "Agentfile" else f" -f {shlex.quote(project.name)}"
    hints: list[str] = []
    for d in decisions:
        kinds = {r.kind for r in d.reasons}
        if not d.stale or "outputs-changed" not in kinds or not kinds <= ONLY:
            continue
        task, record = selected.tasks.get(d.task_id), store.task_record(d.task_id)
        if task is None or record is None or record.status != "done":
            continue
        gone = [p for p in record.outputs if p not in task.outputs]
        new = [p for p in task.outputs if p not in record.outputs]
        if len(gone) != 1 or len(new) != 1:
            continue
        old, dest = gone[0], new[0]
        if (project.root / dest).exists() or not holds(project.root / old, record.outputs[old]):
            continue
        move = f"mv {shlex.quote(old)} {shlex.quote(dest)} && agentmake{named} -t {shlex.quote(d.task_id)}"
        hints.append(
            f"{d.task_id}: its output {old} is now {dest} in the Agentfile, so a build calls its agent again;"
            f" `{move}` keeps the result it made, calling nothing"
        )
    return hints


def say_rename_hints(project: Project, selected: Graph, decisions: Iterable[Decision], store: Store) -> None:
    """`rename_hints`, each on stderr (`agentmake: hint: …`)."""
    for hint in rename_hints(project, selected, decisions, store):
        sys.stderr.write(term_safe(f"agentmake: hint: {hint}") + "\n")
