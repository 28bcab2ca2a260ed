"""Where outputs live between an attempt and its commit: staged temporary files beside their targets, and
copies of a multi-output agent's previous outputs so a failed run can be undone.

Staged names are ``<dir>/.<stem>.agentmake-tmp-<random><suffix>`` (they match ``.*.agentmake-tmp-*``; the
suffix is kept so tools that infer a format from the extension still work).
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

STAGED_MARKER = ".agentmake-tmp-"  # every staged file name contains this


def staged_path(root: Path, output: str) -> Path:
    """A fresh (not yet existing) temporary path beside `output`; creates the output's directory."""
    target = root / output
    target.parent.mkdir(parents=True, exist_ok=True)
    return target.with_name(f".{target.stem}{STAGED_MARKER}{secrets.token_hex(4)}{target.suffix}")


def backup_outputs(root: Path, outputs: Sequence[str], tmp: Path) -> dict[str, Path | None]:
    """Copy each existing output into the fresh directory `tmp` (None: the output did not exist)."""
    tmp = tmp.with_name(f"{tmp.name}-{secrets.token_hex(4)}")
    backups: dict[str, Path | None] = {}
    for i, out in enumerate(outputs):
        target = root / out
        if target.is_file():
            tmp.mkdir(parents=True, exist_ok=True)
            backups[out] = tmp / str(i)
            shutil.copy2(target, tmp / str(i))
        else:
            backups[out] = None
    return backups


def restore_outputs(root: Path, backups: dict[str, Path | None]) -> None:
    """Put every output back as it was before the run (new files the agent wrote are removed)."""
    for out, backup in backups.items():
        target = root / out
        if backup is not None:
            shutil.move(backup, target)
        else:
            with contextlib.suppress(FileNotFoundError):
                target.unlink()
    for d in {b.parent for b in backups.values() if b is not None}:
        with contextlib.suppress(OSError):
            d.rmdir()


def tail_to_stderr(task_id: str, stem: Path, stop: threading.Event) -> None:
    """Stream new lines of the attempt's stdout to stderr, prefixed with the task id (verbose mode)."""
    path = stem.with_name(stem.name + ".out")
    pos, pending = 0, b""
    while True:
        stopping = stop.wait(0.2)
        try:
            with path.open("rb") as fh:
                fh.seek(pos)
                chunk = fh.read()
        except OSError:
            chunk = b""
        pos += len(chunk)
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            sys.stderr.write(f"[{task_id}] {line.decode('utf-8', 'replace')}\n")
        if stopping:
            if pending:
                sys.stderr.write(f"[{task_id}] {pending.decode('utf-8', 'replace')}\n")
            return
