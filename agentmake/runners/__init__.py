"""Runners: how one task becomes a process (or an in-process report), and what came of it.

Contract: `Executor.execute(task, decision, attempt, cancel) -> AttemptResult`. The executor builds the argv from
the runner preset (never a shell string from paths or contents), feeds the prompt on stdin, owns the process group,
enforces the timeout, parses the runner's output format, classifies failures (retry-later vs fatal), runs the
output `check`, and leaves the finished outputs *staged* (temporary files beside their targets). The scheduler
commits staged outputs (rename) and records them.
"""

from agentmake.runners.execute import AttemptResult, Executor

__all__ = ["AttemptResult", "Executor"]
