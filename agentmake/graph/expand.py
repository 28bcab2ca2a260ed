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
pattern of X (found through an index, `feeds.py`, not by comparing every pair). Each agent is expanded once,
matching only the outputs of the agents that may feed it; agents whose patterns feed each other (a strongly
connected group) are expanded together until nothing new appears; a group that keeps growing is an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from agentmake.errors import AgentfileError, Loc
from agentmake.graph.feeds import feeds, groups_in_order
from agentmake.graph.fileindex import FileIndex
from agentmake.graph.globs import (
    Pattern,
    PatternError,
    compile_pattern,
    is_outside_root,
    normalize_path,
    output_matcher,
)
from agentmake.graph.task import Task
from agentmake.model import Agentfile, AgentSpec, ReportSpec

# what an Agentfile error about where an output is says was expected
INSIDE = "a relative path inside the project directory, outside .agentmake/"
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
    tasks: list[Task] = field(default_factory=list)
    empty: list[Pattern] = field(default_factory=list)  # plain globs that matched nothing
    wildcards: list[str] = field(init=False)  # bound by the inputs, in order of first appearance
    has_globs: bool = field(init=False)  # some input is a glob or wildcard pattern, matched against files
    _exclude: list[re.Pattern[str] | None] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        seen: list[str] = []
        for p in self.inputs:
            seen.extend(w for w in p.wildcards if w not in seen)
        self.wildcards = seen
        self.has_globs = any(not p.is_literal for p in self.inputs)

    @property
    def exclude_regex(self) -> re.Pattern[str] | None:
        """Every path this node's own outputs could be (a node never reads its own outputs)."""
        if not self._exclude:
            self._exclude.append(_union([output_matcher(p) for p in self.outputs]))
        return self._exclude[0]

    def loc(self, key: str, item: str | None = None) -> Loc | None:
        """Where `key`'s value is in the Agentfile, or its path `item` when that is known."""
        locs = self.spec.key_locs
        return (locs.get(f"{key}:{item}") if item is not None else None) or locs.get(key) or self.spec.loc


def compile_nodes(agentfile: Agentfile) -> list[Node]:
    """Compile and check every agent's and report's patterns (errors located at the key)."""
    nodes: list[Node] = []
    specs: list[tuple[str, AgentSpec | ReportSpec]] = [("agent", a) for a in agentfile.agents.values()]
    specs += [("report", r) for r in agentfile.reports.values()]
    compiled: dict[str, Pattern] = {}  # a chain names each path twice: as one's output, the next's input
    for index, (kind, spec) in enumerate(specs):
        out_key = "outputs" if kind == "agent" else "output"
        out_texts = spec.outputs if isinstance(spec, AgentSpec) else (spec.output,)
        inputs = [_compile(spec, kind, "inputs", t, compiled) for t in spec.inputs]
        outputs = [_compile(spec, kind, out_key, t, compiled) for t in dict.fromkeys(out_texts)]
        node = Node(index, spec.name, kind, spec, inputs, outputs)
        bound = set(node.wildcards)
        if kind == "report" and bound:
            raise AgentfileError(
                f"report '{spec.name}' input uses wildcard {{{sorted(bound)[0]}}}; reports do not fan out "
                "(use * to take every match)",
                node.loc("inputs"),
            )
        for text in out_texts:
            if text.endswith("/"):  # (the pattern is normalized: only the declared text shows it)
                raise AgentfileError(
                    f"{kind} '{spec.name}' output '{text}' names a directory; an output is a file",
                    node.loc(out_key, text),
                    ["a file path"],
                    hint="declare the files written into it (out/{name}.md, out/index.md)",
                )
        for p in outputs:
            if p.has_glob:
                raise AgentfileError(
                    f"{kind} '{spec.name}' output '{p.text}' contains a glob; outputs must be concrete paths "
                    "(wildcards like {name} are allowed)",
                    node.loc(out_key, p.text),
                    expected=["a concrete path, or one made of {wildcards} its inputs bind"],
                )
            if is_outside_root(p.text):
                raise AgentfileError(
                    f"{kind} '{spec.name}' output '{p.text}' is outside the project directory",
                    node.loc(out_key, p.text),
                    expected=[INSIDE],
                )
            if normalize_path(p.text).split("/", 1)[0] == ".agentmake":
                raise AgentfileError(
                    f"{kind} '{spec.name}' output '{p.text}' is inside .agentmake/, agentmake's own state",
                    node.loc(out_key, p.text),
                    expected=[INSIDE],
                )
            unbound = [w for w in p.wildcards if w not in bound]
            if unbound:
                raise AgentfileError(
                    f"{kind} '{spec.name}' output '{p.text}' uses {{{unbound[0]}}}, which no input binds",
                    node.loc(out_key, p.text),
                    hint="every wildcard in an output must appear in an input pattern",
                )
        outs = {p.text for p in outputs if p.wildcards}
        for p in inputs:
            side = p.adjacent()
            if side is not None:
                raise AgentfileError(
                    f"{kind} '{spec.name}' input '{p.text}': {side[0]} and {side[1]} side by side split a "
                    "name in more than one way (no text between them says where one ends)",
                    node.loc("inputs", p.text),
                    hint=f"put text that neither value holds between them ({side[0]}-{side[1]})",
                )
            if p.text in outs:  # (a node never reads its own outputs: every match would be dropped, silently)
                raise AgentfileError(
                    f"{kind} '{spec.name}' lists '{p.text}' as both input and output pattern",
                    node.loc("inputs", p.text),
                    hint="an agent never reads its own outputs, so this makes no task: write the outputs "
                    "elsewhere (out/{name}.md)",
                )
        nodes.append(node)
    return nodes


