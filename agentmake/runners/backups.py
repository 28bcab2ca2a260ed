"""Backups of a multi-output agent's previous outputs, and putting them back after agentmake died.

A multi-output LLM agent writes its declared outputs itself, in place. Before it runs, `backup_outputs` makes
``.agentmake/tmp/<safe id>.<attempt>-<random>/``, copies each existing output into it (files ``0``, ``1``, …)
and then writes ``manifest.json``: the task id, the owning pid, the agent's process group once it exists, and
for each declared output its path and the name of its backup (null: the output did not exist, so whatever is
there after the run was written by the attempt). Then it removes the outputs from their places, so every
output there after the run was written by this attempt: an agent that answers without rewriting one has not
produced it (it would otherwise pass for fresh, recorded under a key it was not made for).
`restore_outputs` undoes the run and removes the directory.

If agentmake dies in between (kill -9, power loss), the directory survives. `recover` runs before any task
of a new build starts (the caller holds the project lock): it ends the recorded process group, puts each
backup back (atomic rename), deletes outputs that had none, and removes the directory. If the manifest names
the format of the agent's answer and the attempt's log proves the agent finished and succeeded
(`parse.delivered`), the files it wrote are complete and paid for: before they are undone they are copied to
``<log dir>/<safe id>.<attempt>.salvage/`` (``0``, ``1``, … and, last, ``outputs.json``), where
`salvage.SalvageAttempts` finds them if the task's key is still the one that attempt was made for. An
attempt keeps them there itself when it succeeded (before it stages them) or was cut short after its agent
answered; once it starts putting the outputs back (`restore_outputs`) its manifest no longer names the
format, since what is in place is then not all the agent's. A directory without a manifest is an attempt
that died before its agent started (outputs untouched): it is just removed. Only paths a manifest lists,
inside the project root, are ever touched; a manifest naming anything else is refused and left for a human.
`recover_if_idle` is the same for commands that do not hold the lock (status, explain): it runs only if the
lock is free, i.e. no build is running.
"""

from __future__ import annotations

import contextlib
import errno
import filecmp
import json
import os
import re
import shutil
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from agentmake.confine import OutsideProject, check_inside, state_dir_escape, within
from agentmake.runners.capture import private_dir, read_log, replace_private
from agentmake.runners.groups import group_alive, kill_process_group
from agentmake.runners.parse import delivered
from agentmake.runners.staging import staged_path
from agentmake.safetext import term_safe

MANIFEST = "manifest.json"
SALVAGED = "outputs.json"  # in a ``.salvage`` directory: the output paths its files 0, 1, … were written to
_DIR_NAME = re.compile(r"[A-Za-z0-9._-]+\.[0-9]+-[0-9a-f]{8}")  # <safe id>.<attempt>-<random>
_BACKUP_NAME = re.compile(r"[0-9]+")

# Backup directories of attempts running in this process: never "recovered" from under a live attempt
_active: set[Path] = set()
_active_lock = threading.Lock()


@dataclass
class Backup:
    """One attempt's backup directory: output path -> backup file name in `dir` (None: did not exist)."""

    dir: Path
    task_id: str
    entries: dict[str, str | None] = field(default_factory=dict)
    pgid: int | None = None
    answer_format: str | None = None  # the runner's output format, if an answer there can be salvaged
    linked: bool = False  # `set_aside`: the backup is the output's file itself (a hard link), not a copy

    def write_manifest(self) -> None:
        data = {
            "version": 1,
            "task": self.task_id,
            "pid": os.getpid(),
            "pgid": self.pgid,
            "outputs": [{"path": p, "backup": b} for p, b in self.entries.items()],
        }
        if self.answer_format is not None:
            data["format"] = self.answer_format
        part = self.dir / f"{MANIFEST}.part"
        part.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        os.replace(part, self.dir / MANIFEST)

    def set_group(self, pgid: int) -> None:
        """Record the agent's process group, so recovery can end it if agentmake dies first."""
        self.pgid = pgid
        with contextlib.suppress(OSError):  # never let bookkeeping stop the wait for a started child
            self.write_manifest()


