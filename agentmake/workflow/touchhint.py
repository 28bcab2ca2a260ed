"""The hint that `-t` exists, given where it saves money: no build of this Agentfile is recorded here (a fresh
checkout, `.agentmake/` deleted by mistake), yet tasks have their outputs in place. A build would run, and pay
for, every one of them again; `agentmake -t` records those outputs as built with no call. Said by `-n`,
`status` and a build before it starts (stderr), and only then: once one task has a record, never again."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from agentmake.invocation import command_line
from agentmake.safetext import term_safe

if TYPE_CHECKING:
    from agentmake.graph import Graph
    from agentmake.store import Store
    from agentmake.workflow import Project


def placed_unrecorded(project: Project, selected: Graph, store: Store) -> int:
    """How many tasks of `selected` have every output in place while no task of this Agentfile has a record
    here (0 as soon as one has: one query of the task ids, ~3 ms for 10,000 records). Not one whose output
    another Agentfile here has a record of (`plan.shared`): what is there is that one's result, for its
    task, which -t would record as this task's (a build restores or refuses, as it says)."""
    if store.task_ids():
        return 0
    root, theirs = str(project.root), store.others_outputs()  # (none but in a directory of several)
    exists, join = os.path.exists, os.path.join  # (not pathlib: a first build asks this of every output)
    return sum(
        1
        for task in selected.tasks.values()
        if task.outputs
        and not any(o in theirs for o in task.outputs)
        and all(exists(join(root, o)) for o in task.outputs)
    )


def hint_touch(project: Project, selected: Graph, store: Store, *, building: bool = False) -> bool:
    """Say on stderr, when `placed_unrecorded`, that a build pays for those tasks again and `-t` would record
    them (`building`: said by a build about to run them). True if said."""
    count = placed_unrecorded(project, selected, store)
    if not count:
        return False
    tasks = f"{count} tasks have their" if count != 1 else "1 task has its"
    them = "them" if count != 1 else "it"
    run = f"this build runs {them}" if building else f"a build runs {them}"
    sys.stderr.write(
        term_safe(
            f"agentmake: no build of {project.name} is recorded here (a fresh checkout, or .agentmake/"
            f" removed?), yet {tasks} outputs in place: {run} again, and pays for {them};"
            f" `{command_line('-t')}` records those outputs as built instead, calling nothing"
        )
        + "\n"
    )
    return True
