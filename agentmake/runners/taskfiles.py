"""The files a task leaves in the state directory, named by its safe id (`invocation.safe_name`): each
attempt's logs and marks (``logs/<id>.<attempt>.out``, ``.err``, ``.check.out``, ``.check.err``,
``.recheck.out``, ``.recheck.err``, ``.key`` (and ``.key.part``, left by a kill as it was rewritten),
``.done``, the ``.salvage/`` directory, ``.prompt``: what a retry after a failed check sent, ``.wrote``: what
its agent wrote to its output itself), its rendered prompt (``tasks/<id>.prompt``) and its job directory
(``home/<id>``, the config directory its CLI was given, which the CLI fills with sessions and history:
removed when each attempt ends, so left only by a build that was killed); and their removal, for tasks
forgotten (`agentmake clean --leftovers`). A build never removes the others: each build's attempts replace
the files of their own names, so they do not grow with builds, only with tasks that left the graph.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable
from pathlib import Path

from agentmake.runners.invocation import safe_name

# <safe id>.<attempt>.<what>, the suffix matched whole: task `a` never takes task `a.1`'s `a.1.1.out`
_ATTEMPT_FILE = re.compile(
    r"(.+)\.[0-9]+\.(?:out|err|check\.out|check\.err|recheck\.out|recheck\.err|key|key\.part|done|salvage|prompt|wrote)"
)


# what one attempt's processes printed: the agent's stderr and stdout, then its check command's (`check`)
ATTEMPT_LOGS = (".err", ".out", ".check.err", ".check.out", ".recheck.err", ".recheck.out")


def attempt_logs(log_dir: Path, task_id: str, attempt: int) -> list[Path]:
    """The log files attempt `attempt` of `task_id` left in `log_dir` (``logs/<safe id>.<attempt>.err``,
    ``.out``, and its check command's), stderr first; those a stream that printed nothing never made are
    left out. An attempt's logs replace an older one's of its number before it starts, so these are its
    own."""
    if attempt < 1:
        return []
    stem = f"{safe_name(task_id)}.{attempt}"
    return [path for suffix in ATTEMPT_LOGS if (path := log_dir / (stem + suffix)).is_file()]


def remove_task_files(state_dir: Path, task_ids: Iterable[str]) -> int:
    """Remove the logs, marks, kept files, prompt and job directory of each of `task_ids` under `state_dir`
    (``.agentmake``); returns how many entries went. A file that cannot be removed is left (it is only a log);
    a job directory that is a symbolic link is removed as the link, never followed."""
    safe = {safe_name(task_id) for task_id in task_ids}
    if not safe:
        return 0
    removed = 0
    logs = state_dir / "logs"
    try:
        names = os.listdir(logs)
    except OSError:  # (no logs yet)
        names = []
    for name in names:
        m = _ATTEMPT_FILE.fullmatch(name)
        if m is not None and m.group(1) in safe:
            removed += _remove(logs / name)
    for stem in safe:
        removed += _remove(state_dir / "tasks" / f"{stem}.prompt")
        removed += _remove(state_dir / "home" / stem)
    return removed


def _remove(path: Path) -> int:
    try:
        if path.is_dir() and not path.is_symlink():  # (a `.salvage` directory: what the agent wrote)
            shutil.rmtree(path)
        else:
            path.unlink()
    except OSError:
        return 0
    return 1
