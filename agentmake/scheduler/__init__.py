"""The scheduler: a ready queue that starts each task the moment its inputs are ready and a slot is free.

Contract: `run_build(...) -> BuildResult`, `TaskEvent` (every state change, for displays and status.md),
`BuildOptions`. It knows nothing of hashes: the rebuilder decides, the executor runs, the store records.

The names are imported on first use, so `agentmake.scheduler.events` (what a build reports, used by the
stamp's no-op path and the displays) loads without the scheduler, the runners and SQLite.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentmake.scheduler.control import BuildControl
    from agentmake.scheduler.events import STATES, BuildResult, TaskEvent, TaskOutcome
    from agentmake.scheduler.processes import ProcessRecorder
    from agentmake.scheduler.run import BuildOptions, run_build

__all__ = [
    "STATES",
    "BuildControl",
    "BuildOptions",
    "BuildResult",
    "ProcessRecorder",
    "TaskEvent",
    "TaskOutcome",
    "run_build",
]

_HOMES = {
    "BuildControl": "control",
    "STATES": "events",
    "BuildResult": "events",
    "TaskEvent": "events",
    "TaskOutcome": "events",
    "ProcessRecorder": "processes",
    "BuildOptions": "run",
    "run_build": "run",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'agentmake.scheduler' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"agentmake.scheduler.{home}"), name)
