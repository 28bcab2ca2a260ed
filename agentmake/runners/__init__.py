"""Runners: how one task becomes a process (or an in-process report), and what came of it.

Contract: `Executor.execute(task, decision, attempt, cancel) -> AttemptResult`. The executor builds the argv
from the runner preset (never a shell string from paths or contents), feeds the prompt on stdin, owns the
process group, enforces the timeout, parses the runner's output format, classifies failures (retry-later vs
fatal), runs the output `check`, and leaves the finished outputs *staged* (temporary files beside their
targets). The scheduler commits staged outputs (rename) and records them.

Modules: `presets` (PRESETS), `invocation` (argv/env/stdin), `process` (process groups, timeouts,
`kill_process_group`), `capture` (stdout/stderr pipes into log files), `parse` (output formats), `classify`
(retry vs fatal), `check` (output checks), `execute` (one attempt), `staging` (staged files), `backups`.
"""

from agentmake.runners.execute import AttemptResult, Executor
from agentmake.runners.invocation import safe_name
from agentmake.runners.presets import PRESETS
from agentmake.runners.process import kill_process_group
from agentmake.runners.staging import STAGED_MARKER

__all__ = ["PRESETS", "STAGED_MARKER", "AttemptResult", "Executor", "kill_process_group", "safe_name"]
