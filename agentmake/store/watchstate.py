"""What a live `agentmake watch` tells a `--wait` build beside it (`.agentmake/watch.json`, replaced
atomically as each of its builds starts and ends): its pid, the targets and configuration it builds,
whether it is building, the tasks it holds after a failure (task id -> the key it failed under, and why),
which it does not run again until what they read changes, and those its last build left not run (why: it
stopped after a failure), which it runs at the next change. A build that waits for the watch to build what
is stale ends once it knows the watch will not (`workflow.heldbuild`)."""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

NAME = "watch.json"


@dataclass
class WatchState:
    """One watch's note (`publish`, `read`)."""

    pid: int
    targets: list[str]
    config: str
    held: dict[str, tuple[str, str]] = field(default_factory=dict)  # task id -> (key, why it failed)
    left: dict[str, str] = field(default_factory=dict)  # task id -> why the last build did not run it
    building: bool = False
    agentfile: str = ""  # the name of the Agentfile it builds ("": not said)


def publish(root: Path, state: WatchState) -> None:
    """Write `state` for the project at `root` (a failure, a full disk, is not the watch's: nothing said)."""
    from agentmake.userdirs import replace

    held = {t: list(why) for t, why in state.held.items()}
    fields = {"pid": state.pid, "targets": state.targets, "config": state.config, "held": held}
    more = {"left": state.left, "building": state.building, "agentfile": state.agentfile}
    text = json.dumps({**fields, **more})
    replace(str(root / ".agentmake" / NAME), [text.encode()])


def withdraw(root: Path) -> None:
    """Remove this process's note, as its watch ends (one another watch wrote since is left)."""
    path = root / ".agentmake" / NAME
    note = read(root, os.getpid())
    if note is not None:
        with contextlib.suppress(OSError):
            path.unlink()


def read(root: Path, pid: int) -> WatchState | None:
    """The note of the watch of `pid` (the lock's holder), or None: none, another's (a watch killed by
    SIGKILL leaves its own), or not readable."""
    try:
        raw = json.loads((root / ".agentmake" / NAME).read_bytes())
        if not isinstance(raw, dict) or raw.get("pid") != pid:
            return None
        targets, config, held, left = raw["targets"], raw["config"], raw["held"], raw["left"]
        return WatchState(
            pid,
            [str(t) for t in targets],
            str(config),
            {str(t): (str(key), str(why)) for t, (key, why) in held.items()},
            {str(t): str(why) for t, why in left.items()},
            raw["building"] is True,
            str(raw.get("agentfile") or ""),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
