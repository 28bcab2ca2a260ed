"""Which agents may feed which: for each input pattern, the agents whose output patterns it can match.

Output patterns are indexed by their fixed leading directory (`Pattern.prefix`), and literal outputs also by
their exact path, so an input pattern is only compared with outputs that share a directory line with it:

- a literal input is a dict lookup among literal outputs, plus the wildcard outputs rooted at one of its
  ancestor directories;
- a glob or wildcard input is compared with the wildcard outputs rooted at an ancestor of its prefix, and with
  every output rooted at or below its prefix (no deeper than the pattern reaches).

Wildcard outputs of one directory are further indexed by the literal end of their last segment (`.md` for
`build/{name}.md`): a path matching both patterns ends with both ends, so one must end with the other. Literal
outputs are tested with the input's regex (exact); wildcard outputs with `patterns_overlap` (which may err
towards True). A chain of thousands of agents, by literal paths or wildcards, links in linear time.

`groups_in_order` then orders the agents for expansion: strongly connected groups (Tarjan), producers first.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol, TypeVar

from agentmake.graph.globs import GLOBSTAR, Pattern
from agentmake.graph.overlap import patterns_overlap


class HasPatterns(Protocol):
    index: int
    inputs: list[Pattern]
    outputs: list[Pattern]


N = TypeVar("N", bound=HasPatterns)


def _ancestors(directory: str) -> Iterator[str]:
    """'' and every leading directory of `directory`, itself included: 'a/b' -> '', 'a', 'a/b'."""
    yield ""
    if not directory:
        return
    pos = directory.find("/")
    while pos != -1:
        if pos:
            yield directory[:pos]
        pos = directory.find("/", pos + 1)
    yield directory


def _tail(p: Pattern) -> str:
    """The literal text the last segment of `p` ends with ('' when it ends with a glob or wildcard)."""
    last = p.segments[-1]
    if last == GLOBSTAR or not last or last[-1][0] != "lit":
        return ""
    return last[-1][1]


class _ByTail:
    """Wildcard output patterns of one directory, by the literal end of their last segment."""

    def __init__(self) -> None:
        self.exact: dict[str, list[tuple[Pattern, int]]] = {}  # tail -> outputs
        self.ending: dict[str, list[tuple[Pattern, int]]] = {}  # every suffix of a tail -> outputs

    def add(self, q: Pattern, node: int) -> None:
        tail = _tail(q)
        self.exact.setdefault(tail, []).append((q, node))
        for i in range(len(tail) + 1):
            self.ending.setdefault(tail[i:], []).append((q, node))

    def candidates(self, tail: str) -> Iterator[tuple[Pattern, int]]:
        """Outputs whose tail ends with `tail`, then those whose tail is a shorter end of `tail`."""
        yield from self.ending.get(tail, ())
        for i in range(1, len(tail) + 1):
            yield from self.exact.get(tail[i:], ())


class OutputIndex:
    """Every node's output patterns, by literal path and by leading directory."""

    def __init__(self, nodes: Sequence[HasPatterns]) -> None:
        self.literal: dict[str, list[int]] = {}  # literal output path -> nodes
        self.literal_in: dict[str, list[tuple[str, int]]] = {}  # directory -> (literal output, node)
        self.wild_at: dict[str, _ByTail] = {}  # prefix -> its wildcard outputs
        self.children: dict[str, set[str]] = {}  # directory -> its subdirectories holding outputs
        for node in nodes:
            for q in node.outputs:
                if q.is_literal:
                    path = q.literal_path
                    self.literal.setdefault(path, []).append(node.index)
                    self.literal_in.setdefault(q.prefix, []).append((path, node.index))
                else:
                    by_tail = self.wild_at.get(q.prefix)
                    if by_tail is None:
                        by_tail = self.wild_at[q.prefix] = _ByTail()
                    by_tail.add(q, node.index)
                self._register(q.prefix)

    def _register(self, directory: str) -> None:
        if directory in self.children:
            return  # registered already, and so are its ancestors
        parent = ""
        for d in _ancestors(directory):
            if d != parent:
                self.children.setdefault(parent, set()).add(d)
            parent = d
        self.children.setdefault(directory, set())

    def producers(self, p: Pattern, skip: int) -> list[int]:
        """Nodes (other than `skip`) with an output that `p` may match, in increasing order."""
        if p.is_literal and not self.wild_at:  # only plain outputs anywhere: one dict look-up
            makers = self.literal.get(p.literal_path)
            if not makers:
                return []
            return makers if len(makers) == 1 and makers[0] != skip else sorted(set(makers) - {skip})
        found: set[int] = set()
        tail = _tail(p)
        if p.is_literal:
            found.update(self.literal.get(p.literal_path, ()))
            self._overlapping(p, tail, _ancestors(p.prefix), found)
        else:
            self._overlapping(p, tail, (d for d in _ancestors(p.prefix) if d != p.prefix), found)
            fullmatch = p.regex.fullmatch
            for d in self._below(p.prefix, p.depth):
                for path, n in self.literal_in.get(d, ()):
                    if n not in found and fullmatch(path) is not None:
                        found.add(n)
                self._overlapping(p, tail, (d,), found)
        found.discard(skip)
        return sorted(found)

    def _overlapping(self, p: Pattern, tail: str, dirs: Iterable[str], found: set[int]) -> None:
        """Add to `found` the nodes with a wildcard output rooted in one of `dirs` that `p` may match."""
        for d in dirs:
            by_tail = self.wild_at.get(d)
            if by_tail is not None:
                for q, n in by_tail.candidates(tail):
                    if n not in found and patterns_overlap(p, q):
                        found.add(n)

    def _below(self, top: str, depth: int | None) -> Iterator[str]:
        """`top` and the indexed directories under it; with a bounded `depth` (segments a pattern has after
        `top`), only those less than `depth` levels down, where an output could still match."""
        stack = [(top, 0)]
        while stack:
            d, level = stack.pop()
            yield d
            if depth is not None and level + 1 >= depth:
                continue
            stack.extend((kid, level + 1) for kid in self.children.get(d, ()))


