"""What a task's templates see: the prompt context and the values of a shell command template.

The context itself is defined once, in `agentmake.templates.prompt_context` (grammar/README.md, "Prompt
templates": variables, then wildcards, then ``input``/``output``/``inputs``/``outputs``, ``files`` with
``.path``/``.content`` read lazily, and ``read(path)`` for inputs only, so a prompt never depends on a file
the key misses). This module adapts a `Task` to it and renders the task's prompt or command.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from agentmake import templates
from agentmake.graph import Task
from agentmake.model import AgentSpec, Prompt, ReportSpec


def prompt_context(
    task: Task,
    variables: dict[str, str],
    root: Path,
    opener: Callable[[str], str] | None = None,
    *,
    as_before: int = 0,
) -> dict[str, object]:
    return templates.prompt_context(
        root, variables, dict(task.wildcards), task.inputs, task.outputs, opener, as_before=as_before
    )


def command_values(task: Task) -> dict[str, str | list[str]]:
    """Values for `templates.render_command`: wildcards, then input/inputs/output/outputs."""
    values: dict[str, str | list[str]] = dict(task.wildcards)
    values.update(
        input=task.inputs[0] if task.inputs else "",
        output=task.outputs[0] if task.outputs else "",
        inputs=list(task.inputs),
        outputs=list(task.outputs),
    )
    return values


def task_prompt(task: Task) -> Prompt | None:
    """The prompt of an LLM agent or of a report's merge agent (None: shell agent or plain report)."""
    spec = task.spec
    return spec.merge if isinstance(spec, ReportSpec) else spec.prompt


def render_task_command(task: Task) -> str | None:
    """The shell command of a shell agent, every value quoted; None for other tasks."""
    spec = task.spec
    if not isinstance(spec, AgentSpec) or spec.run is None:
        return None
    loc = spec.key_locs.get("run", spec.loc)
    return templates.render_command(spec.run, command_values(task), loc)


def render_task_check(task: Task) -> str | None:
    """The `check` command of an agent, rendered with the task's output paths where an attempt's check gets
    the staged ones, or None: no check command. Rendered when the task is decided, it refuses the task's
    values (a wildcard value starting with '-', an index past its paths) before its agent is paid for."""
    spec = task.spec
    if not isinstance(spec, AgentSpec) or spec.check is None or spec.check.kind != "command":
        return None
    loc = spec.key_locs.get("check", spec.loc)
    return templates.render_command(spec.check.command or "", command_values(task), loc)


def render_task_prompt(
    task: Task,
    variables: dict[str, str],
    root: Path,
    opener: Callable[[str], str] | None = None,
    *,
    as_before: int = 0,
) -> str | None:
    """`opener`: how inputs are read, if not from the disk; `as_before`: lists printed as an older agentmake
    printed them (1, 2: see `templates.prompt_context`)."""
    prompt = task_prompt(task)
    if prompt is None:
        return None
    context = prompt_context(task, variables, root, opener, as_before=as_before)
    return templates.render_prompt(prompt, context, task.id)
