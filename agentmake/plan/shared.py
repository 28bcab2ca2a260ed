"""Outputs two Agentfiles sharing a directory's state both declare.

Several Agentfiles in one directory (`Agentfile`, `ci.Agentfile` built with `-f`) share its `.agentmake/`,
and each has its own task records (`Store.owns`). When both declare the same output, each build takes the
other's result for a hand edit of its own ("edited by hand; keeping it") or, when its task runs, overwrites
it: no build of either is ever sure to leave its own result there. `shared_outputs` finds each output this
Agentfile declares that a record of another Agentfile (still there) lists; `Shared.theirs` tells whether the
file holds the other's result now (then a build of this Agentfile that runs or restores the task would
overwrite it: `refusal`). Only those few files are hashed; nothing is read in a directory of one Agentfile.
One task both declare alike (the same id, its key now the other's record's: from an include both read) is
no such output: each build finds its own result there (`workflow.building.check_shared` plans those tasks).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from agentmake.graph import Graph
from agentmake.plan.leftovers import holds
from agentmake.store import Store

# what to do, said after the warnings or with the error
ADVICE = "rename the output in one of them, or declare it in one only (the other may read it as an input)"


@dataclass(frozen=True)
class Shared:
    """`path`, declared by `task` of this Agentfile (`agentfile`) and recorded as an output of `other_task`
    of `other` (another Agentfile in the directory) by its last build. `theirs`: the file holds the result
    that build recorded (and not one this Agentfile's record holds)."""

    path: str
    agentfile: str
    task: str
    other: str
    other_task: str
    theirs: bool
    other_key: str = ""  # (the key of the other's record)

    @property
    def alike(self) -> bool:
        """The same task id in both, the other's record keyed: one task both declare if this one's key is
        that key now (`workflow.building.check_shared` asks)."""
        return self.task == self.other_task and bool(self.other_key)

    def message(self) -> str:
        now = (
            f"; it holds {self.other}'s result now, which a build that runs {self.task} stops rather than "
            "overwrite"
            if self.theirs
            else ""
        )
        return (
            f"{self.path} is an output of both {self.agentfile} (task {self.task}) and {self.other} "
            f"(task {self.other_task}, by its last build), which share this directory's state: each build "
            f"takes the other's result for a hand edit, or overwrites it{now}"
        )


def shared_outputs(graph: Graph, store: Store, root: Path, agentfile: str) -> list[Shared]:
    """The outputs of `graph` (the whole Agentfile's, named `agentfile`) that a record of another Agentfile
    still in the directory lists, by path."""
    theirs = store.others_outputs()
    if not theirs:  # (one Agentfile in the directory: no query of the records, nothing hashed)
        return []
    found: list[Shared] = []
    for path, (other, other_task, digest, key) in sorted(theirs.items()):
        task = graph.producer.get(path)
        if task is None:
            continue
        rec = store.task_record(task)
        # (one task both declare alike, e.g. from an include they share, is no shared output: but whether it
        # is so is its key now, not its record's, which was the other's too before this Agentfile declared
        # it otherwise: `Shared.alike`, which `workflow.building.check_shared` plans)
        mine = rec is not None and rec.outputs.get(path) == digest  # (the same content: this one's too)
        there = not mine and holds(root / path, digest)
        found.append(Shared(path, agentfile, task, other, other_task, there, key or ""))
    return found


def refusal(shared: list[Shared]) -> str:
    """The error of a build that would overwrite the other Agentfile's result in each of `shared`."""
    first = shared[0]
    more = f" (and {len(shared) - 1} more output{'s' if len(shared) > 2 else ''} likewise)"
    return (
        f"{first.path} holds the result of task {first.other_task} of {first.other}, which shares this "
        f"directory's state, and {first.agentfile} declares it too: building its task {first.task} would "
        f"overwrite that result{more if len(shared) > 1 else ''}; nothing was run"
    )


def refusal_hint(shared: list[Shared]) -> str:
    paths = " ".join(sorted({s.path for s in shared}))
    return f"{ADVICE}; or move {paths} away to build {shared[0].agentfile} anyway"