def backup_outputs(
    root: Path, task_id: str, outputs: Sequence[str], tmp: Path, answer_format: str | None = None
) -> Backup:
    """Copy each existing output into a fresh directory named after `tmp` (the attempt's log stem's name),
    write its manifest, then remove the outputs (see the module docstring); `answer_format`: see `Backup`."""
    backup = Backup(tmp.with_name(f"{tmp.name}-{os.urandom(4).hex()}"), task_id, answer_format=answer_format)
    with _active_lock:
        _active.add(backup.dir)
    try:
        backup.dir.mkdir(parents=True)
        for i, out in enumerate(outputs):
            target = root / out
            if target.is_file():
                part = backup.dir / f"{i}.part"  # a copy cut short is never mistaken for a backup
                shutil.copy2(target, part)
                os.replace(part, backup.dir / str(i))
                backup.entries[out] = str(i)
            else:
                backup.entries[out] = None
        backup.write_manifest()  # last: a manifest always describes complete backups
    except BaseException:  # e.g. a full disk: nothing was touched yet, so just drop the directory
        shutil.rmtree(backup.dir, ignore_errors=True)
        with _active_lock:
            _active.discard(backup.dir)
        raise
    try:  # (from here on the manifest lets a recovery put every output back)
        for out, name in backup.entries.items():
            if name is not None:
                (root / out).unlink(missing_ok=True)
    except BaseException:
        restore_outputs(root, backup)
        raise
    return backup


def set_aside(root: Path, task_id: str, output: str, tmp: Path) -> Backup:
    """For a single-output agent whose runner lets it write files (agentmake writes its output from its
    answer): keep the output in a fresh backup directory named after `tmp`, the file itself (hard-linked:
    its stat stays what the build saw) where it can, write the manifest, and put a copy in its place for
    the run. `settle` puts it back once the agent is gone; a recovery does, should agentmake die first."""
    backup = Backup(tmp.with_name(f"{tmp.name}-{os.urandom(4).hex()}"), task_id, entries={output: None})
    with _active_lock:
        _active.add(backup.dir)
    target, copy = root / output, None
    try:
        backup.dir.mkdir(parents=True)
        if target.is_file() and not target.is_symlink():
            try:
                os.link(target, backup.dir / "0")
                backup.linked = True
            except OSError:  # (another file system, say): a copy, which `settle` puts back only if need be
                shutil.copy2(target, backup.dir / "0.part")
                os.replace(backup.dir / "0.part", backup.dir / "0")
            copy = staged_path(root, output)
            shutil.copy2(target, copy)
            backup.entries[output] = "0"
        backup.write_manifest()  # (from here on a recovery puts the output back)
        if copy is not None and backup.linked:
            os.replace(copy, target)  # (what the agent may write to is a copy: the file itself is kept)
    except BaseException:  # nothing was changed in place: just drop the directory
        if copy is not None:
            copy.unlink(missing_ok=True)
        shutil.rmtree(backup.dir, ignore_errors=True)
        with _active_lock:
            _active.discard(backup.dir)
        raise
    if copy is not None:
        copy.unlink(missing_ok=True)
    return backup


def settle(root: Path, backup: Backup, keep: Path) -> Path | None:
    """After the run of a `set_aside` output: if something other than what it held was written there
    meanwhile (by the agent, or by a person while it ran: nothing tells them apart), move that to `keep`
    (owner-only) and put the output back as the build saw it; returns `keep` then, else None. The backup
    directory is removed, unless putting it back failed (an OSError: a recovery does it later)."""
    ((output, name),) = backup.entries.items()
    target, saved = root / output, (backup.dir / name if name is not None else None)
    try:
        check_inside(root, output)  # (the agent may have linked the directory out meanwhile)
        if name is None:
            written = os.path.lexists(target)
        else:
            assert saved is not None
            written = not (target.is_file() and not target.is_symlink()) or not filecmp.cmp(
                saved, target, shallow=False
            )
        if written and (target.is_symlink() or target.is_file()):
            shutil.move(target, keep)  # (a link is moved as the link)
            with contextlib.suppress(OSError):
                if not keep.is_symlink():
                    keep.chmod(0o600)  # (kept beside the logs: owner-only, as they are)
        if saved is not None and (written or backup.linked):
            _replace(saved, target)  # (the file the build saw, back in place)
    except OSError:
        with _active_lock:
            _active.discard(backup.dir)  # (left for `recover`, at the next build)
        raise
    shutil.rmtree(backup.dir, ignore_errors=True)
    with _active_lock:
        _active.discard(backup.dir)
    return keep if written and os.path.lexists(keep) else None


def restore_outputs(root: Path, backup: Backup | None) -> None:
    """Put every output back as it was before the run (new files the agent wrote are removed). First the
    manifest forgets the answer's format: from then on the outputs in place are not all the agent's (a
    backup put back is the build's earlier output), so a recovery after a kill -9 meanwhile must not keep
    them as its answer (`keep_delivered_answer`: the next build took the old files for the new key). The
    attempt kept them itself before, if they were to be kept."""
    if backup is None:
        return
    try:
        if backup.answer_format is not None:
            backup.answer_format = None
            with contextlib.suppress(OSError):  # (a full disk: the outputs are put back all the same)
                backup.write_manifest()
        _put_back(root, backup.dir, backup.entries, clear=True)
        shutil.rmtree(backup.dir, ignore_errors=True)
    finally:
        with _active_lock:
            _active.discard(backup.dir)


