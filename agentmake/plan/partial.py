"""Partial reports: with -k, a report (without `merge`) whose inputs were not all made by this build is built
anyway from what was, and says what is missing.

An input is a `Gap` when the task that makes it failed or was not run in this build (its file, if an earlier
build left one, is not used: it may not match what the report's other inputs were made from), or when it is
a report that was itself partial (`present`: its file is used, and named as incomplete).

A report none of whose inputs was made (each a missing `Gap`) has nothing to report: it is not written at all
(`nothing_made` says why), so what an earlier build left at its output stays as it was, and it counts as not
run, which a report on it takes as a missing input.

A partial report is never up to date and never stands for its complete inputs: its decision always runs
(`partial_decision`), and its result is recorded under `PARTIAL + key` with the task status "partial", a key
no decision ever computes, so the cache never restores it and the next build rebuilds the report. The
record and the cache row keep it known as agentmake's own output (not a hand edit, not a stranger's file).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from agentmake.plan.changes import Reason
from agentmake.plan.keys import key_of

if TYPE_CHECKING:
    from agentmake.plan.decision import Decision

PARTIAL = "partial:"  # prefix of the key a partial report is recorded (and cached) under
GAPS_NAMED = 5  # the gaps a line names (`gaps_detail`); the others are counted


@dataclass(frozen=True)
class Gap:
    """An input of a report that this build did not make whole: `path`, the `task` that makes it and why
    it is not there (`reason`: "perf failed: exited with code 1", "not run: scan failed").
    `present`: the file is there but is a partial report itself (`reason` says what it lacks)."""

    path: str
    task: str
    reason: str
    present: bool = False


def gaps_summary(gaps: Sequence[Gap], total: int) -> str:
    """`1 of 4 inputs missing`, `1 of 2 inputs a partial report`, or both joined by `, `."""
    missing = sum(1 for g in gaps if not g.present)
    partial = len(gaps) - missing
    said = [f"{missing} of {total} inputs missing"] if missing else []
    if partial:
        what = "a partial report" if partial == 1 else "partial reports"
        said.append(f"{partial} of {total} inputs {what}")
    return ", ".join(said)


def gaps_detail(gaps: Sequence[Gap]) -> str:
    """The first `GAPS_NAMED` gaps on one line of text, `build/perf.md (perf failed: exited with code 1)`,
    joined by `; `, then `; and 495 more`: a -k build in which 500 tasks failed says its partial report's
    line (the build's, -n's, status's, the record's) in a few names, not 500 (`gaps_summary` counts them;
    the report names each in its section)."""
    said = "; ".join(f"{g.path} ({g.reason})" for g in gaps[:GAPS_NAMED])
    return said + (f"; and {len(gaps) - GAPS_NAMED} more" if len(gaps) > GAPS_NAMED else "")


def in_input_order(gaps: Sequence[Gap], inputs: Sequence[str]) -> list[Gap]:
    """`gaps` in the order of the report's `inputs` (as its sections are), not in the order the tasks that
    make them failed: the gaps a line names (`gaps_detail`) are the first inputs, the same every build."""
    position = {path: i for i, path in enumerate(inputs)}
    return sorted(gaps, key=lambda g: position.get(g.path, len(position)))


def nothing_made(gaps: Sequence[Gap], inputs: Sequence[str]) -> str | None:
    """Why a report is not written at all, when every one of its `inputs` is missing (a partial report's
    `present` input has something to show): `nothing to report (2 of 2 inputs missing): build/a.md (a
    failed: exited with code 1); build/b.md (…)`. None when any input is there."""
    missing = {g.path for g in gaps if not g.present}
    if not inputs or any(path not in missing for path in inputs):
        return None
    return f"nothing to report ({gaps_summary(gaps, len(inputs))}): {gaps_detail(gaps)}"


def partial_decision(decision: Decision, gaps: Sequence[Gap], total: int) -> Decision:
    """`decision` (as the rebuilder took it from the files on disk) made into the run of a partial report:
    the missing inputs count as absent in its key parts, whatever an earlier build left at their paths; it
    runs whatever the rebuilder said (a skip or a restore would show an earlier, complete document); outputs
    edited by hand, even those a skip would have kept, are saved before it replaces them."""
    parts = dict(decision.parts)
    inputs = dict(parts.get("inputs") or {})
    for gap in gaps:
        if not gap.present:
            inputs[gap.path] = None
    parts["inputs"] = inputs
    parts["partial"] = sorted(g.path for g in gaps)
    edited = list(decision.edited)
    kept = [r.path for r in decision.reasons if r.kind == "output-edited" and r.path]  # (a skip kept them)
    edited += [path for path in kept if path not in edited]
    why = Reason("inputs-missing", f"partial report ({gaps_summary(gaps, total)}): {gaps_detail(gaps)}")
    return replace(
        decision,
        action="run",
        reasons=[why],
        key=PARTIAL + key_of(parts),
        parts=parts,
        edited=edited,
        recorded=False,
        adopt=None,  # (nor is it the cached result of its complete inputs, in place already)
        alias=None,  # (nor that of another key)
        recheck=None,
        gaps=tuple(gaps),
    )
