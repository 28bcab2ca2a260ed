"""Key format 1, read to upgrade what it recorded: a project built before format 2 runs nothing after.

A record of format 1 holds its key and the parts it was made of (`TaskRecord.parts`). `upgrade` spells those
parts the format 2 way (`agentmake.plan.keys`): if they then make the key the task has now, the record is of
this very result, so the task is decided as if the record held the new key (up to date, or restored from the
cache entry of its format 1 key when an output is missing), and the record switches to the new key with the
build's end (`Store.note_rekey`, which also files the cache entry under the new key, for a later restore).

What format 2 changed: "prompt_source" left the key (kept as the memo "_render"."source"), "outputs" are
sorted (a command check keeps them as declared, `keys.check_parts`), a runner without `model_flag` has no
"model", and "summarised" is a digest of the tasks it covers (their ids kept as the memo "_summarised").

Delete this module, its use in `upgrade.upgraded`, tests/test_keys_upgrade.py and tests/fixtures/keys_v1
once projects built by agentmake before key format 2 need not be upgraded for free: all it costs then is
that their tasks run (or are restored) once, as after any bump of `KEY_VERSION`.
"""

from __future__ import annotations

from typing import Any

from agentmake.plan.keys import key_of, summary_digest


def upgrade(parts: dict[str, Any], key: str) -> dict[str, Any] | None:
    """The format 2 parts of format 1 `parts` recorded under `key`; None if they are not of format 1 or do
    not make `key` (a partial report's record, or one damaged)."""
    if parts.get("v") != 1 or key_of(parts) != key:
        return None
    new = dict(parts, v=2)
    source = new.pop("prompt_source", None)
    if source is not None:
        new["_render"] = {**(new.get("_render") or {}), "source": source}
    outputs = list(new.get("outputs") or [])
    new["outputs"] = sorted(outputs)
    check = new.get("check")
    if isinstance(check, dict) and check.get("kind") == "command":
        new["check"] = {**check, "outputs": outputs}
    runner = new.get("runner")
    if isinstance(runner, dict) and runner.get("model_flag") is None:
        new["runner"] = {**runner, "model": None}
    summarised = new.get("summarised")
    if isinstance(summarised, dict):
        new["summarised"] = summary_digest(summarised)
        new["_summarised"] = list(summarised)
    return new