def recover(state_dir: Path, root: Path, log_dir: Path | None = None) -> list[str]:
    """Undo the attempts a dead agentmake left in ``state_dir/tmp``; returns one line per directory handled.
    Call it holding the project lock, before any task starts. `log_dir`: the attempts' logs (default
    ``state_dir/logs``)."""
    tmp = Path(state_dir) / "tmp"
    logs = Path(log_dir) if log_dir is not None else Path(state_dir) / "logs"
    try:
        dirs = sorted(p for p in tmp.iterdir() if p.is_dir() and _DIR_NAME.fullmatch(p.name))
    except OSError:
        return []
    notes: list[str] = []
    for d in dirs:
        with _active_lock:
            if d in _active:
                continue
        note = _recover_one(d, Path(root), logs)
        if note:
            notes.append(note)
    return notes


def recover_if_idle(root: Path, *, quiet: bool = False) -> list[str]:
    """`recover` for commands without the project lock: only when no agentmake holds it (nothing runs).
    Each note is also written to stderr unless `quiet`."""
    from agentmake.store.lock import LockedError, ProjectLock

    root = Path(root).resolve()
    state = root / ".agentmake"
    # `.agentmake/tmp` is there, empty, after every build of a multi-output LLM agent: only its own way out
    # is looked at before it is listed; the whole state directory's (a listing of it, which the command's
    # `Store.open` makes anyway) only when there is something to undo, before anything is
    if not within(os.path.realpath(state / "tmp"), str(root)):
        return []  # (refused by the command's `Store.open`, with the reason)
    try:
        with os.scandir(state / "tmp") as entries:
            if not any(True for _ in entries):
                return []
    except OSError:
        return []
    if state_dir_escape(root) is not None:
        return []
    lock = ProjectLock(state / "lock", root)
    try:
        lock.acquire(0)
    except (LockedError, OSError):
        return []
    try:
        notes = recover(state, root)
    finally:
        lock.release()
    if not quiet:
        for note in notes:
            sys.stderr.write(f"agentmake: {term_safe(note)}\n")
    return notes


# -- internals -----------------------------------------------------------------------------------------------


def _recover_one(d: Path, root: Path, logs: Path) -> str:
    manifest = d / MANIFEST
    if not manifest.exists():  # died while backing up: the agent never started, the outputs are intact
        shutil.rmtree(d, ignore_errors=True)
        return ""
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        task, entries, pgid = _parse_manifest(data, root)
    except (OSError, ValueError, TypeError, KeyError) as e:
        return f"left {d} alone: {e}"
    if isinstance(pgid, int) and pgid > 0 and pgid != os.getpgrp() and group_alive(pgid):
        kill_process_group(pgid)  # the interrupted agent may still be writing
    kept = keep_delivered_answer(root, logs / d.name.rpartition("-")[0], data.get("format"), list(entries))
    try:
        done = _put_back(root, d, entries)
    except OutsideProject as e:  # (a directory linked out of the project since the manifest was checked)
        return f"left {d} alone: {e}"
    except OSError as e:  # (a directory where a backed-up output was): said, not in every command's way
        return f"could not undo all of the interrupted attempt of {task} ({e}): what is left of it is in {d}"
    shutil.rmtree(d, ignore_errors=True)
    what = ", ".join(done) or "nothing to undo"
    if kept is not None:
        what += f"; its finished answer kept in {kept}"
    return f"undid the interrupted attempt of {task} ({what})"


def keep_answer_files(root: Path, stem: Path, outputs: Sequence[str]) -> Path | None:
    """Copy `outputs` (written by the attempt logged at `stem`) to ``<stem>.salvage/``, ``outputs.json``
    last; returns that directory, None if one is missing or a copy failed (then nothing is kept)."""
    targets = [root / o for o in outputs]
    if not all(t.is_file() and not t.is_symlink() for t in targets):
        return None
    try:  # (never copy in a file elsewhere that a directory the agent linked out of the project leads to)
        for o in outputs:
            check_inside(root, o)
    except OutsideProject:
        return None
    keep = stem.with_name(stem.name + ".salvage")
    try:
        shutil.rmtree(keep, ignore_errors=True)
        private_dir(keep)  # (owner-only, as the logs beside it: the files hold the agent's answers)
        for i, target in enumerate(targets):
            shutil.copy2(target, keep / str(i))  # (their modes kept: a salvaged output gets them back)
        replace_private(keep / SALVAGED, json.dumps(list(outputs)) + "\n")  # (last, and whole)
    except OSError:
        shutil.rmtree(keep, ignore_errors=True)
        return None
    return keep


