"""The scheduler: a ready queue that starts each task the moment its inputs are ready and a slot is free.

Contract: `run_build(...) -> BuildResult`, `TaskEvent` (every state change, for displays and status.md),
`BuildOptions`. It knows nothing of hashes: the rebuilder decides, the executor runs, the store records.
"""

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
