"""Mermaid charts of a run: a `gantt` timeline (dateFormat X) and a `graph TD` of the task DAG, with every id
and label sanitised so the chart always parses."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from agentmake.display.fmt import agent_name

_LABEL_UNSAFE = re.compile(r"[^A-Za-z0-9 _.,/+=@()\[\]-]")
_SECTION_UNSAFE = re.compile(r"[^A-Za-z0-9 _./+=@-]")
# what Mermaid's gantt lexer reads as a statement, not a task name, at the start of a line (case-insensitive):
# a task named `title` became the chart's title and lost its bar; `section`, `click`, `call` broke the chart
_GANTT_KEYWORD = re.compile(
    r"^(?:gantt|topaxis|inclusiveenddates|dateformat|axisformat|tickinterval|includes|excludes|todaymarker"
    r"|title|accdescription|acctitle|accdescr|section|click|call)\b|^\d{4}-\d\d-\d\d\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Bar:
    """One gantt bar: a task that ran from `start` to `end` (unix seconds)."""

    task_id: str
    state: str
    start: float
    end: float
    section: str = "tasks"
    critical: bool = False


def gantt_label(text: str) -> str:
    """A gantt task name: no `:`/`#`/`;` (they end the name), never empty, and never starting with a word
    the gantt syntax reads as a statement (`title`, `section`, `click`...: `_` is put before it)."""
    cleaned = _LABEL_UNSAFE.sub("_", text).strip()
    if _GANTT_KEYWORD.match(cleaned):
        cleaned = "_" + cleaned
    return cleaned or "task"


def node_label(text: str) -> str:
    """A flowchart label for use inside `["..."]`: quotes and markup characters as Mermaid entity codes."""
    out = []
    for ch in text:
        if ch.isalnum() or ch in " _.,/:+=@-":
            out.append(ch)
        else:
            out.append(f"#{ord(ch)};")
    return "".join(out) or "task"


# how a bar looks, by what it says (Mermaid's tags; the colours are those of its default theme, which GitHub
# uses on a light page): a failed attempt is red (`crit`), an interrupted one pale (`active`), a task done or
# restored grey (`done`) unless it is on the critical path, which alone keeps the theme's task colour (no tag)
_TAGS = {"failed": "crit", "interrupted": "active", "done": "done"}
_LEGEND = {
    "critical": "blue = on the critical path (done or restored)",
    "done": "grey = done or restored",
    "failed": "red = failed",
    "interrupted": "pale = interrupted",
}


def bar_look(bar: Bar) -> str:
    """What a bar shows: "failed", "interrupted", "critical" (done or restored, on the critical path) or
    "done"."""
    if bar.state in ("failed", "interrupted"):
        return bar.state
    return "critical" if bar.critical else "done"


def legend(bars: Sequence[Bar], per_agent: bool = False) -> str:
    """The one line under the chart: what a bar is (`per_agent`: `_agent_bars`' one bar per agent), then
    what each colour in it means (`bar_look`), those of the bars shown alone."""
    looks = {bar_look(bar) for bar in bars}
    what = (
        "an agent's tasks, first start to last end (one attempt, for an agent of one task)"
        if per_agent
        else "one attempt of a task, start to end"
    )
    marks = "; ".join(text for look, text in _LEGEND.items() if look in looks)
    return f"Each bar is {what}: {marks}."


def gantt(bars: Sequence[Bar], title: str = "Run") -> str:
    """A Mermaid gantt chart; bars grouped by section (agent name) in first-appearance order."""
    lines = [
        "gantt",
        f"    title {gantt_label(title)}",
        "    dateFormat x",  # Unix milliseconds, whole: Mermaid 10+ rejects "X" with decimals
        "    axisFormat %H:%M:%S",
    ]
    sections: dict[str, list[tuple[int, Bar]]] = {}
    for i, bar in enumerate(bars):
        sections.setdefault(bar.section, []).append((i, bar))
    for section, items in sections.items():
        lines.append(f"    section {_SECTION_UNSAFE.sub('_', section).strip() or 'tasks'}")
        for i, bar in items:
            tags = [_TAGS[look]] if (look := bar_look(bar)) in _TAGS else []
            start = round(bar.start * 1000)
            end = max(round(bar.end * 1000), start + 1)
            tag_text = ", ".join([*tags, f"t{i}"])
            lines.append(f"    {gantt_label(bar.task_id)} :{tag_text}, {start}, {end}")
    return "\n".join(lines)


STATE_CLASSES = {
    "done": "fill:#d4f7d4,stroke:#2a2",
    "cached": "fill:#d4ecf7,stroke:#27a",
    "failed": "fill:#f7d4d4,stroke:#a22",
    "not-run": "fill:#f7f0d4,stroke:#a82",
    "interrupted": "fill:#f0d4f7,stroke:#828",
}


# what Mermaid (11) renders by default, which GitHub and most viewers keep: a flowchart of more than 500
# edges is refused ("Edge limit exceeded"; `maxEdges` cannot be raised from inside the chart) and a chart of
# more than 50,000 characters shows "Maximum text size in diagram exceeded" instead
MAX_EDGES = 500
MAX_TEXT = 50_000


def fits(chart: str, edge_count: int) -> bool:
    """Whether Mermaid's default limits let `chart` (with `edge_count` edges) render."""
    return edge_count <= MAX_EDGES and len(chart) <= MAX_TEXT


@dataclass(frozen=True)
class Grouped:
    """The tasks of a chart gathered by agent (`group_tasks`): each agent's tasks in first-appearance order,
    and the edges between agents (deduplicated, a self-edge when one of its tasks feeds another)."""

    members: dict[str, list[str]]
    edges: list[tuple[str, str]]


def group_tasks(order: Sequence[str], edges: Sequence[tuple[str, str]]) -> Grouped:
    """Group `order` by agent name (the id before `:`), and `edges` (producer, consumer) between groups."""
    members: dict[str, list[str]] = {}
    group_of: dict[str, str] = {}
    for task_id in order:
        name = agent_name(task_id)
        members.setdefault(name, []).append(task_id)
        group_of[task_id] = name
    seen: dict[tuple[str, str], None] = {}
    for src, dst in edges:
        if src in group_of and dst in group_of:
            seen.setdefault((group_of[src], group_of[dst]), None)
    return Grouped(members, list(seen))


def group_label(name: str, count: int) -> str:
    """What a group shows: the agent's name, with a multiplication sign and its count when it stands for
    several tasks (`review` and 250 tasks: "review \u00d7250")."""
    return name if count == 1 else f"{name} ×{count}"


def too_big(tasks: int, edges: int) -> str:
    """The sentence said instead of a chart too big for Mermaid even with its tasks grouped by agent."""
    return (
        f"The task graph ({tasks} tasks, {edges} edges) is too big for a Mermaid chart even with its tasks"
        f" grouped by agent (Mermaid draws at most {MAX_EDGES} edges and {MAX_TEXT:,} characters)."
    )


# a group of tasks in several states takes the colour of the one that most needs looking at
_STATE_RANK = ("failed", "interrupted", "not-run", "done", "cached")


def _classes(ids: Mapping[str, str], state_of: Mapping[str, str]) -> list[str]:
    lines = []
    for state in sorted({s for t in ids if (s := state_of.get(t, "")) in STATE_CLASSES}):
        cls = state.replace("-", "_")
        lines.append(f"    classDef {cls} {STATE_CLASSES[state]}")
        members = ",".join(ids[t] for t in ids if state_of.get(t) == state)
        lines.append(f"    class {members} {cls}")
    return lines


def flowchart(
    order: Sequence[str], deps: Mapping[str, Sequence[str]], states: Mapping[str, str]
) -> str | None:
    """`graph TD` of the tasks in `order` (edges dependency --> dependent), nodes coloured by state. When that
    is more than Mermaid renders (`fits`), one node per agent (`group_label`, with how many of its tasks are
    in each state) and the edges between agents; None when even that is too big (say `too_big` instead)."""
    ids = {task_id: f"n{i}" for i, task_id in enumerate(order)}
    pairs = [(dep, task_id) for task_id in order for dep in deps.get(task_id, ()) if dep in ids]
    lines = ["graph TD"]
    lines += [f'    {ids[task_id]}["{node_label(task_id)}"]' for task_id in order]
    lines += [f"    {ids[dep]} --> {ids[task_id]}" for dep, task_id in pairs]
    lines += _classes(ids, states)
    chart = "\n".join(lines)
    if fits(chart, len(pairs)):
        return chart
    grouped = group_tasks(order, pairs)
    gids = {name: f"g{i}" for i, name in enumerate(grouped.members)}
    group_state: dict[str, str] = {}
    lines = ["graph TD", f"    %% {len(order)} tasks grouped by agent: too many for one node each"]
    for name, tasks in grouped.members.items():
        counts = {s: sum(1 for t in tasks if states.get(t) == s) for s in _STATE_RANK}
        shown = [s for s in _STATE_RANK if counts[s]]
        label = group_label(name, len(tasks))
        if len(tasks) > 1 and shown:
            label += ": " + ", ".join(f"{counts[s]} {s}" for s in shown)
        if shown:
            group_state[name] = shown[0]
        lines.append(f'    {gids[name]}["{node_label(label)}"]')
    lines += [f"    {gids[src]} --> {gids[dst]}" for src, dst in grouped.edges]
    lines += _classes(gids, group_state)
    chart = "\n".join(lines)
    return chart if fits(chart, len(grouped.edges)) else None
