"""The rebuilder: is this task up to date, restorable from the cache, or must it run, and why.

Contract: `Hasher` (content hashes with a stat cache), `Reason`/`Decision` (typed reasons recorded where the
decision is made), `Rebuilder.decide(task, ...)` (a pure decision over the store and the hasher; when a
task's check is all that changed, it asks the `checker` it was given whether the outputs pass the new one;
a check command it leaves to the task's attempt: `Decision.recheck`).

Modules: `hashing` (digests + stat cache), `keys` (canonical key encoding, versioned; `keys_v1` reads the
records of the format before), `context` (what prompt and command templates see), `changes` (old vs new
key parts as reasons), `decision` (`Decision`), `keyparts` (a task's key parts, memos and rendering),
`judge` (the verdict once the key is known), `upgrade` (a record of an older format as this one spells
it), `rebuilder` (the decision: `Rebuilder`, built on `judge` and `keyparts`), `dryrun` (`plan_build` for
-n/-q), `explain` (reason chains), `stamp` (the build stamp: a no-op proven by stats alone), `leftovers`
(outputs of tasks no longer in the graph that current tasks read).

The names are imported on first use, so `agentmake.plan.stamp` (the no-op fast path) loads nothing else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentmake.lazy import lazy_names

if TYPE_CHECKING:
    from agentmake.plan.hashing import Hasher
    from agentmake.plan.rebuilder import Decision, Reason, Rebuilder

__all__ = ["Decision", "Hasher", "Reason", "Rebuilder"]


__getattr__ = lazy_names(
    __name__,
    {
        "Hasher": "agentmake.plan.hashing",
        "Decision": "agentmake.plan.rebuilder",
        "Reason": "agentmake.plan.rebuilder",
        "Rebuilder": "agentmake.plan.rebuilder",
    },
)
