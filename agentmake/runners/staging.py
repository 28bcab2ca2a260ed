"""Where outputs live between an attempt and its commit: staged temporary files beside their targets (the
copies of a multi-output agent's previous outputs are in `backups`), made files of their own (`own_staged`),
copies of the outputs in place for a changed check to run on (`stage_copies`); also the verbose log tail.

Staged names are ``<dir>/.<stem>.agentmake-tmp-<random><suffix>`` (they match ``.*.agentmake-tmp-*``; the
suffix is kept so tools that infer a format from the extension still work).
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from agentmake.confine import STATE_DIR, check_inside, plainly_relative, within

if TYPE_CHECKING:
    from agentmake.runners.verbose import Shown

STAGED_MARKER = ".agentmake-tmp-"  # every staged file name contains this


def staged_path(root: Path, output: str, made: dict[str, Path] | None = None) -> Path:
    """A fresh (not yet existing) temporary path beside `output`; creates the output's directory (raises
    `confine.OutsideProject` if it leads out of the project through a symbolic link). `made`:
    directories this caller created already, by path string (they are not created again: one mkdir per
    directory, not per output; the caller keeps the dict for one build). An output path in normal form
    (`plainly_relative`) is split with string methods, not pathlib (tens of calls a task)."""
    if made is None or not plainly_relative(output):
        target = root / output
        return _staged_in(root, output, target.parent, target.name, made)
    head, _, name = output.rpartition("/")
    base = str(root)
    key = (f"{base}/{head}" if base != "/" else f"/{head}") if head else base
    parent = made.get(key)
    if parent is None:
        parent = root / head if head else root
    return _staged_in(root, output, parent, name, made, key)


def _staged_in(
    root: Path, output: str, parent: Path, name: str, made: dict[str, Path] | None, key: str | None = None
) -> Path:
    """The staged path for `name` in `parent` (made first unless `made` has it under `key`, its string)."""
    key = key or str(parent)
    if made is None or key not in made:
        check_inside(root, output)  # (before the mkdir: it would make directories wherever a link leads)
        parent.mkdir(parents=True, exist_ok=True)
        if made is not None:
            made[key] = parent
    stem, suffix = _split_suffix(name)
    return parent / f".{stem}{STAGED_MARKER}{os.urandom(4).hex()}{suffix}"


def _split_suffix(name: str) -> tuple[str, str]:
    """(stem, suffix) of a file name, as `PurePath.stem` and `PurePath.suffix` say them."""
    i = name.rfind(".")
    return (name[:i], name[i:]) if 0 < i < len(name) - 1 else (name, "")


def staged_relative(output: str, staged: Path) -> str | None:
    """The project-relative path of `staged`, a staged file `staged_path` made beside `output`, where the
    output's path says it without `os.path.relpath` (microseconds a task): an output path in normal form
    (relative, no `.`, `..` or empty component; checked lexically, cheaply: a path that may not be normal
    gives None, for the caller to ask `relpath`). The staged file's name replaces the output's."""
    if not plainly_relative(output):
        return None
    head = output.rpartition("/")[0]
    return f"{head}/{staged.name}" if head else staged.name


def stage_copies(root: Path, outputs: Sequence[str]) -> dict[str, Path]:
    """A staged copy of each output in place (output -> copy), for a check that may rewrite what it checks
    (`Executor._recheck`): content, mode and times, so a check comparing mtimes (`test {output} -nt mark`)
    sees the output's. Raises OSError (no copy left behind) if one cannot be made. A copy a kill leaves is
    a staged file like any other, removed by the next build (`scheduler.commit.remove_stale_temps`)."""
    copies: dict[str, Path] = {}
    try:
        for out in outputs:
            copies[out] = staged_path(root, out)
            shutil.copy2(root / out, copies[out])  # (follows a link: the check sees what the output holds)
    except BaseException:
        for copy in copies.values():
            copy.unlink(missing_ok=True)
        raise
    return copies


def own_staged(root: Path, staged: Mapping[str, Path]) -> str | None:
    """Make each staged output an agent made as a symbolic link a regular file: a copy of the file it leads
    to, when that is a regular file inside the project and outside agentmake's state; returns why the
    attempt fails when one is not (nothing is changed then), else None.

    (A link committed as it is would be recorded as its target's content, so a later change of that file
    would pass for a hand edit of the output, and a cache restore would write a regular file anyway; one
    out of the project would have agentmake copy a file from elsewhere, one a sandboxed agent may not read,
    into the project and its cache.)"""
    links = {out: path for out, path in staged.items() if os.path.islink(path)}
    if not links:
        return None
    real_root = os.path.realpath(root)
    state = os.path.realpath(os.path.join(root, STATE_DIR))
    for out, path in links.items():
        real = os.path.realpath(path)
        if not within(real, real_root):
            where = "outside the project"
        elif within(real, state):
            where = "in agentmake's state"
        elif not os.path.isfile(real):
            where = "not a regular file"
        else:
            continue
        return (
            f"{out} is a symbolic link to {real}, {where}: an output must be a file of its own "
            "(write a copy there, e.g. cp rather than ln -s)"
        )
    for out, path in links.items():
        copy = staged_path(root, out)
        try:
            shutil.copyfile(path, copy)  # (follows the link)
            shutil.copymode(path, copy)  # (the executable bit is part of a result)
            os.replace(copy, path)  # (the link itself goes)
        except BaseException:
            copy.unlink(missing_ok=True)
            raise
    return None


def tail_to_stderr(
    task_id: str,
    stem: Path,
    stop: threading.Event,
    redact: Callable[[str], str] = str,
    stdout: bool = True,
    shown: Shown | None = None,
) -> None:
    """Stream new lines of the attempt's stdout and stderr to stderr, prefixed with the task id (and `!` for
    its stderr, where CLIs print their progress and errors) (verbose mode), each line `redact`ed and made
    `term_safe` (an agent echoing a document's escape sequences must not reach the terminal's controls).
    `stdout` False: its stderr alone (a CLI answering in JSON: `runners.verbose` tells its answer).
    `shown(line, is_stderr)`: the lines to show for one it printed (None: the line as printed; a JSON
    event told as its text, a known noise line left out: `runners.verbose.Shown`)."""
    from agentmake.safetext import term_safe

    streams = [
        (stem.with_name(stem.name + ".out"), f"[{term_safe(task_id)}] "),
        (stem.with_name(stem.name + ".err"), f"[{term_safe(task_id)}!] "),
    ][0 if stdout else 1 :]
    pos, pending = [0, 0], [b"", b""]
    while True:
        stopping = stop.wait(0.2)
        for i, (path, prefix) in enumerate(streams):
            try:
                with path.open("rb") as fh:
                    fh.seek(pos[i])
                    chunk = fh.read()
            except OSError:
                chunk = b""
            pos[i] += len(chunk)
            *lines, pending[i] = (pending[i] + chunk).split(b"\n")
            if stopping and pending[i]:
                lines.append(pending[i])
            for line in lines:
                text = line.decode("utf-8", "replace")
                said = shown(text, prefix.endswith("!] ")) if shown is not None else None
                for each in [text] if said is None else said:
                    sys.stderr.write(prefix + term_safe(redact(each)) + "\n")
        if stopping:
            if shown is not None:  # (what it held: a line in pieces, an object not ended)
                for prefix, held in zip((streams[0][1], streams[-1][1]), shown.end(), strict=True):
                    sys.stderr.write("".join(prefix + term_safe(redact(each)) + "\n" for each in held))
            return
