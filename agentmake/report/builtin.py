"""A report target's document: the built-in aggregation (a section per input) or a user template, then the
run summary. Deterministic: the same inputs and records give the same bytes."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentmake.graph import Graph, Task
from agentmake.model import ReportSpec, scope
from agentmake.plan.partial import GAPS_NAMED, Gap, gaps_summary
from agentmake.report.markdown import code_span, heading_text, section_body
from agentmake.report.summary import Records, render_summary
from agentmake.safetext import term_safe


@dataclass(frozen=True, repr=False)
class Input:
    """One report input as templates see it: `data` is the parsed JSON for `.json` files (else None);
    `binary`: the file holds a NUL byte in its first 8 KiB (git's test), so `content` is empty and `size` says
    how big it is. In a partial report (`agentmake.plan.partial`), `reason` says why an input is `missing`
    (its task failed or was not run in this build) or incomplete (it is a partial report itself)."""

    path: str
    content: str
    data: Any = None
    missing: bool = False
    binary: bool = False
    size: int = 0
    reason: str = ""
    stale: bool = False  # (missing: the file an earlier build made is there, left out)

    def __str__(self) -> str:  # `{{ inputs[0] }}` is its path, as an item of a prompt's `files` is
        return self.path

    def __repr__(self) -> str:  # `{{ inputs }}` is a list of paths, not of Python reprs of every content
        return repr(self.path)


def read_inputs(task: Task, root: Path, gaps: Sequence[Gap] = ()) -> list[Input]:
    """The inputs of `task` as read now; those `gaps` names as not made by this build are `missing`, even
    where an earlier build left a file (it may not match the other inputs). A UTF-8 byte order mark that
    starts a file is no part of its `content` (as in the Agentfile): in a report it would stand before the
    first heading, making it none, and a JSON file with one would not parse."""
    inputs: list[Input] = []
    why = {g.path: g for g in gaps}
    for path in task.inputs:
        file = root / path
        gap = why.get(path)
        if gap is not None and not gap.present:
            stale = os.path.lexists(file)
            inputs.append(Input(path, "", None, missing=True, reason=gap.reason, stale=stale))
            continue
        try:
            raw = file.read_bytes()
        except OSError:
            inputs.append(Input(path, "", None, missing=True))
            continue
        if b"\0" in raw[:8192]:
            inputs.append(Input(path, "", None, binary=True, size=len(raw)))
            continue
        content = raw.decode("utf-8-sig", errors="replace")  # (a BOM is no part of the text)
        data = None
        if path.lower().endswith(".json"):
            try:
                data = json.loads(content)
            except ValueError:
                data = None
        inputs.append(Input(path, content, data, reason=gap.reason if gap is not None else ""))
    return inputs


def title_of(task: Task) -> str:
    """The report's title on one line (`markdown.heading_text`): its `title`, else its name."""
    spec = task.spec
    title = heading_text(spec.title) if isinstance(spec, ReportSpec) and spec.title else ""
    return title or task.name


def render_sections(task: Task, inputs: list[Input], gaps: Sequence[Gap] = ()) -> str:
    """`# Title`, then (a partial report) a note of what is missing and why, then `## path` and the input's
    body for each input in declared order; an input identical to an earlier one (same bytes) says so instead
    of repeating it; then an empty section for each input pattern that matches no file (so the reader sees
    what is not there)."""
    parts = [f"# {title_of(task)}"]
    if gaps:
        parts.append(partial_note(task, gaps, {item.path for item in inputs if item.stale}))
    seen: dict[str, str] = {}
    for item in inputs:
        parts.append(f"## {term_safe(item.path)}")  # (one line: a newline in a name would end the heading)
        if item.missing:
            left = "; an earlier build's file is left out" if item.stale else ""
            parts.append(f"_(missing: {code_span(item.reason)}{left})_" if item.reason else "_(missing)_")
            continue
        if item.reason:  # (a partial report itself)
            parts.append(f"_(incomplete: {code_span(item.reason)})_")
        if item.binary:
            parts.append(f"_(binary file, {item.size:,} bytes: not shown)_")
            continue
        digest = hashlib.sha256(item.content.encode("utf-8")).hexdigest()
        if digest in seen:
            parts.append(f"_(same as {code_span(term_safe(seen[digest]))})_")
            continue
        seen[digest] = item.path
        # (an empty or blank file says so: fenced, a `.txt` or `.json` one was an empty code block)
        body = section_body(item.path, item.content, task.outputs[0]) if item.content.strip() else "_(empty)_"
        parts.append(body)
    for pattern in unmatched(task):
        parts += [f"## {term_safe(pattern)}", "_(no file matches)_"]  # (one line, as a path's)
    return "\n\n".join(parts) + "\n"


def partial_note(task: Task, gaps: Sequence[Gap], stale: Collection[str] = ()) -> str:
    """The note a partial report opens with: what it lacks, each input with the task that makes it and why
    that task did not (its failure message), and that the next build that makes them rebuilds it; the first
    `GAPS_NAMED` of them (every one is marked in its section). `stale`: the missing inputs whose file an
    earlier build made is there (left out: it may not match the others), which the note says."""
    lines = [
        f"> **Partial report: {gaps_summary(gaps, len(task.inputs))}.** This build went on past failures"
        " (`-k`) and did not make them; the next build that does rebuilds this report.",
        ">",
    ]
    for gap in gaps[:GAPS_NAMED]:
        what = "incomplete" if gap.present else "missing"
        if gap.path in stale:
            what = "missing: an earlier build's file is left out"
        where = f"{code_span(gap.path)} ({what}, from {code_span(gap.task)})"
        lines.append(f"> - {where}: {code_span(gap.reason)}")
    if len(gaps) > GAPS_NAMED:  # (500 failed tasks: not 500 lines before the first section)
        lines.append(f"> - and {len(gaps) - GAPS_NAMED:,} more, each marked in its section below")
    return "\n".join(lines)


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
    """The tasks a report depends on, directly or not (what its summary covers), in graph order."""
    needs = graph.needs(task_id)
    return [t for t in graph.tasks if t in needs]


def render_report(
    task: Task,
    gaps: Sequence[Gap] = (),
    *,
    graph: Graph,
    store: Records | None = None,
    run_id: int | None = None,
) -> str:
    """The whole document of report `task` (not a merge report: those are written by an agent); `gaps`: the
    inputs this build did not make whole, for a partial report (`agentmake.plan.partial`). Bind the keywords
    with functools.partial to get the executor's `report_renderer(task, gaps) -> str`."""
    from agentmake.report.template import render_template

    spec = task.spec
    assert isinstance(spec, ReportSpec), f"{task.id} is not a report"
    root = graph.agentfile.root
    inputs = read_inputs(task, root, gaps)
    summary = ""
    if spec.summary and store is not None:
        covered = summary_tasks(graph, task.id)
        summary = render_summary(graph, store, run_id, covered, report=task.id) if covered else ""
    if spec.template:
        return render_template(
            root / spec.template,
            title=title_of(task),
            inputs=inputs,
            summary=summary,
            variables=dict(scope(spec, graph.agentfile.variables)),
            spec=spec,
            missing=[g for g in gaps if not g.present],
            incomplete=[g for g in gaps if g.present],
        )
    body = render_sections(task, inputs, gaps)
    return body + ("\n" + summary if summary else "")
