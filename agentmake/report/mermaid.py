"""Mermaid charts of a run: a `gantt` timeline (dateFormat X) and a `graph TD` of the task DAG, with every id
and label sanitised so the chart always parses."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

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
    "critical": "coloured (blue), on the critical path",
    "done": "grey, done or restored off it",
    "failed": "red, a failed attempt",
    "interrupted": "pale, interrupted",
}


def bar_look(bar: Bar) -> str:
    """What a bar shows: "failed", "interrupted", "critical" (done or restored, on the critical path) or
    "done"."""
    if bar.state in ("failed", "interrupted"):
        return bar.state
    return "critical" if bar.critical else "done"


def legend(bars: Sequence[Bar]) -> str:
    """The sentence under the chart saying what each kind of bar in it means (`bar_look`)."""
    looks = {bar_look(bar) for bar in bars}
    return "Bars: " + "; ".join(text for look, text in _LEGEND.items() if look in looks) + "."


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


def flowchart(order: Sequence[str], deps: Mapping[str, Sequence[str]], states: Mapping[str, str]) -> str:
    """`graph TD` of the tasks in `order` (edges dependency --> dependent), nodes coloured by state."""
    ids = {task_id: f"n{i}" for i, task_id in enumerate(order)}
    lines = ["graph TD"]
    for task_id in order:
        lines.append(f'    {ids[task_id]}["{node_label(task_id)}"]')
    for task_id in order:
        for dep in deps.get(task_id, ()):
            if dep in ids:
                lines.append(f"    {ids[dep]} --> {ids[task_id]}")
    used = sorted({states[t] for t in order if states.get(t) in STATE_CLASSES})
    for state in used:
        cls = state.replace("-", "_")
        lines.append(f"    classDef {cls} {STATE_CLASSES[state]}")
        members = ",".join(ids[t] for t in order if states.get(t) == state)
        lines.append(f"    class {members} {cls}")
    return "\n".join(lines)
