"""`agentmake clean`: remove the selected tasks' outputs (or, with `--leftovers`, those of tasks no longer in
the graph, and what tasks made at output paths the Agentfile renamed since), saving a copy of any that
agentmake did not make as it is, and the directories of those outputs that this leaves empty; `--cache` also
empties the cache. First, as a build does, it ends the processes a killed agentmake left running and finishes
the commits it cut short (`scheduler.recover.take_over`).

Nothing outside the project is ever removed or copied: a recorded path outside it is skipped (a state.db
copied from elsewhere, or planted), and an output directory that resolves outside it stops the command
before anything is removed (`confine.check_inside`). So does a state database damaged anywhere, even where
clean reads nothing (`Store.check_intact`): the outputs may be the only whole copies of what it cached.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from agentmake.confine import check_inside
from agentmake.errors import UsageError, plural
from agentmake.graph.globs import is_outside_root
from agentmake.invocation import command_line
from agentmake.natorder import in_natural_order
from agentmake.safetext import term_safe
from agentmake.scheduler.commit import remove_stale_temps, staged_name
from agentmake.scheduler.events import saved_copy_line
from agentmake.workflow import EXIT_OK, Request, _out, load_project
from agentmake.workflow.cleanwords import Leftovers, cache_words, forgot_words, removed_words
from agentmake.workflow.planning import running_elsewhere
from agentmake.workflow.takeover import take_over_left, would_take_over

if TYPE_CHECKING:
    from collections.abc import Mapping

    from agentmake.graph import Graph
    from agentmake.plan import Hasher
    from agentmake.store import Store
    from agentmake.workflow import Project


def clean(req: Request, cache: bool, leftovers: bool = False) -> int:
    """Remove the selected tasks' outputs (hand-edited ones are saved first); `--cache` empties the cache.
    `leftovers`: remove instead the outputs of tasks no longer in the graph, and those a task made at an
    output path the Agentfile renamed since (see `plan.leftovers`), that no current task makes, and forget
    those tasks (records, history, logs, prompts; their results stay in the
    cache)."""
    project = load_project(req)
    if leftovers and req.targets:
        raise UsageError("`agentmake clean --leftovers` takes no targets: it removes what no task declares")
    selected = project.graph.select(req.targets) if req.targets else project.graph
    from agentmake.plan import Hasher
    from agentmake.workflow.waiting import open_store

    # (a dry run changes nothing: no lock)
    store = open_store(req, project, lock=not req.dry_run)
    try:
        # damage where clean reads nothing (the cache) would go unseen: the outputs it removes may be the only
        # whole copies of results paid for
        store.check_intact()
        hasher = Hasher(project.root, store)
        taken: dict[str, bool] = {}  # -n: outputs a take-over would put in place (`would_take_over`)
        if req.dry_run:
            taken = would_take_over(store, hasher, project.root)
            _in_progress(project, store, taken)
        else:
            take_over_left(project, store, hasher)
        doomed: list[tuple[str, str | None]] = []  # (output, the content hash agentmake recorded for it)
        if leftovers:
            from agentmake.plan.leftovers import (
                dropped_outputs,
                dropped_tasks,
                stray_outputs,
                without_leftovers,
            )

            store.claim(project.graph.tasks)  # (as a build does: the records of its tasks are its own)
            # (and the tasks that fan out over leftovers, whose outputs are leftovers once those are gone)
            graph = without_leftovers(project.graph, store)
            dropped = dropped_tasks(graph, store)
            made_by = dropped_outputs(graph, store, dropped)
            doomed = [(out, _made(hasher, out, made)) for out, made in sorted(made_by.items())]
            # outputs renamed in the Agentfile: what their task made there before
            strays = stray_outputs(graph, store, dropped)
            doomed += [(out, made) for out, (_, made) in sorted(strays.items())]
        else:
            records = store.task_records()
            for task in in_natural_order(selected.tasks.values(), lambda t: t.id):  # (as -n lists them)
                rec = records.get(task.id)
                doomed += [(out, rec.outputs.get(out) if rec else None) for out in task.outputs]
            doomed = _made_before(store, selected, doomed)
        for out, _ in doomed:  # every one first: a clean refused halfway would leave half the outputs
            if not is_outside_root(out) and os.path.lexists(project.root / out):
                check_inside(project.root, out)
        if not req.dry_run and not cache:  # (`--cache` empties it: the outputs' results are to go as well)
            owners = dropped if leftovers else list(selected.tasks)
            _cache_first(store, project.root, owners, {out for out, _ in doomed})
        gone = {
            out
            for out, made in doomed
            if _remove_output(store, hasher, project.root, out, made, req.dry_run, taken.get(out))
        }
        removed = len(gone)
        if not req.dry_run:  # what a killed build staged there is nobody's now, and would keep the directory
            inside = [out for out, _ in doomed if not is_outside_root(out)]
            remove_stale_temps(project.root, [out for out in inside if out.split("/")[0] != ".agentmake"])
        dirs = _remove_empty_dirs(project.root, [out for out, _ in doomed], gone, req.dry_run)
        left = None
        if leftovers:
            renamed = sum(out in gone for out in strays)
            # (a task whose recorded outputs are all gone already is forgotten too: said apart, not counted
            # as one whose outputs were removed)
            emptying = [t for t in dropped if not _removed_any(store, t, gone - strays.keys())]
            # (of those, one whose recorded output a current task makes now: that output is not left over;
            # counted by output, as one may be another task's and one gone)
            forgotten = tuple(_handed_and_gone(store, t, graph.producer) for t in emptying)
            left = Leftovers(removed - renamed, len(dropped) - len(emptying), renamed, forgotten)
            if not req.dry_run:
                from agentmake.runners.taskfiles import remove_task_files

                store.forget_tasks(dropped)
                # (removed, saved and removed, or gone already; one another task makes now is its output)
                store.forget_strays(p for p in store.strays() if p not in graph.producer)
                remove_task_files(store.dir, dropped)  # (else they stay forever: no build removes them)
                store.forget_gone_files()  # (a source renamed away, a leftover removed: no build looks again)
        what = removed_words(removed, left)
        if dirs:
            what += f" and {plural(len(dirs), 'directory', 'directories')} left empty"
        results = store.cache_results() if cache else 0  # (before it is emptied: what a build pays for again)
        if cache and not req.dry_run:
            from agentmake.runners.salvage import forget_answers

            store.cache_clear()
            forget_answers(store.dir / "logs")  # else the next build would salvage them from the logs
        verb = "would remove" if req.dry_run else "removed"
        emptied = cache_words(results, req.dry_run) if cache else ""
        forgot = forgot_words(left, req.dry_run)
        _out(f"agentmake: {verb} {what}{forgot}{emptied}" + (" (dry run)" if req.dry_run else ""))
        if leftovers:  # (what builds under other variables made is theirs: said, and what removes it)
            _say_kept_elsewhere(project, store, req.dry_run)
        # a whole clean leaves the outputs of tasks gone, a glob still reads: said, and what removes them
        kept = 0 if leftovers or req.targets else _leftovers_kept(project, store)
        if kept:
            keep = "would keep" if req.dry_run else "kept"
            _out(
                f"agentmake: {keep} {plural(kept, 'leftover output')} of tasks no longer in the graph:"
                f" `{command_line('clean', '--leftovers')}` removes them"
            )
    finally:
        store.close()
    return EXIT_OK


def _made_before(
    store: Store, selected: Graph, doomed: list[tuple[str, str | None]]
) -> list[tuple[str, str | None]]:
    """`doomed` (output, the content recorded for it), with the content the task made there under this
    configuration (`Store.strays`) for an output its record does not list: one a build with other variables
    listed since in its place (`lang=fr`'s `build/fr/x.md` for `build/es/x.md`). Removed as agentmake made
    it, with no copy saved, as it would be had that build not been."""
    if all(made is not None for _, made in doomed):
        return doomed
    strays = store.strays()
    if not strays:
        return doomed
    made_by = {
        out: (task, made) for out, (task, made) in strays.items() if selected.producer.get(out) == task
    }
    return [
        (out, made if made is not None or out not in made_by else made_by[out][1]) for out, made in doomed
    ]


def _removed_any(store: Store, task_id: str, gone: set[str]) -> bool:
    """Whether clean removed (-n: would remove) an output the record of task `task_id` lists."""
    rec = store.task_record(task_id)
    return rec is not None and any(out in gone for out in rec.outputs)


def _handed_and_gone(store: Store, task_id: str, producer: Mapping[str, str]) -> tuple[int, int]:
    """Of the outputs the record of `task_id` lists (none of them removed by clean): how many a task of the
    graph (`producer`: output -> task) makes now, and how many others (gone)."""
    rec = store.task_record(task_id)
    outs = rec.outputs if rec is not None else {}
    handed = sum(1 for out in outs if out in producer)
    return handed, len(outs) - handed


def _leftovers_kept(project: Project, store: Store) -> int:
    """How many outputs of tasks no longer in the graph (and of outputs renamed in the Agentfile) are on disk:
    what `clean --leftovers` would remove and a plain `clean` leaves."""
    from agentmake.plan.leftovers import dropped_outputs, dropped_tasks, stray_outputs, without_leftovers

    graph = without_leftovers(project.graph, store)
    dropped = dropped_tasks(graph, store)
    outs = dropped_outputs(graph, store, dropped).keys() | stray_outputs(graph, store, dropped).keys()
    return sum(1 for out in outs if not is_outside_root(out) and os.path.lexists(project.root / out))


def _say_kept_elsewhere(project: Project, store: Store, dry_run: bool) -> None:
    """After `clean --leftovers`: of tasks not in this graph whose records builds under other variables wrote
    (`Store.built_otherwise`: a task dropped while every build gave `profile=llm`), the outputs still there,
    which only a clean under those variables judges (`Store.this_config`; the task may be in that graph
    still: a task only `profile=llm`'s Agentfile declares), one line saying so and which command does:
    `agentmake clean --leftovers profile=…` (the state keeps a digest of each value, not the value)."""
    from dataclasses import replace

    from agentmake.invocation import HIDDEN, given

    graph = project.graph
    found: dict[str, list[str]] = {}  # output -> the variables its build set otherwise
    for task_id in store.task_ids():
        other = None if task_id in graph.tasks else store.built_otherwise(task_id)
        record = store.task_record(task_id) if other else None
        if other and record is not None:
            found.update((out, other) for out in record.outputs)
    # (and what such a build made at a path its newer record no longer lists: lang=fr's, a lang=es one since)
    found.update((p, other) for p, (t, other) in store.strays_otherwise().items() if t not in graph.tasks)
    there = {
        out: other
        for out, other in found.items()
        if out not in graph.producer and not is_outside_root(out) and os.path.lexists(project.root / out)
    }
    if not there:
        return
    names = {name for other in there.values() for name in other}
    words = replace(given(), overrides={k: v for k, v in given().overrides.items() if k not in names})
    command = command_line("clean", "--leftovers", invocation=words) + "".join(
        f" {name}={HIDDEN}" for name in sorted(names)
    )
    keep, outputs = "would keep" if dry_run else "kept", plural(len(there), "output")
    _out(
        f"agentmake: {keep} {outputs} of tasks not in this graph made by builds under other"
        f" values of {', '.join(sorted(names))}: `{command}` (with their values) removes those no longer in"
        " their graph"
    )


def _in_progress(project: Project, store: Store, taken: dict[str, bool]) -> None:
    """`clean -n` while a build runs: the outputs of the tasks it is running now hold their agent's work in
    progress (an agent that writes its outputs itself writes them in place), no hand edit: the build saves
    no copy of them, and the clean run once it is over finds what it recorded there. Noted in `taken` as
    outputs removed with no copy saved."""
    for task_id in running_elsewhere(store):
        task = project.graph.tasks.get(task_id)
        for out in task.outputs if task is not None else ():
            if not is_outside_root(out) and os.path.lexists(project.root / out):
                taken.setdefault(out, False)


def _cache_first(store: Store, root: Path, task_ids: list[str], doomed: set[str]) -> None:
    """File in the cache, before clean removes them, the outputs of `task_ids` whose recorded result is in
    place but not in the cache (the build could not write it: a full disk), so that removing them costs no
    call (a paid answer) again; where the cache still cannot be written, say that the task will run again."""
    for task_id in task_ids:
        rec = store.task_record(task_id)
        if rec is None or not rec.key or rec.status == "partial" or not rec.outputs:
            continue  # (a partial report's result is filed under another key, as it was made)
        outs = rec.outputs
        if not doomed & outs.keys() or store.cache_lookup(rec.key) is not None:
            continue
        if not all(os.path.isfile(root / out) and not os.path.islink(root / out) for out in outs):
            continue  # (not all in place: not the recorded result, which the cache holds whole or not at all)
        try:
            store.cache_keep(rec.key, dict(outs))
        except (OSError, sqlite3.Error) as exc:
            what = ", ".join(sorted(doomed & outs.keys()))
            why = f"{task_id}'s result is not in the cache and cannot be put there ({exc})"
            _out(term_safe(f"{what}: {why}: removed all the same, the task runs again"))


def _made(hasher: Hasher, out: str, recorded: list[str]) -> str:
    """Of the contents the dropped tasks recorded for `out` (several: an agent renamed, then dropped, left a
    record under each name), the one it holds, if any (agentmake made it as it is: no copy is saved), else
    the first."""
    if len(recorded) == 1 or is_outside_root(out):
        return recorded[0]
    try:
        if not stat.S_ISREG(os.lstat(hasher.root / out).st_mode):  # (not read through a link)
            return recorded[0]
        check_inside(hasher.root, out)  # (as every output clean removes: never read a file elsewhere)
        now = hasher.file_hash(out)
    except OSError:
        return recorded[0]
    return now if now in recorded else recorded[0]


def _remove_empty_dirs(root: Path, outputs: list[str], gone: set[str], dry: bool = False) -> list[str]:
    """Remove the directories of `outputs` that are empty now, and their parents that this leaves empty, up
    to the project root (a build makes them again), and return them. A directory holding anything stays, and
    `os.rmdir` neither follows nor removes a link. `dry`: remove nothing, and say which would go, given that
    the outputs in `gone` would be removed first (a directory holding only those, or such directories)."""
    dirs: set[str] = set()
    for out in outputs:
        parts = out.split("/")[:-1]
        if parts and parts[0] != ".agentmake" and not is_outside_root(out):
            dirs.update("/".join(parts[:n]) for n in range(1, len(parts) + 1))
    emptied: list[str] = []
    for rel in sorted(dirs, key=lambda d: (-d.count("/"), d)):  # (the deepest first)
        if dry:
            try:
                if not stat.S_ISDIR(os.lstat(root / rel).st_mode):
                    continue  # a link (or not a directory at all): left as it is
                names = os.listdir(root / rel)
                left = [n for n in names if f"{rel}/{n}" not in gone and not _stale_temp(root / rel / n)]
            except OSError:
                continue
            if not left:
                gone.add(rel)
                emptied.append(rel)
                _out(term_safe(f"would remove {rel}/ (left empty)"))
            continue
        with contextlib.suppress(OSError):  # not empty, a link, or gone: left as it is
            os.rmdir(root / rel)
            emptied.append(rel)
    return emptied


def _stale_temp(path: Path) -> bool:
    """Whether `path` is a file a killed build staged (`scheduler.commit.remove_stale_temps`, which clean
    runs before it removes the directories left empty)."""
    return staged_name(path.name) and path.is_file() and not path.is_symlink()


def _remove_output(
    store: Store, hasher: Hasher, root: Path, out: str, recorded: str | None, dry: bool = False,
    taken: bool | None = None,
) -> int:  # fmt: skip
    """Remove output `out` if it is there (1, else 0), saving a copy first unless it holds `recorded`, the
    content agentmake wrote. `dry`: only say so, of `out` as the take-over would leave it (`taken`, see
    `would_take_over`: a cut-short commit puts its recorded content there, saving a hand edit first)."""
    path = root / out
    if dry and taken is not None and not is_outside_root(out):
        _out(
            term_safe(f"would remove {out}")
            + (" (not as agentmake made it: a copy would be saved)" if taken else "")
        )
        return 1
    try:
        mode = os.lstat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):  # (not there: gone, or a file where its directory goes)
        return 0
    if is_outside_root(out) or out.split("/", 1)[0] == ".agentmake":  # (a record from a planted state.db)
        _out(f"not removing {out}: a recorded output outside the project")
        return 0
    check_inside(root, out)  # (never remove, or copy, a file elsewhere that a linked directory leads to)
    if stat.S_ISDIR(mode):  # (agentmake never makes one there: someone's, with whatever it holds)
        _out(term_safe(f"not removing {out}: a directory, not an output agentmake made"))
        return 0
    # a FIFO or a device has no content to keep; a link is saved as the link (see `Store.save_edited`)
    plain = stat.S_ISREG(mode) or stat.S_ISLNK(mode)
    edited = plain and (recorded is None or recorded != hasher.file_hash(out))
    if dry:
        _out(
            term_safe(f"would remove {out}")
            + (" (not as agentmake made it: a copy would be saved)" if edited else "")
        )
        return 1
    if edited:
        saved = store.save_edited(out)
        _out(term_safe(saved_copy_line(out, saved)))
    path.unlink()
    return 1
