"""What every attempt shares, whoever runs it: the executor's settings, the attempt's log files, starting its
process (`_spawn`), what its end says (`_process_verdict`), the output check, and giving up staged outputs.
`ExecutorBase` is the base of `shell.ShellAttempts` and so of `execute.Executor`.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from agentmake.errors import AgentmakeError
from agentmake.graph import Task
from agentmake.model import Agentfile, AgentSpec, ReportSpec, RunnerSpec
from agentmake.runners.capture import MESSAGE_BYTES, LogFile, private_dir, read_log
from agentmake.runners.check import CheckCannotRun, check_printed, check_timeout, run_check
from agentmake.runners.classify import Verdict, classify_failure, one_line
from agentmake.runners.credentials import remove_job, sweep
from agentmake.runners.feedback import check_feedback
from agentmake.runners.groups import GRACE
from agentmake.runners.invocation import Invocation, InvocationError, safe_name
from agentmake.runners.parsed import Parsed
from agentmake.runners.presets import PRESETS, preset_of
from agentmake.runners.process import ProcResult, run_process
from agentmake.runners.redact import Redactor
from agentmake.runners.result import AttemptResult
from agentmake.runners.staging import own_staged, tail_to_stderr
from agentmake.safetext import term_safe

if TYPE_CHECKING:
    from agentmake.plan.partial import Gap
    from agentmake.runners.verbose import Shown

AGENT_TIMEOUT = 3600.0  # seconds: an LLM agent's attempt limit when the Agentfile sets none
_LOG_NAME = re.compile(r"(.+)\.(\d+)\.(?:(?:re)?check\.)?(?:out|err)")  # <safe id>.<attempt>.<stream>


class ExecutorBase:
    """The executor's settings and the helpers of one attempt (see `execute.Executor` for the arguments)."""

    def __init__(
        self,
        agentfile: Agentfile,
        *,
        log_dir: Path,
        on_process: Callable[[str, int, int], None] | None = None,
        on_intent: Callable[[str], str | None] | None = None,
        verbose: bool = False,
        report_renderer: Callable[[Task, Sequence[Gap]], str] | None = None,
        grace: float = GRACE,
        recover_leftovers: bool = True,
        network_patience: float | None = None,
    ) -> None:
        self.agentfile = agentfile
        self.root = agentfile.root
        self.log_dir = Path(log_dir)
        self.state_dir = self.log_dir.parent
        self.on_process = on_process
        self.on_intent = on_intent
        # asked by an attempt whose outputs in place fail its new check, before it calls its agent: None to
        # call it, else why not (set by the build for its run: `scheduler.gate.CallGate`)
        self.calls_held: Callable[[Task], str | None] | None = None
        # told, by the task's first attempt, what earlier attempts paid for and no build recorded (failures,
        # salvaged answers that failed the check: `AttemptResult.rejected`), before it calls its agent, whose
        # attempt replaces their logs: the build records that spend at once (`scheduler.earlier`)
        self.on_found: Callable[[Task, list[AttemptResult]], None] | None = None
        self.verbose = verbose
        self.report_renderer = report_renderer
        self.grace = grace
        self.network_patience = network_patience  # (see `stall`; None: its `NETWORK_PATIENCE`)
        self._log_dir_made = False
        self._log_dir_lock = threading.Lock()
        self._fresh_logs = False  # the log directory was made by this executor (one per build)
        self._programs: dict[str, str | None] = {}  # program name -> its path on PATH (resolved once)
        self._dirs: dict[str, Path] = {}  # output directories made (see `staged_path`)
        # task id -> what its last attempt's check said of its answer: its retry's prompt tells the agent
        # (`feedback`); dropped when a task's first attempt in a build starts
        self.feedback: dict[str, str] = {}
        # secrets of the environment every child gets its own from: out of messages and logs (`redact`)
        self.redact = Redactor.from_environ(os.environ)
        if recover_leftovers:
            sweep(self.state_dir / "home")  # (login copies older versions kept)
            if os.path.isdir(self.state_dir / "tmp"):  # (made by LLM agents' attempts alone: `backups`)
                from agentmake.runners.backups import recover

                for note in recover(self.state_dir, self.root, self.log_dir):
                    sys.stderr.write(f"agentmake: {term_safe(note)}\n")

    # -- one attempt ----------------------------------------------------------------------------------------
    def _stem(self, task: Task, attempt: int) -> Path:
        """``<log_dir>/<safe id>.<attempt>``; makes the log directory (once per executor, not per task)."""
        if not self._log_dir_made:
            with self._log_dir_lock:  # (workers start together: the second must not see the first's mkdir)
                if not self._log_dir_made:
                    # a log directory made now holds no older logs: none needs removing before an attempt
                    self._fresh_logs = not self.log_dir.is_dir()
                    private_dir(self.log_dir)  # (owner-only: what agents printed; once per build)
                    self._log_dir_made = True
        return self.log_dir / f"{safe_name(task.id)}.{attempt}"

    def _logs(self, stem: Path) -> tuple[LogFile, LogFile]:
        """The attempt's stdout and stderr logs, older logs of their names removed (see `run_process`)."""
        path = str(stem)  # (`<stem>.out`: the stem's name extended, by string, not `with_name`)
        logs = (LogFile(path + ".out"), LogFile(path + ".err"))
        if not self._fresh_logs:
            for log in logs:
                log.clear()
        return logs

    def _ended(self, result: AttemptResult, start: float, stem: Path) -> AttemptResult:
        if not result.salvaged:  # (a salvaged answer took as long as its own attempt did)
            result.duration = time.monotonic() - start
        result.log_stem = stem
        if self.redact:
            # (the messages were made from redacted text already: `one_line` may cut a value short, which
            # this would no longer find; this is for any message that quoted the output otherwise)
            result.message = self.redact(result.message)
            self._redact_logs(stem)
        if result.outcome != "ok":
            self.discard(result)
        return result

    def _redact_logs(self, stem: Path) -> None:
        """The attempt's logs (agent and check command) rewritten without secrets, once its process is gone
        and its answer was taken from the log as printed. Its key file stays: a secret printed outside the
        answer (a JSON log's events quoting a command's output) leaves the answer as the agent gave it, still
        worth salvaging; one whose answer itself was redacted is not salvaged (`salvage`)."""
        path = str(stem)
        for suffix in (".out", ".err", ".check.out", ".check.err", ".recheck.out", ".recheck.err"):
            self.redact.redact_file(path + suffix)

    def tidy_left(self, task_ids: Iterable[str]) -> None:
        """What the attempts of `task_ids` an agentmake that was killed (`kill -9`) was running left undone:
        their logs redacted, their job directories (login copies, the CLI's sessions) removed (`credentials`).
        Call it once their processes are ended (`end_orphans`), before any of them is salvaged or run
        again."""
        task_ids = list(task_ids)
        self.redact_left_logs(task_ids)
        for task_id in task_ids:
            remove_job(self.state_dir / "home" / safe_name(task_id))

    def redact_left_logs(self, task_ids: Iterable[str]) -> None:
        """Rewrite without secrets the logs of every attempt of `task_ids`: tasks an agentmake that was killed
        (`kill -9`) was running, whose attempts never reached `_ended` and so kept what they printed as it
        was. Call it once their processes are ended (`end_orphans`), before any of them is salvaged."""
        if not self.redact:
            return
        safe = {safe_name(task_id) for task_id in task_ids}
        try:
            names = os.listdir(self.log_dir) if safe else []
        except OSError:
            return
        stems = set()
        for name in names:
            m = _LOG_NAME.fullmatch(name)
            if m is not None and m.group(1) in safe:
                stems.add(self.log_dir / f"{m.group(1)}.{m.group(2)}")
        for stem in sorted(stems):
            self._redact_logs(stem)

    @staticmethod
    def _unrunnable(error: InvocationError | AgentmakeError | OSError) -> AttemptResult:
        """The result of an attempt that cannot start as written (a bad placeholder, an unknown runner, an
        output directory that cannot be made): fatal, and the message says what to fix."""
        message = str(error) if isinstance(error, InvocationError) else one_line(str(error))
        return AttemptResult("fatal", message, "usage")

    def discard(self, result: AttemptResult) -> None:
        """Remove staged files of a result that will not be committed; a directory a command made at its
        staged path too (the name is the attempt's own: whatever is there, it made)."""
        for path in result.staged.values():
            try:
                path.unlink()
            except OSError:
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path, ignore_errors=True)
        result.staged.clear()

    def _runner(self, name: str) -> RunnerSpec:
        runner = self.agentfile.runners.get(name) or PRESETS.get(name)
        if runner is None:
            raise InvocationError(f"unknown runner {name!r}")
        return runner

    def _timeout(self, spec: AgentSpec | ReportSpec, runner: RunnerSpec) -> float | None:
        """The attempt's wall-clock limit: the agent's, else its runner's, else the Agentfile's; an LLM agent
        with none gets `AGENT_TIMEOUT` (a CLI can wait forever: codex retries "waiting for network" without
        end), a shell agent none (as in make)."""
        own = spec.timeout if isinstance(spec, AgentSpec) else None
        limit = own or runner.timeout or self.agentfile.settings.timeout
        if limit is None and preset_of(runner) != "shell":
            return AGENT_TIMEOUT
        return limit

    # -- helpers --------------------------------------------------------------------------------------------
    def _intend(self, task_id: str) -> str | None:
        """The token for a child of `task_id` about to start (`on_intent`, the spawn log's intent line), or
        None: no spawn log, or (a full disk) it could not be written; the `running` table still gets it."""
        if self.on_intent is None:
            return None
        try:
            return self.on_intent(task_id)
        except OSError:
            return None

    def _spawn(
        self,
        task: Task,
        inv: Invocation,
        stem: Path,
        timeout: float | None,
        cancel: threading.Event,
        parent_death: bool = True,
        on_group: Callable[[int], None] | None = None,
        watch: Callable[[], str | None] | None = None,
        tail_stdout: bool = True,
        shown: Shown | None = None,
    ) -> ProcResult:
        """Run the attempt's process; verbose: its stderr, and its stdout if `tail_stdout`, streamed to ours
        as it comes (a CLI answering in JSON: what it answered is told once parsed, `runners.verbose`), each
        line as `shown` shows it (`staging.tail_to_stderr`)."""
        on_spawn = None
        if self.on_process is not None or on_group is not None:
            hook = self.on_process

            def on_spawn(pid: int, pgid: int) -> None:
                if on_group is not None:
                    on_group(pgid)
                if hook is not None:
                    hook(task.id, pid, pgid)

        stop_tail = threading.Event()
        tail = None
        if self.verbose:
            told = (task.id, stem, stop_tail, self.redact, tail_stdout, shown)
            tail = threading.Thread(target=tail_to_stderr, args=told, daemon=True)
            tail.start()
        try:
            return run_process(
                inv.argv,
                executable=inv.executable,
                stdin=inv.stdin,
                env=inv.env,
                cwd=inv.cwd,
                stdout_path=stem.with_name(stem.name + ".out"),
                stderr_path=stem.with_name(stem.name + ".err"),
                timeout=timeout,
                cancel=cancel,
                on_spawn=on_spawn,
                grace=self.grace,
                parent_death=parent_death,
                clear_logs=not self._fresh_logs,
                watch=watch,
                token=self._intend(task.id),
            )
        finally:
            stop_tail.set()
            if tail is not None:
                tail.join(timeout=1.0)

    def _which(self, name: str) -> str | None:
        """Where `name` is on PATH, looked up once per executor (a directly executed shell command would
        otherwise try every PATH entry before it, for every task). Only for names without a slash and a PATH
        of absolute directories; None: let exec search."""
        if name in self._programs:
            return self._programs[name]
        found = None
        path = os.environ.get("PATH", os.defpath)
        if "/" not in name and all(os.path.isabs(d) for d in path.split(os.pathsep)):
            found = shutil.which(name, path=path)
        self._programs[name] = found
        return found

    def _process_verdict(
        self,
        proc: ProcResult,
        inv: Invocation,
        preset: str | None,
        parsed: Parsed,
        stem: Path,
        timeout: float | None = None,
    ) -> Verdict | None:
        """Verdicts that do not depend on the output: not found, cancelled, timed out, shell failures."""
        prog = inv.argv[0]
        if proc.not_found:
            return Verdict("fatal", "not-found", f"{prog}: command not found: install {prog} or fix PATH")
        if proc.exit_code is None:
            return Verdict("fatal", "exit", f"cannot start {prog}: {proc.start_error}")
        if proc.cancelled:
            return Verdict("cancelled", None, "cancelled")
        if proc.stalled is not None:
            return Verdict("retry", "network", f"{prog} {proc.stalled}")
        if proc.timed_out:
            limit = f" after {timeout:g}s" if timeout else ""
            return Verdict("retry", "timeout", f"timed out{limit}; the process group was killed")
        if proc.exit_code == 127:
            detail = one_line(self.redact(read_log(stem, ".err", MESSAGE_BYTES))) or prog
            return Verdict("fatal", "not-found", f"command not found ({detail}): install it or fix PATH")
        if proc.exit_code == 126:  # (a shell's, or the process starter's: found, but it cannot be executed)
            detail = one_line(self.redact(read_log(stem, ".err", MESSAGE_BYTES))) or prog
            hint = "make it executable, and a program for this machine or a script with #!"
            return Verdict("fatal", "exit", f"cannot execute ({detail}): {hint}")
        if preset == "shell" and proc.exit_code != 0:
            # (only the message is taken from them, and a log may hold gigabytes: its ends are enough)
            out = self.redact(read_log(stem, ".out", MESSAGE_BYTES))
            err = self.redact(read_log(stem, ".err", MESSAGE_BYTES))
            return classify_failure("shell", proc.exit_code, parsed, out, err)
        return None

    def _checked(
        self,
        task: Task,
        spec: AgentSpec | ReportSpec,
        result: AttemptResult,
        stem: Path,
        timeout: float | None,
        cancel: threading.Event,
    ) -> AttemptResult:
        if result.outcome != "ok":
            return result
        try:  # (before the check: it judges what will be committed)
            linked = own_staged(self.root, result.staged)
        except OSError as exc:
            return self._fail(result, Verdict("fatal", "output", f"cannot copy a linked output: {exc}"))
        if linked is not None:
            return self._fail(result, Verdict("fatal", "output", linked))
        check = spec.check if isinstance(spec, AgentSpec) else None
        if check is None:
            return result
        hook = self.on_process
        on_spawn = None if hook is None else lambda pid, pgid: hook(task.id, pid, pgid)
        try:
            problem = run_check(
                check, task, result.staged, root=self.root, log_stem=stem, timeout=check_timeout(timeout),
                cancel=cancel, on_spawn=on_spawn, redact=self.redact, token=self._intend(task.id),
            )  # fmt: skip
        except CheckCannotRun as e:  # (not retried: another answer could not be judged either)
            return self._fail(result, Verdict("fatal", "check", one_line(str(e))))
        except AgentmakeError as e:  # e.g. a bad placeholder: the staged files must not be left behind
            return self._fail(result, Verdict("fatal", "usage", one_line(str(e))))
        if problem is not None:
            command = check.kind == "command"  # (`json` prints nothing: its message says it all)
            printed = check_printed(stem, result.staged, self.root, self.redact) if command else ""
            self.feedback[task.id] = check_feedback(problem, printed, self.redact)
            return self._fail(result, Verdict("retry", "check", problem))
        # (a check may rewrite what it judged, as a formatter does; what it leaves must still be an output)
        changed = _left_by_check(self.root, result.staged)
        if changed is not None:
            return self._fail(result, Verdict("fatal", "check", changed))
        return result

    def _fail(self, result: AttemptResult, verdict: Verdict) -> AttemptResult:
        self.discard(result)
        result.outcome, result.error_type, result.message = (
            verdict.outcome,
            verdict.error_type,
            verdict.message,
        )
        result.retry_after = verdict.retry_after
        return result


def _left_by_check(root: Path, staged: Mapping[str, Path]) -> str | None:
    """Why the staged outputs a passing check command left are no outputs (None: they are): one it removed or
    put a directory in place of, or made a symbolic link to where an output may not lead (`own_staged`,
    which makes one that may lead there a copy, as it does of an agent's)."""
    for out, path in staged.items():
        if not os.path.lexists(path):
            return f"check removed {out}: a check may rewrite an output, not remove it"
        if path.is_dir() and not path.is_symlink():
            return f"check put a directory in place of {out}: a check may rewrite an output, not replace it"
    try:
        linked = own_staged(root, staged)
    except OSError as exc:
        return f"check passed, but cannot copy a linked output: {exc}"
    return None if linked is None else f"check passed, but {linked}"
