"""Shell agents' attempts: the command rendered with staged output paths, started like a make recipe, judged.

`Executor.execute` runs one on the calling thread (`_run_shell`). The scheduler may instead run it in parts
(`begin_shell` -> `spawn_shell` -> watch the child itself -> `end_shell`, see `scheduler.inline`), so one
thread can watch many: both ways prepare and judge an attempt the same way. `ShellAttempts` is a base of
`Executor`, on `base.ExecutorBase` (logs, verdicts, starting a process).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

from agentmake.errors import AgentmakeError
from agentmake.graph import Task
from agentmake.model import AgentSpec
from agentmake.runners.base import ExecutorBase
from agentmake.runners.capture import private_dir, write_private
from agentmake.runners.check import command_values
from agentmake.runners.classify import Verdict
from agentmake.runners.invocation import Invocation, InvocationError, shell_invocation
from agentmake.runners.parsed import Parsed
from agentmake.runners.process import Child, ProcResult, not_started, start_child
from agentmake.runners.result import AttemptResult
from agentmake.runners.staging import staged_path, staged_relative
from agentmake.templates import command_names, render_command

ARG_STRLEN = 120 * 1024  # bytes: Linux refuses one argv string over 128 KiB (E2BIG); longer ones go in a file
# the cancel event of an attempt judged once its process is over (`end_shell`): nothing sets it, and an
# attempt run in parts has no check command that would wait on one (`runs_inline`); not an Event per task
_NOT_CANCELLED = threading.Event()


@dataclass
class ShellAttempt:
    """A shell attempt whose process is about to start or running (`Executor.begin_shell`)."""

    task: Task
    spec: AgentSpec
    inv: Invocation
    staged: dict[str, Path]  # output path -> the staged file the command writes
    stem: Path  # log stem
    timeout: float | None
    started: float  # monotonic


class ShellAttempts(ExecutorBase):
    """The shell half of `Executor` (see the module docstring)."""

    def runs_inline(self, task: Task) -> bool:
        """Whether an attempt of `task` may run as `begin_shell` -> `spawn_shell` -> (the caller watches the
        child) -> `end_shell` instead of `execute`: a shell agent without a check command, outside verbose
        mode (whose log tail is a thread per attempt)."""
        spec = task.spec
        return isinstance(spec, AgentSpec) and spec.is_shell and spec.check is None and not self.verbose

    def begin_shell(self, task: Task, attempt: int) -> ShellAttempt | AttemptResult:
        """Everything a shell attempt does before its process starts; an ended AttemptResult if it cannot
        start (e.g. a bad placeholder in its command)."""
        start = time.monotonic()
        stem = self._stem(task, attempt)
        assert isinstance(task.spec, AgentSpec)
        try:
            return self._shell_attempt(task, task.spec, stem, start)
        except (InvocationError, AgentmakeError) as e:
            return self._ended(self._unrunnable(e), start, stem)

    def spawn_shell(self, shell: ShellAttempt) -> Child | ProcResult:
        """Start the attempt's process (the `sh -c` form if a directly executed command cannot start): the
        running child, or the result of a process that could not be started."""
        while True:
            logs = self._logs(shell.stem)  # (older logs of their names removed: `clear`, which notes it)
            if self._fresh_logs:  # (a log directory made in this build: no older log of their names)
                for log in logs:
                    log.absent = True
            try:
                return start_child(
                    shell.inv.argv,
                    stdin=False,
                    env=shell.inv.env,
                    cwd=shell.inv.cwd,
                    logs=logs,
                    parent_death=False,
                    executable=shell.inv.executable,
                    token=self._intend(shell.task.id),
                )
            except OSError as e:
                for log in logs:
                    log.close()
                if shell.inv.fallback is None:
                    return not_started(e, shell.started)
                shell.inv = self._fallback(shell.inv)

    def end_shell(self, shell: ShellAttempt, proc: ProcResult) -> AttemptResult:
        """Judge a shell attempt whose process is over, as `execute` would have."""
        result = self._shell_verdict(shell, proc, _NOT_CANCELLED)
        return self._ended(result, shell.started, shell.stem)

    def _run_shell(self, task: Task, spec: AgentSpec, stem: Path, cancel: threading.Event) -> AttemptResult:
        shell = self._shell_attempt(task, spec, stem, time.monotonic())
        inv, timeout = shell.inv, shell.timeout
        # Shell agents are many and short: no parent-death signal, so the child is vfork()ed (see process.py)
        proc = self._spawn(task, inv, stem, timeout, cancel, parent_death=False)
        if proc.exit_code is None and inv.fallback is not None:  # let the shell report (or run) it after all
            shell.inv = self._fallback(inv)
            proc = self._spawn(task, shell.inv, stem, timeout, cancel, parent_death=False)
        return self._shell_verdict(shell, proc, cancel)

    def _shell_attempt(self, task: Task, spec: AgentSpec, stem: Path, start: float) -> ShellAttempt:
        runner = self._runner("shell")
        try:
            staged = {o: staged_path(self.root, o, self._dirs) for o in task.outputs}
        except OSError as exc:  # e.g. a file where an output's directory should be
            raise InvocationError(f"cannot make the directory of an output: {exc}") from exc
        rel = [staged_relative(o, staged[o]) or os.path.relpath(staged[o], self.root) for o in task.outputs]
        command = render_command(spec.run or "", command_values(task, rel))
        inv = shell_invocation(runner, command, root=self.root, environ=os.environ)
        # the program (the command's own, or the shell of the `sh -c` form) looked up on PATH once per
        # executor: else exec tries every PATH entry before it, in a child that agentmake waits on (vfork)
        inv.executable = self._which(inv.argv[0])
        long = len(command.encode()) > ARG_STRLEN
        if inv.fallback is None and len(inv.argv) >= 2 and inv.argv[-2] == "-c" and long:
            script = stem.with_name(stem.name + ".sh")  # (kept with the attempt's logs: what it ran)
            private_dir(script.parent)
            write_private(script, command + "\n")
            inv.argv = [*inv.argv[:-2], str(script)]
        return ShellAttempt(task, spec, inv, staged, stem, self._timeout(spec, runner), start)

    def _fallback(self, inv: Invocation) -> Invocation:
        assert inv.fallback is not None
        return replace(inv, argv=inv.fallback, fallback=None, executable=self._which(inv.fallback[0]))

    def _unwritten(self, shell: ShellAttempt, missing: list[str]) -> Verdict:
        """Why a command that exited 0 left `missing` unwritten: retried, unless every attempt would do the
        same: it wrote an output's own path (`echo hi > o.txt`, as a make recipe names its target) or names
        no output at all. The previous output is then overwritten, or left as it was; either way not paid."""
        why = f"command did not write {', '.join(missing)}"
        since_ns = time.time_ns() - int((time.monotonic() - shell.started) * 1e9)  # (when it was prepared)
        itself = [o for o in missing if _written_since(self.root / o, since_ns)]
        if itself:
            fix = "a command writes {output} (or {outputs}), a temporary path renamed onto the output after"
            return Verdict("fatal", "no-output", f"{why}: it wrote {', '.join(itself)} itself; {fix}")
        named = {n.split("[", 1)[0] for n in command_names(shell.spec.run or "")}  # ({outputs[1]} too)
        if not named & {"output", "outputs"}:
            return Verdict("fatal", "no-output", f"{why}: its `run` names no {{output}} (or {{outputs}})")
        return Verdict("retry", "no-output", why)

    def _shell_verdict(self, shell: ShellAttempt, proc: ProcResult, cancel: threading.Event) -> AttemptResult:
        task, staged, stem = shell.task, shell.staged, shell.stem
        result = AttemptResult("ok", staged=staged, exit_code=proc.exit_code)
        early = self._process_verdict(proc, shell.inv, "shell", Parsed(), stem, shell.timeout)
        if early is not None:
            return self._fail(result, early)
        missing = [o for o in task.outputs if not staged[o].is_file()]
        if missing:
            return self._fail(result, self._unwritten(shell, missing))
        return self._checked(task, shell.spec, result, stem, shell.timeout, cancel)


def _written_since(path: Path, since_ns: int) -> bool:
    """Whether `path` is a file modified at or after `since_ns` (wall clock)."""
    try:
        return path.is_file() and path.stat().st_mtime_ns >= since_ns
    except OSError:
        return False
