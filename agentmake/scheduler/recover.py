"""Putting right what a killed agentmake left, before anything else touches the project (`take_over`): its
processes still running, and commits it cut short: tasks recorded as done whose outputs were never renamed
into place.

The scheduler records a finished task (its outputs' blobs already in the cache) before it renames the staged
outputs onto their targets, and notes it in the store's `commits` table until they are. A row found when a
build starts names a task whose targets may be missing or hold their old content: each output whose content
differs from the record is restored from the cache (zero agent calls), so the rebuilder then finds the task up
to date instead of mistaking an old output for a hand edit.

What the killed build spent is on no summary line: its history rows (results renamed into place or not,
failures after paid attempts) are reported by the build that takes over (`TakenOver.cost`, counted against
its budget before it starts any call), which marks them reported only as it ends (`Journal.end_run`); or by
`clean` and `-t`, which say them and mark them at once (`workflow.takeover`). Exactly once across kills: a
build killed before its end leaves them unmarked, so the next one reports them; the mark and the build's end
are one transaction, so no build after it reports them again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from agentmake.errors import AgentmakeError
from agentmake.natorder import natural_key
from agentmake.pathwords import quote_path
from agentmake.plan import Hasher
from agentmake.scheduler.earlier import find_left
from agentmake.scheduler.processes import Orphan, end_orphan_groups, left_running
from agentmake.store import Store
from agentmake.store.records import AttemptRecord


@dataclass(frozen=True)
class TakenOver:
    """What `take_over` put right: the process groups it ended (with their tasks), the tasks whose recorded
    outputs it put in place, and the copies it saved first of outputs edited by hand since the kill (output
    -> copy)."""

    ended: list[Orphan]
    restored: list[str]
    saved: dict[str, Path]
    # the history rows of killed builds whose spend no summary line counted (`Store.spend_unsummed`)
    paid: list[AttemptRecord] = field(default_factory=list)

    @property
    def cost(self) -> float | None:
        """What those rows' attempts cost, spent by the killed builds (None if none said its cost)."""
        costs = [row.cost_usd for row in self.paid if row.cost_usd is not None]
        return sum(costs) if costs else None

    @property
    def tokens(self) -> tuple[int, int] | None:
        """(tokens in, tokens out) of those attempts, None if none reported any."""
        known = [r for r in self.paid if r.tokens_in is not None or r.tokens_out is not None]
        if not known:
            return None
        return sum(r.tokens_in or 0 for r in known), sum(r.tokens_out or 0 for r in known)

    @property
    def paid_tasks(self) -> list[str]:
        """The tasks whose attempts those were, in natural order."""
        return sorted({row.task_id for row in self.paid}, key=natural_key)

    @property
    def summed(self) -> list[int]:
        """The killed builds whose spend this reports, to be marked reported with it (`Journal.end_run`)."""
        return sorted({row.run_id for row in self.paid})


def take_over(
    store: Store, hasher: Hasher, root: Path, run_id: int,
    tidy_left: Callable[[Iterable[str]], None] | None = None, ours: int | None = None,
) -> TakenOver:  # fmt: skip
    """What a build and `clean` do first, holding the project lock: end the processes a killed agentmake left
    running (never two live copies of one task, nor one writing behind a clean), `tidy_left` their tasks
    (`Executor.tidy_left`: logs redacted, login copies removed), and finish its interrupted commits (the
    results it recorded, and paid for, put in place, a copy of a hand edit saved first). The copies of hand
    edits it cut short are removed (`Store.remove_partials`). And what the killed builds spent (`paid`):
    build `ours`, the one taking over (None for `clean`, `-t`), is not one of them; with what their attempts
    paid for and never recorded, found in their logs first (`earlier.find_left`, if a build was killed)."""
    remove_partials = getattr(store, "remove_partials", None)  # test doubles of the store may lack it
    if remove_partials is not None:
        remove_partials()
    left = left_running(store)  # (read before end_orphan_groups clears the records)
    ended = end_orphan_groups(store)
    if left and tidy_left is not None:
        tidy_left(left)
    store_dir = getattr(store, "dir", None)  # (test doubles of the store may lack it)
    quiet: list[int] = []
    if isinstance(store_dir, Path):  # (what the killed builds paid for and never recorded: `paid`, below)
        quiet = find_left(store, store_dir / "logs", left, ours)
    saved: dict[str, Path] = {}
    restored = recover_commits(store, hasher, root, run_id, saved)
    taken = TakenOver(ended, restored, saved, store.spend_unsummed(ours))
    # (a killed build that spent nothing, found nothing in its logs: no line has anything of it to say, and
    # no later build need look in the logs for it again; not one killed as it printed its line, which a
    # build that says the spend it said names: `Journal.ended_unsaid`)
    if quiet:
        unsaid = set(store.ended_unsaid(ours))
        quiet = [r for r in quiet if r not in taken.summed and r not in unsaid]
    if quiet:
        store.mark_summed(quiet, ours or 0)
    return taken


