"""What a build does first, for the commands that do it too (`clean`, `-t`): end what a `kill -9`ed
agentmake left running and finish the commits it cut short (`scheduler.recover.take_over`), saying so
(`take_over_left`); or say what that would do (`would_take_over`, for their dry runs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from agentmake.safetext import term_safe
from agentmake.scheduler.events import saved_copy_line
from agentmake.scheduler.summary import usd
from agentmake.store.journal import FOUND
from agentmake.workflow import _out

if TYPE_CHECKING:
    from pathlib import Path

    from agentmake.plan import Hasher
    from agentmake.scheduler.processes import Orphan
    from agentmake.store import Store
    from agentmake.workflow import Project

KILLED = "an agentmake that was killed"  # (as clean, -t and their -n name what they put right after)


def take_over_left(project: Project, store: Store, hasher: Hasher, say: Callable[[str], None] = _out) -> None:
    """What a build does first, done before anything is removed or touched (`scheduler.recover.take_over`):
    end what a killed agentmake left running, which would go on writing behind the command, and finish the
    commits it cut short, so a result it recorded, and paid for, is in place (and in the cache) as it would
    be after a build, its old output no longer taken for a hand edit; and say so, with where it saved a copy
    of an output edited by hand since the kill (`clean -n` says a copy would be saved), and what a result it
    put in place cost, paid by the killed agentmake, which printed no summary line; and what it spent on the
    other tasks it ended (results renamed into place before the kill, failures after paid attempts), said
    once: marked reported just before it is said (`Journal.mark_summed`), as a build marks it as it ends,
    just before its summary line; killed before the mark, the next command says it."""
    from agentmake.runners.base import ExecutorBase
    from agentmake.scheduler.recover import take_over

    executor = ExecutorBase(project.agentfile, log_dir=store.dir / "logs", recover_leftovers=False)
    taken = take_over(store, hasher, project.root, store.last_run_id() or 0, executor.tidy_left)
    for orphan in taken.ended:
        say(term_safe(f"ended {_group(orphan)}, still running after {KILLED} started it"))
    for out, saved in sorted(taken.saved.items()):  # (edited since the kill: saved before the result)
        say(term_safe(saved_copy_line(out, saved)))
    paid = [row for row in taken.paid if row.cost_usd is not None]  # (on no build's summary line)
    store.mark_summed(taken.summed)
    for task_id in taken.restored:
        done = "its recorded result was put in place (and stays in the cache)"
        costs = [row.cost_usd or 0.0 for row in paid if row.task_id == task_id and row.state != FOUND]
        if costs:
            done += f"; it cost {usd(sum(costs))}, paid by the interrupted run"
        say(term_safe(f"finished {task_id}'s commit, which {KILLED} cut short: {done}"))
    for row in taken.paid:  # (said here, once)
        if row.cost_usd is None:  # (tokens only: a CLI that says no price; as a build's summary adds them)
            used = f"used {row.tokens_in or 0:,} tokens in / {row.tokens_out or 0:,} out (its cost unknown)"
            say(
                term_safe(f"{row.task_id} ({_what(row.state)}) {used}, paid by {KILLED}, which reported none")
            )
        elif row.task_id not in taken.restored or row.state == FOUND:  # (not the restored result's cost)
            cost = usd(row.cost_usd)
            say(
                term_safe(
                    f"{row.task_id} ({_what(row.state)}) cost {cost}, paid by {KILLED}, which reported none"
                )
            )


def would_take_over(
    store: Store,
    hasher: Hasher,
    root: Path,
    say: Callable[[str], None] = _out,
    placed: dict[str, str] | None = None,
) -> dict[str, bool]:
    """What `take_over_left` would do, said and not done (`clean -n`, `-t -n`): the processes a killed
    agentmake left running that it would end (none while another agentmake holds the lock: the command would
    wait for it, and it ended them when it started), and the commits that agentmake cut short that it would
    finish. Returns output -> whether a copy of a hand edit there is saved first (then the output holds the
    content agentmake recorded: clean saves no copy of it). `say`: where each line goes (stdout). `placed`,
    if given, gets output -> the content hash the take-over would put there (`-t -n` decides with them)."""
    from agentmake.scheduler.processes import find_orphans
    from agentmake.scheduler.recover import cut_short
    from agentmake.store.lock import held_elsewhere

    orphans, _ = find_orphans(store, locked=not held_elsewhere(store.dir / "lock"))
    for orphan in orphans:
        say(term_safe(f"would end {_group(orphan)}, still running after {KILLED} started it"))
    taken: dict[str, bool] = {}
    for commit in cut_short(store, hasher, root)[1]:
        if store.cache_lookup(commit.key) is None:
            continue  # (its result is no longer in the cache: left as it is, and cleaned as it is)
        for out in commit.outputs:
            taken[out] = out in commit.edits
        if placed is not None:
            placed.update(commit.outputs)
        done = "its recorded result would be put in place (and stay in the cache)"
        say(term_safe(f"would finish {commit.task_id}'s commit, which {KILLED} cut short: {done}"))
    return taken


def _what(state: str) -> str:
    """A spend row's state as said: a history row's (`done`, `failed`...), or what a killed build found in the
    logs of one killed before it and recorded (`Journal.record_found`), which is no state of a task."""
    return "an attempt found in its logs" if state == FOUND else state


def _group(orphan: Orphan) -> str:
    """A process group a killed agentmake left running, as clean names it (and `-t`, and their -n)."""
    return f"{orphan.task_id}'s process {orphan.pgid} and its group"