def kept_files(keep: Path, outputs: Sequence[str]) -> dict[str, Path] | None:
    """Output -> the file kept for it in `keep` (a ``<stem>.salvage`` directory, `keep_answer_files`), None
    unless every one of `outputs` is kept there (listed last, in ``outputs.json``, once all were copied)."""
    try:
        listed = json.loads((keep / SALVAGED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if listed != list(outputs):
        return None
    files = {out: keep / str(i) for i, out in enumerate(outputs)}
    return files if all(f.is_file() for f in files.values()) else None


def keep_delivered_answer(root: Path, stem: Path, fmt: object, outputs: Sequence[str]) -> Path | None:
    """`keep_answer_files` for an attempt judged failed or cut short (interrupted, timed out, or agentmake
    died) whose log (``<stem>.out``, format `fmt`) proves the agent finished and succeeded, unless its
    files were kept already (then the outputs may hold restored backups)."""
    if not isinstance(fmt, str) or not stem.with_name(stem.name + ".key").is_file():
        return None
    if kept_files(stem.with_name(stem.name + ".salvage"), outputs) is not None:
        return None
    if delivered(fmt, read_log(stem, ".out"), read_log(stem, ".err"), answer_needed=False) is None:
        return None
    return keep_answer_files(root, stem, outputs)


def _parse_manifest(data: object, root: Path) -> tuple[str, dict[str, str | None], int | None]:
    """Validate a manifest: every path relative, inside `root` (symlinks resolved), backups plain names."""
    if not isinstance(data, dict) or not isinstance(data.get("outputs"), list):
        raise ValueError("not an agentmake backup manifest")
    real_root = root.resolve()
    entries: dict[str, str | None] = {}
    for item in data["outputs"]:
        path, name = item["path"], item.get("backup")
        if not isinstance(path, str) or not path:
            raise ValueError(f"bad output path {path!r}")
        pure = PurePosixPath(path)
        if pure.is_absolute() or ".." in pure.parts or not (root / path).resolve().is_relative_to(real_root):
            raise ValueError(f"output {path!r} is outside the project root")
        if name is not None and not (isinstance(name, str) and _BACKUP_NAME.fullmatch(name)):
            raise ValueError(f"bad backup name {name!r}")
        entries[path] = name
    pgid = data.get("pgid")
    return str(data.get("task", "?")), entries, pgid if isinstance(pgid, int) else None


def _put_back(root: Path, d: Path, entries: dict[str, str | None], *, clear: bool = False) -> list[str]:
    """Restore backed-up outputs, delete the ones that had no backup; idempotent (a backup already put back
    is simply gone). Returns what was done, e.g. ``out/a.txt restored``. An output whose directory the agent
    made a symbolic link out of the project is left alone (nothing is removed or written where it leads),
    and then `confine.OutsideProject` is raised once the others are done (its backup stays in `d`).
    A backup that cannot be put back (a directory where the output was) stays in `d` too, and its OSError
    is raised once the others are done; with `clear` (the attempt that just ran, whose agent made whatever
    is where a backed-up file was: `backup_outputs` removed the file) such a directory is removed first."""
    done: list[str] = []
    refused: OutsideProject | None = None
    failed: OSError | None = None
    for out, name in entries.items():
        target = root / out
        try:
            check_inside(root, out)
        except OutsideProject as exc:
            refused = refused or exc
            continue
        if name is not None:
            backup = d / name
            if backup.is_file():
                try:
                    if clear and target.is_dir() and not target.is_symlink():
                        shutil.rmtree(target)
                    _replace(backup, target)
                except OSError as exc:
                    failed = failed or exc
                    continue
                done.append(f"{out} restored")
        elif target.is_file() or target.is_symlink():
            with contextlib.suppress(FileNotFoundError):
                target.unlink()
                done.append(f"{out} removed")
    if refused is not None:
        raise refused
    if failed is not None:
        raise failed
    return done


def _replace(src: Path, target: Path) -> None:
    """Atomically rename `src` onto `target`; across file systems copy beside the target first."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(src, target)
    except OSError as e:
        if e.errno != errno.EXDEV:
            raise
        staged = staged_path(target.parent, target.name)
        shutil.copy2(src, staged)
        os.replace(staged, target)
        src.unlink()
