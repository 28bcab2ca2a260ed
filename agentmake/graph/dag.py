"""The DAG: tasks linked by the files one produces and another reads, in a topological order, and sub-graphs.

Example: `translate` (inputs `docs/{name}.md`, outputs `build/zh/{name}.md`) and a report `summary` over
`build/zh/*.md`, with `docs/a.md` and `docs/b.md` on disk, give the tasks ``translate:a``, ``translate:b``,
``summary`` (in that order);
``deps["summary"] == ("translate:a", "translate:b")`` and ``producer["build/zh/a.md"] == "translate:a"``.

Guarantees of `build_graph`: `tasks` lists dependencies before dependents, ties broken by declaration order
(agents, then reports; a fan-out's tasks sorted by wildcard values), so the order is the same on every run.
Every input is a file on disk or some task's output, every output one a build may write (`checks`); no two
tasks produce one file; there is no cycle.
"""

from __future__ import annotations

import heapq
import itertools
import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from agentmake.commandnames import command_hint
from agentmake.errors import AgentfileError, UsageError, close_names, either
from agentmake.firstfew import first_few
from agentmake.gcpause import gc_paused
from agentmake.graph.checks import check_inputs, check_outputs, makes_no_task
from agentmake.graph.expand import Node, compile_nodes, expand_all
from agentmake.graph.fileindex import FileIndex
from agentmake.graph.globs import target_path
from agentmake.graph.sources import refuse_source
from agentmake.graph.task import Task
from agentmake.model import Agentfile

ONCE = "each output once"  # what an error about an output named twice says was expected

__all__ = ["Graph", "Task", "build_graph", "makes_no_task"]