def _compile(
    spec: AgentSpec | ReportSpec, kind: str, key: str, text: str, compiled: dict[str, Pattern]
) -> Pattern:
    pattern = compiled.get(text)
    if pattern is not None:
        return pattern
    try:
        pattern = compiled[text] = compile_pattern(text)
        return pattern
    except PatternError as exc:
        where = spec.key_locs.get(f"{key}:{text}") or spec.key_locs.get(key) or spec.loc  # (the path's own)
        raise AgentfileError(f"{kind} '{spec.name}' {key}: {exc}", where) from None


def expand_all(nodes: list[Node], index: FileIndex) -> None:
    """Expand every node once, in dependency order, filling `node.tasks` and `node.empty`; only agents that
    feed each other (a strongly connected group) are expanded repeatedly until nothing new appears."""
    edges, sources = feeds(nodes)
    assert all(n.index == i for i, n in enumerate(nodes))
    for group in groups_in_order(nodes, edges):
        if len(group) == 1:
            node = group[0]
            if node.has_globs:
                _expand(node, index, [[nodes[i] for i in s] for s in sources[node.index]])
            else:
                _expand_plain(node)
            continue
        previous: set[str] | None = None
        for _ in range(MAX_ROUNDS):
            for node in group:
                _expand(node, index, [[nodes[i] for i in s] for s in sources[node.index]])
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


def _expand_plain(node: Node) -> None:
    """A node whose inputs and outputs are all plain paths: one task, nothing to match."""
    inputs = tuple(dict.fromkeys(p.literal_path for p in node.inputs))
    outputs = tuple(p.literal_path for p in node.outputs)
    node.empty = []
    node.tasks = [Task(node.name, node.name, node.kind, inputs, outputs, node.spec, ())]


