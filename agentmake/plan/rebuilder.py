"""Decide whether a task must run (contract stub: to be implemented)."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass, field
from typing import Any

from agentmake.graph import Graph, Task
from agentmake.plan.hashing import Hasher
from agentmake.store import Store


@dataclass(frozen=True)
class Reason:
    """Why a task is (not) up to date. `kind` is one of: never-built, output-missing, input-changed, input-added,
    input-removed, input-will-change, prompt-changed, command-changed, runner-changed, setting-changed,
    outputs-changed, previous-failed, forced, output-edited, cached. `message` is the full sentence shown by
    explain, e.g. "input docs/intro.md changed (content a1b2… → c3d4…)"."""

    kind: str
    message: str
    path: str | None = None
    old: str | None = None
    new: str | None = None


@dataclass
class Decision:
    """`action`: "skip" (up to date), "restore" (outputs from the cache, zero agent calls) or "run".
    `key` is None only in a dry run when an input is still to be rebuilt. `parts` are the key's components.
    `prompt` is the rendered prompt (LLM agents, merge reports) or the rendered shell command (shell agents).
    `edited` lists outputs whose content differs from what agentmake last wrote."""

    task_id: str
    action: str
    reasons: list[Reason] = field(default_factory=list)
    key: str | None = None
    parts: dict[str, Any] = field(default_factory=dict)
    prompt: str | None = None
    edited: list[str] = field(default_factory=list)

    @property
    def stale(self) -> bool:
        return self.action != "skip"


class Rebuilder:
    """Holds what a decision needs (graph, store, hasher); `decide` is called when a task's deps have finished."""

    def __init__(self, graph: Graph, store: Store, hasher: Hasher, *, force: bool = False) -> None:
        raise NotImplementedError

    def decide(self, task: Task, *, pending: Set[str] = frozenset()) -> Decision:
        """`pending`: input paths that a dry run expects to be rebuilt (their content is unknown yet)."""
        raise NotImplementedError
