"""Render a graph as text, Graphviz DOT or Mermaid (`agentmake graph --format`); output is deterministic.

Edges run from producer to consumer and are labelled with the files that link them. Example (text)::

    translate:a
    review:a <- translate:a
    summary (report) <- review:a
"""

from __future__ import annotations

import re

from agentmake.errors import UsageError
from agentmake.graph.dag import Graph
from agentmake.natorder import in_natural_order
from agentmake.safetext import term_safe

FORMATS = ("text", "dot", "mermaid")


def render_graph(graph: Graph, fmt: str = "text") -> str:
    """The graph in `fmt` ("text", "dot" or "mermaid"), ending with a newline."""
    if fmt == "text":
        return _text(graph)
    if fmt == "dot":
        return _dot(graph)
    if fmt == "mermaid":
        return _mermaid(graph)
    raise UsageError(f"unknown graph format '{fmt}' (choose from: {', '.join(FORMATS)})")


def edges(graph: Graph) -> list[tuple[str, str, list[str]]]:
    """(producer, consumer, files) for every linked pair, in task order."""
    out: list[tuple[str, str, list[str]]] = []
    get = graph.producer.get
    for tid, task in graph.tasks.items():
        deps = graph.deps.get(tid, ())
        if not deps:
            continue
        # one pass over the inputs, grouped by producer (not one per dependency: a fan-in over thousands of
        # outputs would be quadratic)
        carried: dict[str, list[str]] = {}
        for path in task.inputs:
            made_by = get(path)
            if made_by is not None:
                carried.setdefault(made_by, []).append(path)
        out.extend((dep, tid, carried.get(dep, [])) for dep in deps)
    return out


def _text(graph: Graph) -> str:
    """One line per task (made safe for a terminal: `term_safe`), an agent's tasks and each one's
    dependencies in natural order (`natorder`: `sum:2` before `sum:10`)."""
    lines = []
    for tid, task in in_natural_order(graph.tasks.items(), lambda item: item[0]):
        line = tid + (" (report)" if task.kind == "report" else "")
        deps = graph.deps.get(tid, ())
        if deps:
            line += " <- " + ", ".join(in_natural_order(deps))
        lines.append(term_safe(line))
    return "".join(line + "\n" for line in lines)


# (control characters but the newline, DOT's `\\n`; bidirectional overrides; and `&`, so that an entity is
# one agentmake wrote)
_DOT_ENTITY = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069&]")


def _dot_str(text: str) -> str:
    """A quoted DOT string of `text`: backslashes and quotes escaped, a newline as DOT's `\\n`, and every
    other control character (the escape that starts a terminal sequence), bidirectional override and `&`
    as an HTML entity (`&#27;`), which Graphviz shows as that very character: `graph --format dot` goes to a
    terminal as often as to Graphviz, and a file name is no way to send a terminal a control sequence."""
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + _DOT_ENTITY.sub(lambda m: f"&#{ord(m.group())};", text) + '"'


def _in_order(graph: Graph) -> tuple[list[str], list[tuple[str, str, list[str]]]]:
    """The task ids and the edges as `graph` (text) lists them: an agent's tasks in natural order (`natorder`:
    `sum:2` before `sum:10`), each agent where the graph has it, and the edges by consumer, then producer, in
    that order."""
    order = in_natural_order(graph.tasks)
    place = {tid: i for i, tid in enumerate(order)}
    links = sorted(edges(graph), key=lambda link: (place[link[1]], place[link[0]]))
    return order, links


def _dot(graph: Graph) -> str:
    """Graphviz DOT: a node per task, an edge per linked pair labelled with its files, in `_in_order`."""
    order, links = _in_order(graph)
    lines = ["digraph agentmake {", "  rankdir=LR;", "  node [shape=box];"]
    for tid in order:
        shape = ", shape=note" if graph.tasks[tid].kind == "report" else ""
        lines.append(f"  {_dot_str(tid)} [label={_dot_str(tid)}{shape}];")
    for src, dst, files in links:
        lines.append(f"  {_dot_str(src)} -> {_dot_str(dst)} [label={_dot_str(chr(10).join(files))}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_label(text: str) -> str:
    """A quoted Mermaid label showing `text` as it is: every character that Mermaid would read as markup as
    an entity code, `#` included (else a name holding `#35;` shows `#`, and `<b>` is taken as HTML), as the
    report's charts do; a newline too (`#10;`), so that each node stays on one line."""
    from agentmake.report.mermaid import node_label

    return '"' + node_label(text) + '"' if text else '""'


def _mermaid(graph: Graph) -> str:
    """One node per task, each edge labelled with its files (in `_in_order`); when that is more than Mermaid
    renders (500 edges or 50,000 characters, `report.mermaid.fits`), one node per agent (`group_label`) and
    the edges between agents, labelled with how many task links each stands for; when even that is too big,
    a single node saying so (a chart that does not render says nothing)."""
    from agentmake.report.mermaid import fits, group_label, group_tasks, too_big

    order, links = _in_order(graph)
    ids = {tid: f"t{i}" for i, tid in enumerate(order)}
    lines = ["graph TD"]
    for tid in order:
        label = _mermaid_label(tid)
        report = graph.tasks[tid].kind == "report"
        lines.append(f"  {ids[tid]}[/{label}/]" if report else f"  {ids[tid]}[{label}]")
    for src, dst, files in links:
        lines.append(f"  {ids[src]} -->|{_mermaid_label(', '.join(files))}| {ids[dst]}")
    chart = "\n".join(lines) + "\n"
    if fits(chart, len(links)):
        return chart
    grouped = group_tasks(order, [(src, dst) for src, dst, _ in links])
    group_of = {tid: name for name, tids in grouped.members.items() for tid in tids}
    count: dict[tuple[str, str], int] = {}
    for src, dst, _ in links:
        pair = (group_of[src], group_of[dst])
        count[pair] = count.get(pair, 0) + 1
    gids = {name: f"g{i}" for i, name in enumerate(grouped.members)}
    lines = ["graph TD", f"  %% {len(graph.tasks)} tasks grouped by agent: too many for one node each"]
    for name, tids in grouped.members.items():
        label = _mermaid_label(group_label(name, len(tids)))
        report = graph.tasks[tids[0]].kind == "report"
        lines.append(f"  {gids[name]}[/{label}/]" if report else f"  {gids[name]}[{label}]")
    for src, dst in grouped.edges:
        n = count[(src, dst)]
        lines.append(f"  {gids[src]} -->|{_mermaid_label(f'{n} links' if n > 1 else '1 link')}| {gids[dst]}")
    chart = "\n".join(lines) + "\n"
    if fits(chart, len(grouped.edges)):
        return chart
    return f"graph TD\n  t0[{_mermaid_label(too_big(len(graph.tasks), len(links)))}]\n"
