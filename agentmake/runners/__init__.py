"""Runners: how one task becomes a process (or an in-process report), and what came of it.

Contract: `Executor.execute(task, decision, attempt, cancel) -> AttemptResult`. The executor builds the argv
from the runner preset (never a shell string from paths or contents), feeds the prompt on stdin, owns the
process group, enforces the timeout, parses the runner's output format, classifies failures (retry-later vs
fatal), runs the output `check`, and leaves the finished outputs *staged* (temporary files beside their
targets). The scheduler commits staged outputs (rename) and records them.

Modules: `presets` (PRESETS), `invocation` (argv/env/stdin), `process` (a child in its own process group, its
timeout), `groups` (ending a group: `kill_process_group`), `capture` (stdout/stderr pipes into log files),
`parse` (output formats), `classify` (retry vs fatal), `check` (output checks), `local` (one attempt of a task
that calls no agent CLI), `execute` (one attempt of any), `shell` (a shell agent's attempt, also in parts for
`scheduler.inline`), `supervise` (many children watched from one thread), `result` (`AttemptResult`),
`staging` (staged files), `backups`, `readonly` (the flags that keep claude, gemini or aider from writing).
"""

from agentmake.lazy import lazy_names

__all__ = ["PRESETS", "STAGED_MARKER", "AttemptResult", "Executor", "kill_process_group", "safe_name"]

# imported on first use: loading an Agentfile needs the presets, not the executor
__getattr__ = lazy_names(
    __name__,
    {
        "AttemptResult": "agentmake.runners.result",
        "Executor": "agentmake.runners.execute",
        "safe_name": "agentmake.runners.invocation",
        "PRESETS": "agentmake.runners.presets",
        "kill_process_group": "agentmake.runners.groups",
        "STAGED_MARKER": "agentmake.runners.staging",
    },
)
