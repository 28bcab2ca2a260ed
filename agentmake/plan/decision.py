"""A decision about one task (`Decision`): skip, restore or run, the reasons why, and what acting on it needs.

`RecordedParts` stands in for a skip's key parts until someone reads them (the no-op path never does).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agentmake.plan.changes import Reason
from agentmake.plan.hashing import Seen
from agentmake.plan.partial import Gap
from agentmake.store import Store, TaskRecord

__all__ = ["Decision", "RecordedParts"]


@dataclass
class Decision:
    """`action`: "skip" (up to date), "restore" (outputs from the cache, zero agent calls) or "run".
    `key` is None only in a dry run when an input is still to be rebuilt. `parts` are the key's components.
    `prompt` is the rendered prompt (LLM agents, merge reports) or the rendered shell command (shell agents);
    always set when `action` is "run" with a key. `edited` lists outputs whose content differs from what
    agentmake last wrote and that running/restoring will overwrite (save them first: `Store.save_edited`).
    `unknown` lists the outputs of a run that exist but that agentmake has no record of making (a file there
    before the task's first build, or an output newly declared): the scheduler saves each one before a
    result with other content replaces it. `outputs_seen` (a run): what the decision saw of each output
    (`Hasher.seen`), so a change made after it, even before the run starts, is found at the commit.
    `recorded`: the task's record is of this key (a success was recorded under it: a run then remakes lost
    or edited outputs whose result is not in the cache). `adopt` (with "skip"): the record is of another key,
    but the outputs already hold the cached result of this one (path -> digest; a variable switched back):
    up to date once the record is switched to this key (`Outcomes._adopt`), with no file rewritten.
    `gaps`: a partial report's inputs this build did not make whole (`agentmake.plan.partial`); empty for
    every other decision. `alias` (not "run"): another key whose cache entry holds this decision's result,
    filed under `key` too when the decision is acted on (`Store.cache_alias`): the record's key in an older
    format (`keys_v1`), or its key with the check it had, which the outputs in place pass; with `alias_moves`,
    the key an older agentmake gave this call with its endpoint's secrets (`upgrade.endpoint_key_before`),
    whose entry moves to `key` rather than being copied (`Store.cache_move`). `recheck` (with
    "run"): the task's check command is all that changed, and its attempt runs it on the outputs in place
    before anything else (`runners.check.recheck_in_place`, on copies of them), in a slot like any other
    work: they pass it, the task is up to date with these outputs (path -> digest), its record switched to
    `key` and `alias`'s cache entry filed under it, as with `adopt` (`Starting._passed_in_place`), or, if
    the check rewrote its copies, with those, committed, recorded and cached as an attempt's outputs
    (`Outcomes._commit`); they fail it, the same attempt calls the agent (and the scheduler drops
    `recheck`: a retry calls it at once), unless the build calls it no more (its budget reached, its runner
    refused: `scheduler.gate`), and then the task is not run. A re-check itself calls nothing: neither holds
    it back. `moved` (with "restore"): the cached result was made at another output path than the task's,
    under a key that holds none (`plan.pathless`: an output renamed in the Agentfile): cached path -> the
    task's, where the restore writes it (`Store.cache_restore`). `settings_write` (with "run", and with
    "restore": a restore that fails runs the task, `Outcomes._restore`): the settings files of an LLM
    task's CLI let its agent write files (`ConfigReading.writes`, which the plan reads once per runner in a
    build: `KeyParts.settings_write`): its attempt sets its output aside by it
    (`runners.writing.agent_may_write`), reading no file again."""

    task_id: str
    action: str
    reasons: list[Reason] = field(default_factory=list)
    key: str | None = None
    parts: dict[str, Any] = field(default_factory=dict)
    prompt: str | None = None
    edited: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    outputs_seen: list[Seen | None] = field(default_factory=list)
    recorded: bool = False
    adopt: dict[str, str] | None = None
    gaps: tuple[Gap, ...] = ()
    alias: str | None = None
    alias_moves: bool = False
    recheck: dict[str, str] | None = None
    moved: dict[str, str] | None = None
    settings_write: bool = False

    @property
    def stale(self) -> bool:
        return self.action != "skip"


class RecordedParts:
    """The parts recorded for a task, read from the store only if someone looks (a no-op never does)."""

    def __init__(self, store: Store, task_id: str) -> None:
        self.store, self.task_id = store, task_id

    def load(self) -> dict[str, Any]:
        rec = self.store.task_record(self.task_id)
        return rec.parts if rec is not None else {}


def _get_parts(self: Decision) -> dict[str, Any]:
    value = self.__dict__["_parts"]
    if isinstance(value, TaskRecord):  # the fast path: the recorded parts, decoded only if someone looks
        value = self.__dict__["_parts"] = value.parts
    elif isinstance(value, RecordedParts):
        value = self.__dict__["_parts"] = value.load()
    return value


def _set_parts(self: Decision, value: dict[str, Any] | TaskRecord) -> None:
    self.__dict__["_parts"] = value


Decision.parts = property(_get_parts, _set_parts)  # type: ignore[assignment]