def feeds(nodes: Sequence[HasPatterns]) -> tuple[dict[int, list[int]], dict[int, list[list[int]]]]:
    """(node -> nodes it may feed, node -> for each input pattern, the nodes that may feed it)."""
    index = OutputIndex(nodes)
    out: dict[int, list[int]] = {n.index: [] for n in nodes}
    sources: dict[int, list[list[int]]] = {}
    for y in nodes:
        per_pattern = [index.producers(p, y.index) for p in y.inputs]
        sources[y.index] = per_pattern
        makers = per_pattern[0] if len(per_pattern) == 1 else sorted({x for m in per_pattern for x in m})
        for x in makers:
            out[x].append(y.index)
    return out, sources


def groups_in_order(nodes: Sequence[N], edges: dict[int, list[int]]) -> list[list[N]]:
    """Strongly connected groups of the "may feed" relation `edges` (from `feeds`), producers first, ties in
    declaration order."""
    if all(x < y for x, ys in edges.items() for y in ys):  # declared producers first: no cycle, no sorting
        return [[n] for n in nodes]
    comp = _tarjan(edges)
    members: dict[int, list[N]] = {}
    for n in nodes:
        members.setdefault(comp[n.index], []).append(n)
    indegree = dict.fromkeys(members, 0)
    succ: dict[int, set[int]] = {c: set() for c in members}
    for src, dsts in edges.items():
        for dst in dsts:
            if comp[src] != comp[dst] and comp[dst] not in succ[comp[src]]:
                succ[comp[src]].add(comp[dst])
                indegree[comp[dst]] += 1
    heap = [(members[c][0].index, c) for c, d in indegree.items() if d == 0]
    heapq.heapify(heap)
    order: list[list[N]] = []
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