@dataclass
class Graph:
    """Tasks keyed by id, in a topological order (dependencies first)."""

    agentfile: Agentfile
    tasks: dict[str, Task]
    deps: dict[str, tuple[str, ...]] = field(default_factory=dict)  # task -> tasks producing its inputs
    dependents: dict[str, tuple[str, ...]] = field(default_factory=dict)
    producer: dict[str, str] = field(default_factory=dict)  # output path -> task id
    index: FileIndex | None = field(default=None, compare=False, repr=False)  # the directories listed
    # the graph `select` took this one from (None: this is the whole graph): what reads a task's outputs
    # beyond the selection (a report read by an agent is restored, not rendered anew: `plan.rebuilder`)
    whole: Graph | None = field(default=None, compare=False, repr=False)
    # tasks by name, built on first use; (the tasks dict, its size) it was built from
    _named: dict[str, list[Task]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _named_from: tuple[int, int] = field(default=(0, -1), init=False, repr=False, compare=False)

    def topo_order(self) -> list[str]:
        """Task ids, dependencies first (the order of `tasks`)."""
        return list(self.tasks)

    def tasks_named(self, name: str) -> list[Task]:
        """Every task of the agent or report `name` (several for a fan-out, none if it matched nothing)."""
        key = (id(self.tasks), len(self.tasks))
        if self._named_from != key:
            named: dict[str, list[Task]] = {}
            for t in self.tasks.values():
                named.setdefault(t.name, []).append(t)
            self._named, self._named_from = named, key
        return list(self._named.get(name, ()))

    def needs(self, task_id: str) -> set[str]:
        """Every task `task_id` transitively depends on (not itself)."""
        return _closure([task_id], self.deps) - {task_id}

    def needed_by(self, task_id: str) -> set[str]:
        """Every task that transitively depends on `task_id` (not itself): what its failure affects."""
        return _closure([task_id], self.dependents) - {task_id}

    def source_files(self) -> list[str]:
        """Inputs no task produces (files the user edits), sorted: what watch mode watches."""
        return sorted({p for t in self.tasks.values() for p in t.inputs if p not in self.producer})

    def select(self, targets: Sequence[str]) -> Graph:
        """The sub-graph needed for `targets` (task ids, agent/report names, or output paths; a directory
        selects every output under it). An unknown target raises UsageError with "did you mean". Empty
        `targets`: the `default` setting, else every report, else every task. Keeps this graph's order."""
        if not targets:
            settings_default = self.agentfile.settings.default
            if settings_default:
                return self._subgraph(_closure(self._resolve_default(settings_default), self.deps))
            elif self.agentfile.reports:
                targets = list(self.agentfile.reports)
            else:
                return self._subgraph(set(self.tasks))
        wanted: list[str] = []
        for target in targets:
            wanted.extend(self.resolve(target, commands=True))
        return self._subgraph(_closure(wanted, self.deps))

    def _resolve_default(self, targets: Sequence[str]) -> list[str]:
        """The task ids `default` names. The loader checked that a task could make each of its files; one no
        task makes now (its source deleted) is named as `default`'s, since the command line named none."""
        wanted: list[str] = []
        for target in targets:
            try:
                wanted.extend(self.resolve(target))
            except UsageError as e:
                raise UsageError(f"`default` names {e}") from None
        return wanted

    def _output_path(self, target: str) -> str:
        """`target` as the project names a path: relative to the project's root, or, when that names no
        output (nor a directory of outputs) and the target is relative, to the current directory if that
        one does (`agentmake -f sub/Agentfile sub/out/a.md`, a path completed by the shell from here)."""
        root = str(self.agentfile.root)
        path = target_path(target, root)
        if os.path.isabs(target) or self._makes(path):
            return path
        here = target_path(os.path.abspath(target), root)
        return here if not os.path.isabs(here) and self._makes(here) else path

    def _makes(self, path: str) -> bool:
        """Whether `path` is an output of a task, or a directory holding one."""
        return path in self.producer or (bool(path) and any(o.startswith(path + "/") for o in self.producer))

    def resolve(self, target: str, *, commands: bool = False) -> list[str]:
        """The task ids one target names (as `select` takes it, without what they depend on): a task id, an
        agent or report name, an output path (`./out/a.md` and an absolute path inside the project too), or
        a directory holding outputs. UsageError with "did you mean" for anything else: the closest names
        (up to three), and with `commands` (a target from the command line) the command a misspelt one
        was meant to be (`agentmake reprot`: "did you mean … the command `agentmake report`?")."""
        if target in self.tasks:
            return [target]
        named = self.tasks_named(target)
        if named or target in self.agentfile.agents or target in self.agentfile.reports:
            return [t.id for t in named]
        path = self._output_path(target)
        if path in self.producer:
            return [self.producer[path]]
        under = [tid for out, tid in self.producer.items() if out.startswith(path + "/")] if path else []
        if under:
            return list(dict.fromkeys(under))
        readers = [tid for tid, t in self.tasks.items() if path in t.inputs] if path else []
        if readers:  # (make: "nothing to be done for"; here a target the user may have meant as an output)
            some = first_few(readers)
            raise UsageError(
                f"'{target}' is an input, not an output: no agent makes it (it is read by {some}); "
                "name an output, an agent or a report"
            )
        if path:  # (`explain prompts/sum.md`: what does editing it rerun? the agents it prompts)
            refuse_source(self.agentfile, target, path)
        names = [*self.agentfile.agents, *self.agentfile.reports]
        close = close_names(target, [*names, *self.tasks, *self.producer], most=3)
        command = command_hint(target) if commands else None
        known = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
        message = f"unknown target '{target}'"
        meant = [either(close)] if close else []
        meant += [command] if command else []
        if meant:
            message += f"; did you mean {', or '.join(meant)}?"
        else:
            message += f" (targets: {known or 'none'})"
        raise UsageError(message)

    def _subgraph(self, keep: set[str]) -> Graph:
        tasks = {tid: t for tid, t in self.tasks.items() if tid in keep}
        return Graph(
            self.agentfile,
            tasks,
            {tid: self.deps.get(tid, ()) for tid in tasks},
            {tid: tuple(d for d in self.dependents.get(tid, ()) if d in keep) for tid in tasks},
            {path: tid for path, tid in self.producer.items() if tid in keep},
            self.index,
            self.whole or self,
        )


def build_graph(agentfile: Agentfile, absent: Collection[str] = ()) -> Graph:
    """Expand agents and reports into tasks, link them by files and order them (see the module docstring).
    Raises AgentfileError for a missing input, a glob an agent needs that matches nothing, two producers of
    one file, an output outside the project, or a cycle. `absent`: files on disk to take as not there
    (project-relative paths; `FileIndex.absent`)."""
    with gc_paused():
        return _build(agentfile, absent)


def _build(agentfile: Agentfile, absent: Collection[str]) -> Graph:
    nodes = compile_nodes(agentfile)
    index = FileIndex(agentfile.root, absent)
    expand_all(nodes, index)
    ordered = [t for node in nodes for t in node.tasks]  # declaration order
    node_of = {node.name: node for node in nodes}

    producer: dict[str, str] = {}
    tasks: dict[str, Task] = {}
    for t in ordered:
        if t.id in tasks:
            raise AgentfileError(f"two tasks get the id '{t.id}' (wildcard values containing ',')")
        tasks[t.id] = t
        if len(t.outputs) > 1 and len(set(t.outputs)) < len(t.outputs):  # (out/x.md out/./x.md)
            twice = next(o for i, o in enumerate(t.outputs) if o in t.outputs[:i])
            node = node_of[t.name]
            where = node.loc("outputs" if node.kind == "agent" else "output")
            raise AgentfileError(f"task {t.id}'s outputs name '{twice}' twice", where, [ONCE])
        for out in t.outputs:
            other = producer.setdefault(out, t.id)
            if other != t.id:
                node = node_of[t.name]
                hint = "each file must have exactly one producer"
                if tasks[other].name == t.name and t.wildcards:  # (a fan-in written as a fan-out)
                    names = ", ".join(f"{{{w}}}" for w, _ in t.wildcards)
                    hint = (
                        f"agent '{t.name}' makes a task per match of {names}, each writing '{out}': put "
                        f"{names} in its outputs too, or read every match in one task with a glob (*)"
                    )
                raise AgentfileError(
                    f"'{out}' is produced by both '{other}' and '{t.id}'",
                    node.loc("outputs" if node.kind == "agent" else "output"),
                    ["an output no other task writes"],
                    hint,
                )
    for node in nodes:
        check_inputs(node, producer, index, nodes)
    check_outputs(agentfile, nodes, producer, tasks, node_of, index)  # (after: the inputs' listings help)

    deps: dict[str, tuple[str, ...]] = {}
    dependents: dict[str, list[str]] = {t.id: [] for t in ordered}
    get = producer.get
    for t in ordered:
        tid, ins = t.id, t.inputs
        if len(ins) == 1:  # the common case, without building a dict
            d = get(ins[0])
            ds: tuple[str, ...] = (d,) if d is not None and d != tid else ()
        else:
            ds = tuple(dict.fromkeys(d for d in map(get, ins) if d is not None and d != tid))
        deps[tid] = ds
        for d in ds:
            dependents[d].append(tid)

    order = _topo(ordered, deps, dependents)
    if len(order) < len(ordered):
        raise _cycle_error([t for t in ordered if t.id not in set(order)], deps, tasks, node_of)
    return Graph(
        agentfile,
        {tid: tasks[tid] for tid in order},
        {tid: deps[tid] for tid in order},
        {tid: tuple(dependents[tid]) for tid in order},
        producer,
        index,
    )


def _topo(
    ordered: list[Task], deps: dict[str, tuple[str, ...]], dependents: dict[str, list[str]]
) -> list[str]:
    """Kahn's algorithm; among ready tasks the earliest declared goes first. When every task is declared
    after its dependencies, that is the declaration order itself (checked in one pass)."""
    rank = {t.id: i for i, t in enumerate(ordered)}
    if all(rank[d] < i for i, t in enumerate(ordered) for d in deps[t.id]):
        return [t.id for t in ordered]
    missing = {tid: len(ds) for tid, ds in deps.items()}
    heap = [rank[tid] for tid, n in missing.items() if n == 0]
    heapq.heapify(heap)
    order: list[str] = []
    while heap:
        tid = ordered[heapq.heappop(heap)].id
        order.append(tid)
        for d in dependents[tid]:
            missing[d] -= 1
            if missing[d] == 0:
                heapq.heappush(heap, rank[d])
    return order


def _cycle_error(
    stuck: list[Task], deps: dict[str, tuple[str, ...]], tasks: dict[str, Task], node_of: dict[str, Node]
) -> AgentfileError:
    """Find a cycle among the tasks Kahn's algorithm left over; describe it with the files that link it."""
    left = {t.id for t in stuck}
    path: list[str] = []
    pos: dict[str, int] = {}
    tid = stuck[0].id
    while tid not in pos:  # every stuck task has a stuck dependency, so this walk must revisit one
        pos[tid] = len(path)
        path.append(tid)
        tid = next(d for d in deps[tid] if d in left)
    loop = path[pos[tid] :]  # each element depends on the next
    loop.reverse()  # now each element feeds the next
    rank = {t.id: i for i, t in enumerate(stuck)}
    first = min(range(len(loop)), key=lambda i: rank[loop[i]])
    loop = loop[first:] + loop[:first]  # start at the earliest declared task
    loop.append(loop[0])
    text = loop[0]
    for a, b in itertools.pairwise(loop):
        via = next(p for p in tasks[b].inputs if p in tasks[a].outputs)
        text += f" -> {b} (via {via})"
    node = node_of[tasks[loop[0]].name]
    said = f"inputs that {loop[0]} does not make, directly or through other agents"
    last, via = loop[-2], next(p for p in tasks[loop[0]].inputs if p in tasks[loop[-2]].outputs)
    hint = (
        f"break the cycle at one of its links: take '{via}' out of {loop[0]}'s inputs, or have {last}"
        " write another file (an agent cannot read what it leads to making)"
    )
    return AgentfileError(f"dependency cycle: {text}", node.loc("inputs"), [said], hint)


def _closure(start: Sequence[str], edges: dict[str, tuple[str, ...]]) -> set[str]:
    seen = set(start)
    stack = list(start)
    while stack:
        for d in edges.get(stack.pop(), ()):
            if d not in seen:
                seen.add(d)
                stack.append(d)
    return seen
