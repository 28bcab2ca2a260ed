"""A job's copy of a CLI's login: lent for one attempt, then removed; and the job directory itself, removed
when the attempt ends (`remove_job`).

claude and codex keep their login in a file of their config directory (``~/.claude/.credentials.json``,
``~/.codex/auth.json``); each task runs with a private config directory (`invocation`), so the file is
copied there (`lend`), owner-only from the moment it exists. Once the attempt's process is gone, whatever its
end (success, failure, timeout, Ctrl-C), `withdraw` removes the copy: no credential outlives the attempt that
needed it. An agentmake killed during an attempt leaves its copy: the next build removes it once it has ended
the orphaned processes (`Executor.tidy_left`). Copies older versions kept are removed by the first build of
this one (`sweep`).

A copy is never written back to the user's file, even when the CLI refreshed the login in it (new access
and refresh tokens): the copy sits in the project, where the agent itself may write (claude's acceptEdits,
codex's workspace-write sandbox), so what the copy holds at the end is not known to come from the CLI, and a
prompt-injected agent could otherwise put a login of its choosing, or garbage, into the user's own file. The
cost: a login whose refresh tokens are single-use, refreshed during a build, leaves the user's CLI with a
spent one (it asks to log in again). A long build had better use a login that needs no refresh (claude:
``CLAUDE_CODE_OAUTH_TOKEN`` from ``claude setup-token``, or ``ANTHROPIC_API_KEY``; codex: ``CODEX_API_KEY``).

The rest of what a CLI keeps in its config directory goes too, at the same moment (`remove_job`): the real
claude keeps a transcript of every session there (``projects/<cwd>/<session>.jsonl``), codex a rollout
(``sessions/YYYY/MM/DD/rollout-*.jsonl``), llm a row of its ``-d`` database: the prompt, the answer and
whatever a tool read, none of it redacted, one more at every attempt of every build. agentmake never resumes
a session, and each attempt starts from a fresh directory (its settings copied again).

Removal never follows a symbolic link: the directories on the way are opened with ``O_NOFOLLOW``, so a job
directory an agent replaced with a link to ``~/.claude`` during its attempt costs the user nothing.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

# the file of each CLI's login in its config directory (settings and the like are copied, not lent)
LOGINS = {"claude": ".credentials.json", "codex": "auth.json"}
SWEPT = ".logins-removed"  # in the home directory: copies older versions left are gone (see `sweep`)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIR = os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW | os.O_CLOEXEC


def lend(src_dir: Path, dst_dir: Path, name: str) -> Path | None:
    """Copy the file `name` of a CLI's config directory `src_dir` (its login, or its settings) into `dst_dir`
    (a job's private directory, checked by the caller), readable by the owner only from the moment the copy
    exists; the copy's path, or None when there is no such file."""
    src = src_dir / name
    if not src.is_file():  # (none, or no regular file: a FIFO would hang the read)
        return None
    try:
        with src.open("rb") as fh:
            data = fh.read()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    dst = dst_dir / name
    fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _NOFOLLOW | os.O_CLOEXEC, 0o600)
    with open(fd, "wb") as out:
        os.fchmod(fd, 0o600)  # (a copy left by an older version may have another mode)
        out.write(data)
    return dst


def withdraw(copy: Path) -> None:
    """Remove `copy` (``<home>/<task>/<cli>/<file>``, made by `lend`), following no link on the way below
    ``.agentmake``."""
    home, job, cli = copy.parent.parent.parent, copy.parent.parent.name, copy.parent.name
    fds: list[int] = []
    try:
        fds.append(os.open(home, _DIR))
        for part in (job, cli):
            fds.append(os.open(part, _DIR, dir_fd=fds[-1]))
        with contextlib.suppress(FileNotFoundError):
            os.unlink(copy.name, dir_fd=fds[-1])
    except OSError:
        pass  # (a directory that is gone or a link: no copy of ours is there)
    finally:
        for fd in fds:
            os.close(fd)


def withdraw_all(job_dir: Path) -> None:
    """`withdraw` the login copies of every CLI's directory in one job's (``.agentmake/home/<task>``)."""
    for cli, name in LOGINS.items():
        withdraw(job_dir / cli / name)


def sweep(home: Path) -> None:
    """Remove the login copies older versions of agentmake kept in every job directory under `home`, once: a
    marker file says it was done. Call it under the project lock."""
    if not home.is_dir() or os.path.lexists(home / SWEPT):
        return
    with contextlib.suppress(OSError):
        for entry in os.scandir(home):
            if entry.is_dir(follow_symlinks=False):
                withdraw_all(Path(entry.path))
        os.close(os.open(home / SWEPT, os.O_WRONLY | os.O_CREAT | _NOFOLLOW | os.O_CLOEXEC, 0o600))


def remove_job(job_dir: Path) -> None:
    """Remove a job's directory (``.agentmake/home/<task>``) and everything in it, once its attempt's process
    is gone: its login copies first (`withdraw_all`), then what the CLI kept of its sessions. Follows no
    symbolic link (one in it is removed as the link); what cannot be removed is left (it is tried again at
    the task's next attempt)."""
    withdraw_all(job_dir)
    try:
        home = os.open(job_dir.parent, _DIR)
    except OSError:
        return
    try:
        _remove_at(home, job_dir.name)
    finally:
        os.close(home)


def _remove_at(parent: int, name: str) -> None:
    """Remove the entry `name` of the directory open as `parent`, a directory with all it holds."""
    try:
        fd = os.open(name, _DIR, dir_fd=parent)
    except FileNotFoundError:
        return
    except OSError:  # (a link, or no directory: removed itself, never followed)
        with contextlib.suppress(OSError):
            os.unlink(name, dir_fd=parent)
        return
    try:
        with os.scandir(fd) as entries:
            names = [(e.name, e.is_dir(follow_symlinks=False)) for e in entries]
        for entry, is_dir in names:
            if is_dir:
                _remove_at(fd, entry)
            else:
                with contextlib.suppress(OSError):
                    os.unlink(entry, dir_fd=fd)
    except OSError:
        pass
    finally:
        os.close(fd)
    with contextlib.suppress(OSError):
        os.rmdir(name, dir_fd=parent)
