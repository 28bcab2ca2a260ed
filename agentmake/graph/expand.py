"""Agents and reports → concrete tasks: match input patterns against files on disk and other tasks' outputs.

Rules (see grammar/README.md, "Fan-out"):

- A literal input names one file; it must exist or be produced by some task (checked by the caller, which
  knows every output).
- A glob input contributes all its matches, sorted. For an agent, a glob without wildcards that matches
  nothing is an error; for a report it is an empty section.
- Wildcard inputs bind `{name}`s: a task exists for each binding under which *every* wildcard input matches at
  least one file (a natural join on shared names); its inputs are each pattern's matches under that binding,
  in declared pattern order, each pattern's files sorted, duplicates dropped.
- A node never matches its own output patterns as inputs.

Expansion goes in dependency order of agents: X before Y when an input pattern of Y can match an output
pattern of X. Agents whose patterns feed each other (a strongly connected group) are expanded together
until nothing new appears; a group that keeps growing is an error.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from agentmake.errors import AgentfileError, Loc
from agentmake.graph.globs import (
    FileIndex,
    Pattern,
    PatternError,
    compile_pattern,
    is_outside_root,
    output_matcher,
)
from agentmake.graph.overlap import patterns_overlap
from agentmake.graph.task import Task
from agentmake.model import Agentfile, AgentSpec, ReportSpec

MAX_ROUNDS = 64  # expansion rounds of a group of agents feeding each other before it counts as endless


@dataclass
class Node:
    """An agent or report with its patterns compiled; `tasks` and `empty` hold its latest expansion."""

    index: int  # declaration order: agents first, then reports
    name: str
    kind: str  # "agent" | "report"
    spec: AgentSpec | ReportSpec
    inputs: list[Pattern]
    outputs: list[Pattern]
    exclude: list[re.Pattern[str]]
    tasks: list[Task] = field(default_factory=list)
    empty: list[Pattern] = field(default_factory=list)  # plain globs that matched nothing

    @property
    def wildcards(self) -> list[str]:
        seen: list[str] = []
        for p in self.inputs:
            seen.extend(w for w in p.wildcards if w not in seen)
        return seen

    def loc(self, key: str) -> Loc | None:
        return self.spec.key_locs.get(key) or self.spec.loc


def compile_nodes(agentfile: Agentfile) -> list[Node]:
    """Compile and check every agent's and report's patterns (errors located at the key)."""
    nodes: list[Node] = []
    specs: list[tuple[str, AgentSpec | ReportSpec]] = [("agent", a) for a in agentfile.agents.values()]
    specs += [("report", r) for r in agentfile.reports.values()]
    for index, (kind, spec) in enumerate(specs):
        out_key = "outputs" if kind == "agent" else "output"
        out_texts = spec.outputs if isinstance(spec, AgentSpec) else (spec.output,)
        inputs = [_compile(spec, kind, "inputs", t) for t in spec.inputs]
        outputs = [_compile(spec, kind, out_key, t) for t in dict.fromkeys(out_texts)]
        node = Node(index, spec.name, kind, spec, inputs, outputs, [output_matcher(p) for p in outputs])
        bound = set(node.wildcards)
        if kind == "report" and bound:
            raise AgentfileError(
                f"report '{spec.name}' input uses wildcard {{{sorted(bound)[0]}}}; reports do not fan out "
                "(use * to take every match)",
                node.loc("inputs"),
            )
        for p in outputs:
            if p.has_glob:
                raise AgentfileError(
                    f"{kind} '{spec.name}' output '{p.text}' contains a glob; outputs must be concrete paths "
                    "(wildcards like {name} are allowed)",
                    node.loc(out_key),
                )
            if is_outside_root(p.text):
                raise AgentfileError(
                    f"{kind} '{spec.name}' output '{p.text}' is outside the project directory",
                    node.loc(out_key),
                )
            unbound = [w for w in p.wildcards if w not in bound]
            if unbound:
                raise AgentfileError(
                    f"{kind} '{spec.name}' output '{p.text}' uses {{{unbound[0]}}}, which no input binds",
                    node.loc(out_key),
                    hint="every wildcard in an output must appear in an input pattern",
                )
        nodes.append(node)
    return nodes


def _compile(spec: AgentSpec | ReportSpec, kind: str, key: str, text: str) -> Pattern:
    try:
        return compile_pattern(text)
    except PatternError as exc:
        raise AgentfileError(
            f"{kind} '{spec.name}' {key}: {exc}", spec.key_locs.get(key) or spec.loc
        ) from None


def expand_all(nodes: list[Node], index: FileIndex) -> None:
    """Expand every node in dependency order, filling `node.tasks` and `node.empty`."""
    produced: dict[str, None] = {}  # every output declared so far (ordered set)
    for group in _groups_in_order(nodes):
        if len(group) == 1:
            _expand(group[0], index, produced)
            produced.update(dict.fromkeys(o for t in group[0].tasks for o in t.outputs))
            continue
        base = dict(produced)
        previous: set[str] | None = None
        for _ in range(MAX_ROUNDS):
            current = dict(base)
            current.update(dict.fromkeys(o for node in group for t in node.tasks for o in t.outputs))
            for node in group:
                _expand(node, index, current)
                current.update(dict.fromkeys(o for t in node.tasks for o in t.outputs))
            ids = {t.id for node in group for t in node.tasks}
            if ids == previous:
                break
            previous = ids
        else:
            names = " -> ".join([n.name for n in group] + [group[0].name])
            raise AgentfileError(
                f"agents feed each other's inputs endlessly: {names} (every expansion round adds tasks)",
                group[0].loc("inputs"),
            )
        produced = current


def _expand(node: Node, index: FileIndex, produced: Iterable[str]) -> None:
    produced = list(produced)
    wildcards = node.wildcards
    exclude = _union(node.exclude)
    groups: list[dict[tuple[str, ...], list[str]]] = []  # per input pattern: its wildcard values -> files
    node.empty = []
    for p in node.inputs:
        if p.is_literal:
            groups.append({(): [p.literal_path]})
            continue
        found: dict[tuple[str, ...], dict[str, None]] = {}
        lead = p.prefix + "/" if p.prefix else ""
        fullmatch = p.regex.fullmatch
        for path in _chain(index.candidates(p), (q for q in produced if q.startswith(lead))):
            m = fullmatch(path)
            if m is None or (exclude is not None and exclude.fullmatch(path)):
                continue
            key = m.groups()  # the regex's only capturing groups are the wildcards, in order
            files = found.get(key)
            if files is None:
                found[key] = {path: None}
            else:
                files[path] = None
        if not found and not p.wildcards:
            node.empty.append(p)
        groups.append({k: sorted(v) for k, v in found.items()})

    positions = [tuple(wildcards.index(w) for w in p.wildcards) for p in node.inputs]
    bindings = _join(positions, groups)
    bindings.sort()
    templates = [_template(p, wildcards) for p in node.outputs]
    lookups = [
        (g, pos, pos == tuple(range(len(wildcards)))) for g, pos in zip(groups, positions, strict=True)
    ]
    name, kind, spec = node.name, node.kind, node.spec
    tasks = []
    for vals in bindings:
        inputs: list[str] = []
        for g, pos, whole in lookups:
            inputs.extend(g.get(vals if whole else tuple(vals[i] for i in pos), ()))
        if len(lookups) > 1:
            inputs = list(dict.fromkeys(inputs))
        task_id = f"{name}:{','.join(vals)}" if vals else name
        outputs = tuple(t.format(*vals) for t in templates)
        wild = tuple(zip(wildcards, vals, strict=True))
        tasks.append(Task(task_id, name, kind, tuple(inputs), outputs, spec, wild))
    node.tasks = tasks


def _union(regexes: list[re.Pattern[str]]) -> re.Pattern[str] | None:
    if not regexes:
        return None
    return re.compile("|".join(f"(?:{r.pattern})" for r in regexes))


def _template(pattern: Pattern, wildcards: list[str]) -> str:
    """`pattern` as a str.format template taking the wildcard values positionally."""
    out = []
    for seg in pattern.segments:
        for t in seg:
            if t[0] == "wild":
                out.append(f"{{{wildcards.index(t[1])}}}")
            else:
                out.append(t[1].replace("{", "{{").replace("}", "}}"))
        out.append("/")
    return "".join(out[:-1])


def _chain(a: Iterable[str], b: Iterable[str]) -> Iterable[str]:
    yield from a
    yield from b


def _join(
    positions: list[tuple[int, ...]], groups: list[dict[tuple[str, ...], list[str]]]
) -> list[tuple[str, ...]]:
    """Bindings (values in order of first appearance) consistent with every wildcard pattern: a natural join
    of each pattern's match keys. `positions[k]`: where pattern k's wildcards sit in a binding. As wildcards
    are numbered by first appearance, each pattern only appends new values to the bindings so far."""
    bindings: list[tuple[str, ...]] = [()]
    bound = 0
    for pos, g in zip(positions, groups, strict=True):
        if not pos:
            continue
        shared = [j for j, i in enumerate(pos) if i < bound]
        fresh = [j for j, i in enumerate(pos) if i >= bound]
        by_shared: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        for key in g:
            by_shared.setdefault(tuple(key[j] for j in shared), []).append(tuple(key[j] for j in fresh))
        shared_pos = [pos[j] for j in shared]
        bindings = [b + new for b in bindings for new in by_shared.get(tuple(b[i] for i in shared_pos), ())]
        bound += len(fresh)
    return bindings


def _groups_in_order(nodes: list[Node]) -> list[list[Node]]:
    """Strongly connected groups of the "may feed" relation, producers first, ties in declaration order."""
    feeds: dict[int, list[int]] = {n.index: [] for n in nodes}
    for x in nodes:
        for y in nodes:
            if x is not y and any(patterns_overlap(p, q) for p in y.inputs for q in x.outputs):
                feeds[x.index].append(y.index)
    comp = _tarjan(feeds)
    members: dict[int, list[Node]] = {}
    for n in nodes:
        members.setdefault(comp[n.index], []).append(n)
    indegree = dict.fromkeys(members, 0)
    succ: dict[int, set[int]] = {c: set() for c in members}
    for src, dsts in feeds.items():
        for dst in dsts:
            if comp[src] != comp[dst] and comp[dst] not in succ[comp[src]]:
                succ[comp[src]].add(comp[dst])
                indegree[comp[dst]] += 1
    heap = [(members[c][0].index, c) for c, d in indegree.items() if d == 0]
    heapq.heapify(heap)
    order: list[list[Node]] = []
    while heap:
        _, c = heapq.heappop(heap)
        order.append(members[c])
        for s in succ[c]:
            indegree[s] -= 1
            if indegree[s] == 0:
                heapq.heappush(heap, (members[s][0].index, s))
    return order


def _tarjan(edges: dict[int, list[int]]) -> dict[int, int]:
    """Strongly connected component id of each vertex (iterative Tarjan)."""
    low: dict[int, int] = {}
    num: dict[int, int] = {}
    comp: dict[int, int] = {}
    stack: list[int] = []
    on_stack: set[int] = set()
    counter = 0
    for root in edges:
        if root in num:
            continue
        work = [(root, iter(edges[root]))]
        num[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in num:
                    num[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(edges[w])))
                    break
                if w in on_stack:
                    low[v] = min(low[v], num[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == num[v]:
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp[w] = v
                        if w == v:
                            break
    return comp