@dataclass(frozen=True)
class CutShort:
    """A commit a killed agentmake cut short, as `recover_commits` finishes it: `task_id`'s recorded result
    (cache `key`, output path -> content hash) is put in place, after a copy is saved of each output in
    `edits` (one that holds neither that result nor what agentmake last saw there: a hand edit)."""

    task_id: str
    key: str
    outputs: dict[str, str]
    edits: tuple[str, ...]


def cut_short(store: Store, hasher: Hasher, root: Path) -> tuple[list[str], list[CutShort]]:
    """(every task the `commits` table names, the commits among them to finish): what `recover_commits`
    does, decided without doing it (`clean -n` says it). A task whose outputs hold its result already needs
    nothing, nor one whose record is no longer a success."""
    pending_commits = getattr(store, "pending_commits", None)  # test doubles of the store may lack it
    pending = pending_commits() if pending_commits is not None else []
    todo: list[CutShort] = []
    seen: dict[str, str] | None = None
    for task_id in pending:
        rec = store.task_record(task_id)
        if rec is None or not rec.key or rec.status != "done":
            continue
        current = {path: _hash_or_none(hasher, root, path) for path in rec.outputs}
        if all(current[path] == digest for path, digest in rec.outputs.items()):
            continue  # the rename did happen
        seen = _last_seen(store) if seen is None else seen
        edits = tuple(
            path for path, digest in current.items()
            if digest is not None and digest != rec.outputs.get(path) and digest != seen.get(path)
        )  # fmt: skip
        todo.append(CutShort(task_id, rec.key, dict(rec.outputs), edits))
    return pending, todo


def recover_commits(
    store: Store, hasher: Hasher, root: Path, run_id: int, saved: dict[str, Path] | None = None
) -> list[str]:
    """Put the recorded outputs of interrupted commits in place; returns the ids of tasks restored. The
    copies saved of hand edits first are added to `saved` (output -> copy), those of a commit left
    unfinished too (the edit stays in place, and its copy where it was saved)."""
    pending, todo = cut_short(store, hasher, root)
    if not pending:
        return []
    restored: list[str] = []
    unresolved: list[str] = []
    for commit in todo:
        task_id = commit.task_id
        try:
            _save_edits(store, run_id, commit, saved if saved is not None else {})
            before = time.time_ns()  # (what is written after it is not taken for what the cache held)
            written = store.cache_restore(commit.key, root)
        except (OSError, KeyError, ValueError, AgentmakeError) as exc:
            store.log_event(run_id, task_id, "cache", f"cannot restore recorded outputs: {exc}", "left as is")
            unresolved.append(task_id)
            continue
        for path, digest in written.items():
            hasher.note_written(path, digest, before)
        store.log_event(
            run_id, task_id, "recovered", "outputs recorded but not in place (interrupted run)",
            "restored from the cache",
        )  # fmt: skip
        restored.append(task_id)
    store.clear_commits([t for t in pending if t not in unresolved])
    return restored


def _hash_or_none(hasher: Hasher, root: Path, path: str) -> str | None:
    if not (root / path).is_file():
        return None
    try:
        return hasher.file_hash(path)
    except OSError:
        return None


def _last_seen(store: Store) -> dict[str, str]:
    """path -> the hash agentmake last saw for it (the stat cache): an output's content before the interrupted
    run, unless that run's hashes were written (then it is the recorded content)."""
    rows = getattr(store, "file_rows", None)  # test doubles of the store may lack it
    return {path: row[3] for path, row in rows().items()} if rows is not None else {}


def _save_edits(store: Store, run_id: int, commit: CutShort, saved: dict[str, Path]) -> None:
    """Save each output of `commit` that holds a hand edit made after the interrupted run, noting each copy in
    `saved` (raises OSError if it cannot be saved: then it is not overwritten)."""
    for path in commit.edits:
        where = saved[path] = store.save_edited(path)
        said = f"hand-edited output saved: {quote_path(path)} → {quote_path(str(where))}"
        store.log_event(run_id, commit.task_id, "output-edited", said, "saved a copy before restoring")
