"""A report target's document: the built-in aggregation (a section per input) or a user template, then the
run summary. Deterministic: the same inputs and records give the same bytes."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentmake.graph import Graph, Task
from agentmake.model import ReportSpec
from agentmake.report.markdown import section_body
from agentmake.report.summary import Records, render_summary
from agentmake.safetext import term_safe


@dataclass(frozen=True, repr=False)
class Input:
    """One report input as templates see it: `data` is the parsed JSON for `.json` files (else None);
    `binary`: the file holds a NUL byte in its first 8 KiB (git's test), so `content` is empty and `size` says
    how big it is."""

    path: str
    content: str
    data: Any = None
    missing: bool = False
    binary: bool = False
    size: int = 0

    def __str__(self) -> str:  # `{{ inputs[0] }}` is its path, as an item of a prompt's `files` is
        return self.path

    def __repr__(self) -> str:  # `{{ inputs }}` is a list of paths, not of Python reprs of every content
        return repr(self.path)


def read_inputs(task: Task, root: Path) -> list[Input]:
    inputs: list[Input] = []
    for path in task.inputs:
        file = root / path
        try:
            raw = file.read_bytes()
        except OSError:
            inputs.append(Input(path, "", None, missing=True))
            continue
        if b"\0" in raw[:8192]:
            inputs.append(Input(path, "", None, binary=True, size=len(raw)))
            continue
        content = raw.decode("utf-8", errors="replace")
        data = None
        if path.lower().endswith(".json"):
            try:
                data = json.loads(content)
            except ValueError:
                data = None
        inputs.append(Input(path, content, data))
    return inputs


def title_of(task: Task) -> str:
    spec = task.spec
    return spec.title if isinstance(spec, ReportSpec) and spec.title else task.name


def render_sections(task: Task, inputs: list[Input]) -> str:
    """`# Title`, then `## path` and the input's body for each input in declared order; an input identical to
    an earlier one (same bytes) says so instead of repeating it; then an empty section for each input pattern
    that matches no file (so the reader sees what is not there)."""
    parts = [f"# {title_of(task)}"]
    seen: dict[str, str] = {}
    for item in inputs:
        parts.append(f"## {term_safe(item.path)}")  # (one line: a newline in a name would end the heading)
        if item.missing:
            parts.append("_(missing)_")
            continue
        if item.binary:
            parts.append(f"_(binary file, {item.size:,} bytes: not shown)_")
            continue
        digest = hashlib.sha256(item.content.encode("utf-8")).hexdigest()
        if digest in seen:
            parts.append(f"_(same as `{term_safe(seen[digest])}`)_")
            continue
        seen[digest] = item.path
        body = section_body(item.path, item.content)
        parts.append(body if body.strip() else "_(empty)_")
    for pattern in unmatched(task):
        parts += [f"## {pattern}", "_(no file matches)_"]
    return "\n\n".join(parts) + "\n"


def unmatched(task: Task) -> list[str]:
    """The report's glob input patterns that match none of its inputs."""
    from agentmake.graph.globs import compile_pattern

    spec = task.spec
    found = []
    for text in spec.inputs if isinstance(spec, ReportSpec) else ():
        pattern = compile_pattern(text)
        if not pattern.is_literal and not any(pattern.regex.fullmatch(path) for path in task.inputs):
            found.append(text)
    return found


def summary_tasks(graph: Graph, task_id: str) -> list[str]:
    """The tasks a report depends on, directly or not (what its summary covers)."""
    seen: set[str] = set()
    stack = list(graph.deps.get(task_id, ()))
    while stack:
        dep = stack.pop()
        if dep not in seen:
            seen.add(dep)
            stack.extend(graph.deps.get(dep, ()))
    return [t for t in graph.tasks if t in seen]


def render_report(
    task: Task, *, graph: Graph, store: Records | None = None, run_id: int | None = None
) -> str:
    """The whole document of report `task` (not a merge report: those are written by an agent).
    Bind the keywords with functools.partial to get the executor's `report_renderer(task) -> str`."""
    from agentmake.report.template import render_template

    spec = task.spec
    assert isinstance(spec, ReportSpec), f"{task.id} is not a report"
    root = graph.agentfile.root
    inputs = read_inputs(task, root)
    summary = ""
    if spec.summary and store is not None:
        covered = summary_tasks(graph, task.id)
        summary = render_summary(graph, store, run_id, covered) if covered else ""
    if spec.template:
        return render_template(
            root / spec.template,
            title=title_of(task),
            inputs=inputs,
            summary=summary,
            variables=dict(graph.agentfile.variables),
            spec=spec,
        )
    body = render_sections(task, inputs)
    return body + ("\n" + summary if summary else "")
