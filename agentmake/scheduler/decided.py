"""Whether files a task reads are still what it was decided on (watch mode's cancel requests, `BuildControl`).

A task's decision holds the content hash of each input it was decided on (`parts["inputs"]`) and, for a
report with a template, of the template (`parts["template"]`); its prompt's text is in the loaded spec. A
file whose content is still that is no reason to cancel the task, even if it was written again meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from agentmake.model import AgentSpec, ReportSpec
from agentmake.plan import Hasher
from agentmake.scheduler.tasks import TaskState
from agentmake.syntax.files import decode_text


def changed_since(
    t: TaskState, paths: Iterable[str], hasher: Hasher, root: Path, recorded: Mapping[str, Any] | None = None
) -> bool:
    """Whether any of `paths` is no longer what task `t` was decided on (True for a path the task is not
    known to read, or that cannot be read: cancelling is then the safe side). `recorded`: the parts of its
    record, for a task found up to date without a decision (a build stamp vouched for it)."""
    decision = t.decision
    if decision is None and recorded is None:
        return True
    parts = decision.parts if decision is not None else recorded or {}
    inputs = parts.get("inputs") or {}
    spec = t.task.spec
    prompt = spec.prompt if isinstance(spec, AgentSpec) else spec.merge
    for path in paths:
        try:
            if path in inputs:
                same = hasher.file_hash(path) == inputs[path]
            elif prompt is not None and prompt.path == path:
                same = decode_text((root / path).read_bytes()) == prompt.text  # (as the loader read it)
            elif isinstance(spec, ReportSpec) and spec.template == path and "template" in parts:
                same = hasher.file_hash(path) == parts["template"]
            else:
                same = False
        except (OSError, UnicodeDecodeError):
            same = False
        if not same:
            return True
    return False
