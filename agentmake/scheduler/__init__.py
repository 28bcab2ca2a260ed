"""The scheduler: a ready queue that starts each task the moment its inputs are ready and a slot is free.

Contract: `run_build(...) -> BuildResult`, `TaskEvent` (every state change, for displays and status.md),
`BuildOptions`. It knows nothing of hashes: the rebuilder decides, the executor runs, the store records.

The names are imported on first use, so `agentmake.scheduler.events` (what a build reports, used by the
stamp's no-op path and the displays) loads without the scheduler, the runners and SQLite.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentmake.lazy import lazy_names

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

__getattr__ = lazy_names(
    __name__,
    {
        "BuildControl": "agentmake.scheduler.control",
        "STATES": "agentmake.scheduler.events",
        "BuildResult": "agentmake.scheduler.events",
        "TaskEvent": "agentmake.scheduler.events",
        "TaskOutcome": "agentmake.scheduler.events",
        "ProcessRecorder": "agentmake.scheduler.processes",
        "BuildOptions": "agentmake.scheduler.run",
        "run_build": "agentmake.scheduler.run",
    },
)