def _expand(node: Node, index: FileIndex, sources: list[list[Node]]) -> None:
    """Expand `node` against the files on disk and the latest tasks of the nodes that may feed each input
    pattern (`sources[k]` for `node.inputs[k]`)."""
    wildcards = node.wildcards
    groups: list[dict[tuple[str, ...], list[str]]] = []  # per input pattern: its wildcard values -> files
    node.empty = []
    exclude = node.exclude_regex if node.has_globs else None
    for p, feeders in zip(node.inputs, sources, strict=True):
        if p.is_literal:
            groups.append({(): [p.literal_path]})
            continue
        found: dict[tuple[str, ...], dict[str, None]] = {}
        lead = p.prefix + "/" if p.prefix else ""
        fullmatch, lazy = p.regex.fullmatch, p.lazy_regex
        produced = (o for src in feeders for t in src.tasks for o in t.outputs if o.startswith(lead))
        own = exclude if any(_may_overlap(p.prefix, o.prefix) for o in node.outputs) else None
        for path in _chain(index.candidates(p), produced):
            m = fullmatch(path)
            if m is None or (own is not None and own.fullmatch(path)):
                continue
            key = m.groups()  # the regex's only capturing groups are the wildcards, in order
            if lazy is not None and key and (n := lazy.fullmatch(path)) is not None and n.groups() != key:
                raise _ambiguous(node, p, path, key, n.groups())
            files = found.get(key)
            if files is None:
                found[key] = {path: None}
            else:
                files[path] = None
        if not found and not p.wildcards:
            node.empty.append(p)
        groups.append({k: sorted(v) for k, v in found.items()})

    name, kind, spec = node.name, node.kind, node.spec
    if not wildcards:  # one task (the common case for plain agents): no join needed
        inputs = [f for g in groups for f in g.get((), ())]
        if len(groups) > 1:
            inputs = list(dict.fromkeys(inputs))
        outputs = tuple(p.literal_path if p.is_literal else _template(p, []) for p in node.outputs)
        node.tasks = [Task(name, name, kind, tuple(inputs), outputs, spec, ())]
        return
    positions = [tuple(wildcards.index(w) for w in p.wildcards) for p in node.inputs]
    templates = [_template(p, wildcards) for p in node.outputs]
    if len(groups) == 1 and positions[0] == tuple(range(len(wildcards))):
        _expand_single(node, groups[0], templates)  # one pattern binding every wildcard: no join
        return
    bindings = _join(positions, groups)
    bindings.sort()
    lookups = [
        (g, pos, pos == tuple(range(len(wildcards)))) for g, pos in zip(groups, positions, strict=True)
    ]
    tasks = []
    for vals in bindings:
        inputs = []
        for g, pos, whole in lookups:
            inputs.extend(g.get(vals if whole else tuple(vals[i] for i in pos), ()))
        if len(lookups) > 1:
            inputs = list(dict.fromkeys(inputs))
        task_id = f"{name}:{','.join(vals)}"
        outputs = tuple(t.format(*vals) for t in templates)
        wild = tuple(zip(wildcards, vals, strict=True))
        tasks.append(Task(task_id, name, kind, tuple(inputs), outputs, spec, wild))
    node.tasks = tasks


def _expand_single(node: Node, group: dict[tuple[str, ...], list[str]], templates: list[str]) -> None:
    """The common fan-out: one input pattern whose match keys are the bindings themselves."""
    name, kind, spec, wildcards = node.name, node.kind, node.spec, node.wildcards
    new_task = object.__new__
    tasks = []
    if len(wildcards) == 1 and len(templates) == 1:  # one wildcard, one output: the commonest fan-out
        wildcard, fmt = wildcards[0], templates[0].format
        for vals in sorted(group):
            value = vals[0]
            task = new_task(Task)
            task.__dict__.update(
                id=f"{name}:{value}",
                name=name,
                kind=kind,
                inputs=tuple(group[vals]),
                outputs=(fmt(value),),
                spec=spec,
                wildcards=((wildcard, value),),
            )
            tasks.append(task)
        node.tasks = tasks
        return
    for vals in sorted(group):
        task = new_task(Task)  # a frozen dataclass: filled directly, ten thousand times cheaper than __init__
        task.__dict__.update(
            id=f"{name}:{','.join(vals)}",
            name=name,
            kind=kind,
            inputs=tuple(group[vals]),
            outputs=tuple([t.format(*vals) for t in templates]),
            spec=spec,
            wildcards=tuple(zip(wildcards, vals, strict=True)),
        )
        tasks.append(task)
    node.tasks = tasks


def _ambiguous(
    node: Node, p: Pattern, path: str, one: tuple[str, ...], other: tuple[str, ...]
) -> AgentfileError:
    """`path` matches input pattern `p` of `node` under two bindings, `one` and `other` (`{lang}_{name}.md`
    and `en_us_intro.md`: lang `en_us` or `en`): which task reads it would be a guess."""

    def said(values: tuple[str, ...]) -> str:
        return ", ".join(f"{w}={v!r}" for w, v in zip(p.wildcards, values, strict=True))

    return AgentfileError(
        f"{node.kind} '{node.name}' input '{p.text}' matches {path} in more than one way: {said(one)} or "
        f"{said(other)}",
        node.loc("inputs", p.text),
        hint="rename the file, or write the pattern with text between the wildcards that their values never "
        "hold",
    )


def _may_overlap(a: str, b: str) -> bool:
    """Whether patterns with fixed leading directories `a` and `b` can name a common path."""
    return not a or not b or a == b or a.startswith(b + "/") or b.startswith(a + "/")


def _union(regexes: list[re.Pattern[str]]) -> re.Pattern[str] | None:
    if not regexes:
        return None
    if len(regexes) == 1:
        return regexes[0]
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
