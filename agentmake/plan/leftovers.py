"""Outputs left over from tasks no longer in the graph, or that their task no longer makes, that current tasks
still read.

A task drops out of the graph when the Agentfile changes or a wildcard's source is deleted; an output of a
task stays behind when the Agentfile renames it (`Store.strays`). Such outputs stay (agentmake deletes
nothing it was not asked to), and a glob such as ``out/*.txt`` still matches them, so a current task may go
on reading a result whose source is gone. `leftovers` finds each one: a recorded output of a task that is not
in the graph, or one its task no longer declares, still there with the content agentmake wrote, that no
current task makes and a selected task reads.

Of this Agentfile's records and strays alone, and of this configuration's (`Store.this_config`): outputs a
build with other variables on the command line made (`build/es/` under `lang=es`, while this build is
`lang=fr`'s and makes `build/fr/`) are not left over, whatever reads them, and `clean --leftovers` keeps them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from agentmake.graph import Graph
from agentmake.plan.hashing import hash_path
from agentmake.store import Store


@dataclass(frozen=True)
class Leftover:
    """`path`, made by `made_by` (a task no longer in the graph), read by `readers`."""

    path: str
    made_by: str
    readers: tuple[str, ...]
    renamed: bool = False  # `made_by` is in the graph, and no longer declares `path` (`Store.strays`)

    def message(self) -> str:
        reads = "reads" if len(self.readers) == 1 else "read"
        gone = "which no longer makes it" if self.renamed else "which is no longer in the graph"
        return (
            f"{self.path} is left over from {self.made_by}, {gone}, and "
            f"{', '.join(self.readers)} {reads} it: delete it if it is stale"
        )


def leftovers_message(found: Sequence[Leftover]) -> str:
    """One line for `found` (not empty): the one's `Leftover.message`, else their paths and readers in natural
    order, the first few of each (`firstfew.first_few`): `out/a.txt, out/b.txt, out/c.txt and 1 more are
    left over from tasks no longer in the graph, and r reads them: delete them if they are stale`."""
    if len(found) == 1:
        return found[0].message()
    from agentmake.firstfew import first_few
    from agentmake.natorder import natural_key

    paths = first_few(sorted((f.path for f in found), key=natural_key))
    readers = sorted({r for f in found for r in f.readers}, key=natural_key)
    gone = {
        (False,): "tasks no longer in the graph",
        (True,): "tasks that no longer make them",
        (False, True): "tasks no longer in the graph or that no longer make them",
    }[tuple(sorted({f.renamed for f in found}))]
    reads = "reads" if len(readers) == 1 else "read"
    said = f"{paths} are left over from {gone}, and {first_few(readers)} {reads} them"
    return f"{said}: delete them if they are stale"


def dropped_tasks(graph: Graph, store: Store) -> list[str]:
    """Tasks with a record (done, or failed after an earlier success) that the graph (the whole
    Agentfile's) no longer has: of this Agentfile's records (`Store.owns`), not another's in the directory."""
    return sorted(t for t in store.own_task_ids() if t not in graph.tasks)


def without_leftovers(graph: Graph, store: Store) -> Graph:
    """The graph as it is once the outputs of the `dropped_tasks` and the `stray_outputs` are gone: a task in
    `graph` only because a glob matches one of them drops out too, and so on down a chain of fan-outs (`up`
    made build/up/b.md of notes/b.md, deleted since; `count` fans out over build/up/{name}.md, so count:b is
    in `graph` while b.md is on disk, and its output is a leftover once b.md is gone). `graph` itself when
    nothing more drops out; when taking more away leaves an input a current task names missing (an
    `AgentfileError`), the last graph that loads: its leftovers, that named input among them, are removed
    as every leftover is (the build then says the input is missing, as it did after a second clean)."""
    from agentmake.errors import AgentfileError
    from agentmake.graph import build_graph

    absent: set[str] = set()
    while True:
        dropped = dropped_tasks(graph, store)
        gone = dropped_outputs(graph, store, dropped).keys() | stray_outputs(graph, store, dropped).keys()
        if gone <= absent:
            return graph
        absent |= gone
        try:
            graph = build_graph(graph.agentfile, absent)
        except AgentfileError:
            return graph


def dropped_outputs(graph: Graph, store: Store, dropped: list[str]) -> dict[str, list[str]]:
    """Output -> the content each of the `dropped` tasks (no longer in the graph) recorded for it, of the
    outputs their records list that no task of the graph makes now."""
    made_by: dict[str, list[str]] = {}
    for task_id in dropped:
        rec = store.task_record(task_id)
        for out, made in sorted(rec.outputs.items()) if rec is not None else ():
            if out not in graph.producer:
                made_by.setdefault(out, []).append(made)
    return made_by


def stray_outputs(graph: Graph, store: Store, dropped: list[str]) -> dict[str, tuple[str, str]]:
    """Path -> (task id, content hash as agentmake wrote it) of the outputs a task's record no longer lists
    (`Store.strays`: renamed in the Agentfile) that no task of `graph` makes, and that are not outputs of
    the `dropped` tasks' records (those are told as theirs)."""
    strays = store.strays()
    if not strays:
        return {}
    theirs = {path for task_id in dropped if (rec := store.task_record(task_id)) for path in rec.outputs}
    return {p: s for p, s in strays.items() if p not in graph.producer and p not in theirs}


def leftovers(graph: Graph, selected: Graph, store: Store, root: Path, dropped: list[str]) -> list[Leftover]:
    """The outputs of the `dropped` tasks (`dropped_tasks`), and the `stray_outputs`, that a task of
    `selected` reads. Only those few files are hashed (no stat cache is loaded for them)."""
    readers: dict[str, list[str]] = {}
    for task in selected.tasks.values():
        for path in task.inputs:
            readers.setdefault(path, []).append(task.id)
    found: list[Leftover] = []
    for task_id in dropped:
        rec = store.task_record(task_id)
        if rec is None:
            continue
        for path, digest in sorted(rec.outputs.items()):
            if path in readers and path not in graph.producer and holds(root / path, digest):
                found.append(Leftover(path, task_id, tuple(readers[path])))
    for path, (task_id, digest) in sorted(stray_outputs(graph, store, dropped).items()):
        if path in readers and holds(root / path, digest):
            found.append(Leftover(path, task_id, tuple(readers[path]), renamed=task_id in graph.tasks))
    return found


def holds(file: Path, digest: str) -> bool:
    """Whether `file` is a regular file with content hash `digest`."""
    try:
        return os.path.isfile(file) and hash_path(file) == digest
    except OSError:
        return False
