"""Execute one attempt of one task: build the invocation, run it, judge it, and leave the outputs staged.

Staging: an output's final content is first written to a temporary file beside its target,
``<dir>/.<stem>.agentmake-tmp-<random><suffix>`` (the suffix is kept so tools that infer a format from the
file extension still work; see `STAGED_MARKER`). The scheduler commits a successful attempt by renaming the
staged files over their targets, or calls `discard`. So a failed attempt never replaces a good output:
- single-output LLM agents: the parsed answer is written to the staged file;
- shell agents: `{output}`/`{outputs}` in the command *are* the staged paths;
- multi-output LLM agents write their declared outputs themselves (the prompt names them). Before the run each
  existing output is copied to `.agentmake/tmp/<attempt>-*/` beside a manifest; after the run the produced
  files are moved to staged paths and the copies are put back (a failed run: copies put back, half-written new
  files removed). Between the run and the commit the targets therefore hold their previous content. If
  agentmake dies meanwhile, the next executor undoes the attempt from the manifest before any task starts
  (see `backups.recover`). (The agent is not given staged paths instead: the prompt, which names the outputs,
  is the user's text and part of the task's key.)

Logs: stdout/stderr of attempt N go to ``<log_dir>/<safe id>.<N>.out``/``.err`` (check commands:
``.check.out``/``.check.err``), copied from pipes as the child writes; a stream that printed nothing leaves
no log file (see `capture`). The rendered prompt goes to ``<log_dir>/../tasks/<safe id>.prompt``
before the run. Environment values are never written anywhere.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from agentmake.errors import AgentmakeError
from agentmake.graph import Task
from agentmake.model import Agentfile, AgentSpec, ReportSpec, RunnerSpec
from agentmake.plan import Decision
from agentmake.runners.backups import Backup, backup_outputs, recover, restore_outputs
from agentmake.runners.capture import LogFile
from agentmake.runners.check import command_values, run_check
from agentmake.runners.classify import Verdict, classify_failure, claude_text_error, one_line
from agentmake.runners.invocation import (
    Invocation,
    InvocationError,
    llm_invocation,
    safe_name,
    shell_invocation,
)
from agentmake.runners.parse import Parsed, parse_output
from agentmake.runners.presets import PRESETS, STDIN_LIMITS, WRITES_FILES, preset_of
from agentmake.runners.process import GRACE, Child, ProcResult, not_started, run_process, start_child
from agentmake.runners.staging import staged_path, tail_to_stderr
from agentmake.templates import render_command


@dataclass
class AttemptResult:
    """`outcome`: "ok", "retry" (worth another attempt), "fatal" (retrying cannot help) or "cancelled".
    `error_type`: "rate-limit", "overloaded", "auth", "quota", "timeout", "exit", "no-output", "check",
    "not-found", "usage", "prompt-too-large" or None. `staged`: output path -> temporary file holding its
    final content (ok only). `log_stem`: ``<log_dir>/<safe id>.<attempt>``; add ``.out``/``.err`` for the
    agent's output."""

    outcome: str
    message: str = ""
    error_type: str | None = None
    exit_code: int | None = None
    staged: dict[str, Path] = field(default_factory=dict)
    duration: float = 0.0
    cost_usd: float | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    log_stem: Path | None = None

    @property
    def rate_limited(self) -> bool:
        return self.error_type in ("rate-limit", "overloaded")


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


class Executor:
    """Runs attempts. `on_process(task_id, pid, pgid)` is called once a child process exists (the scheduler
    records it in the store so a later run can end an orphan). `report_renderer(task)` returns the text of a
    report without `merge`. `execute` blocks until the child is gone, so call it from a thread that lives at
    least that long (Linux parent-death signals are tied to the forking thread).

    Create it holding the project lock, before any task starts: unless `recover_leftovers=False`, it first
    undoes the multi-output attempts a killed agentmake left half-done (`backups.recover`)."""

    def __init__(
        self,
        agentfile: Agentfile,
        *,
        log_dir: Path,
        on_process: Callable[[str, int, int], None] | None = None,
        verbose: bool = False,
        report_renderer: Callable[[Task], str] | None = None,
        grace: float = GRACE,
        recover_leftovers: bool = True,
    ) -> None:
        self.agentfile = agentfile
        self.root = agentfile.root
        self.log_dir = Path(log_dir)
        self.state_dir = self.log_dir.parent
        self.on_process = on_process
        self.verbose = verbose
        self.report_renderer = report_renderer
        self.grace = grace
        self._log_dir_made = False
        self._log_dir_lock = threading.Lock()
        self._fresh_logs = False  # the log directory was made by this executor (one per build)
        self._programs: dict[str, str | None] = {}  # program name -> its path on PATH (resolved once)
        self._dirs: set[Path] = set()  # output directories made (see `staged_path`)
        if recover_leftovers:
            for note in recover(self.state_dir, self.root):
                sys.stderr.write(f"agentmake: {note}\n")

    # -- public ---------------------------------------------------------------------------------------------
    def execute(self, task: Task, decision: Decision, attempt: int, cancel: threading.Event) -> AttemptResult:
        start = time.monotonic()
        if cancel.is_set():
            return AttemptResult("cancelled", "cancelled before it started")
        stem = self._stem(task, attempt)
        try:
            result = self._dispatch(task, decision, stem, cancel)
        except InvocationError as e:
            result = AttemptResult("fatal", str(e), "usage")
        except AgentmakeError as e:
            result = AttemptResult("fatal", one_line(str(e)), "usage")
        return self._ended(result, start, stem)

    # -- shell attempts run by the caller (`runners.supervise`, `scheduler.inline`) -------------------------
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
        except InvocationError as e:
            result = AttemptResult("fatal", str(e), "usage")
        except AgentmakeError as e:
            result = AttemptResult("fatal", one_line(str(e)), "usage")
        return self._ended(result, start, stem)

    def spawn_shell(self, shell: ShellAttempt) -> Child | ProcResult:
        """Start the attempt's process (the `sh -c` form if a directly executed command cannot start): the
        running child, or the result of a process that could not be started."""
        while True:
            logs = self._logs(shell.stem)
            try:
                return start_child(
                    shell.inv.argv,
                    stdin=False,
                    env=shell.inv.env,
                    cwd=shell.inv.cwd,
                    logs=logs,
                    parent_death=False,
                    executable=shell.inv.executable,
                )
            except OSError as e:
                for log in logs:
                    log.close()
                if shell.inv.fallback is None:
                    return not_started(e, shell.started)
                shell.inv = self._fallback(shell.inv)

    def end_shell(self, shell: ShellAttempt, proc: ProcResult) -> AttemptResult:
        """Judge a shell attempt whose process is over, as `execute` would have."""
        result = self._shell_verdict(shell, proc, threading.Event())
        return self._ended(result, shell.started, shell.stem)

    # -- one attempt ----------------------------------------------------------------------------------------
    def _stem(self, task: Task, attempt: int) -> Path:
        """``<log_dir>/<safe id>.<attempt>``; makes the log directory (once per executor, not per task)."""
        if not self._log_dir_made:
            with self._log_dir_lock:  # (workers start together: the second must not see the first's mkdir)
                if not self._log_dir_made:
                    # a log directory made now holds no older logs: none needs removing before an attempt
                    self._fresh_logs = not self.log_dir.is_dir()
                    self.log_dir.mkdir(parents=True, exist_ok=True)
                    self._log_dir_made = True
        return self.log_dir / f"{safe_name(task.id)}.{attempt}"

    def _logs(self, stem: Path) -> tuple[LogFile, LogFile]:
        """The attempt's stdout and stderr logs, older logs of their names removed (see `run_process`)."""
        logs = (LogFile(stem.with_name(stem.name + ".out")), LogFile(stem.with_name(stem.name + ".err")))
        if not self._fresh_logs:
            for log in logs:
                log.clear()
        return logs

    def _ended(self, result: AttemptResult, start: float, stem: Path) -> AttemptResult:
        result.duration = time.monotonic() - start
        result.log_stem = stem
        if result.outcome != "ok":
            self.discard(result)
        return result

    def discard(self, result: AttemptResult) -> None:
        """Remove staged files of a result that will not be committed."""
        for path in result.staged.values():
            with contextlib.suppress(OSError):
                path.unlink()
        result.staged.clear()

    # -- kinds of task --------------------------------------------------------------------------------------
    def _dispatch(self, task: Task, decision: Decision, stem: Path, cancel: threading.Event) -> AttemptResult:
        spec = task.spec
        if isinstance(spec, ReportSpec) and spec.merge is None:
            return self._render_report(task)
        if isinstance(spec, AgentSpec) and spec.is_shell:
            return self._run_shell(task, spec, stem, cancel)
        return self._run_llm(task, decision, stem, cancel)

    def _runner(self, name: str) -> RunnerSpec:
        runner = self.agentfile.runners.get(name) or PRESETS.get(name)
        if runner is None:
            raise InvocationError(f"unknown runner {name!r}")
        return runner

    def _timeout(self, spec: AgentSpec | ReportSpec, runner: RunnerSpec) -> float | None:
        own = spec.timeout if isinstance(spec, AgentSpec) else None
        return own or runner.timeout or self.agentfile.settings.timeout

    def _render_report(self, task: Task) -> AttemptResult:
        if self.report_renderer is None:
            return AttemptResult("fatal", "no report renderer configured", "usage")
        try:
            text = self.report_renderer(task)
        except AgentmakeError as e:
            return AttemptResult("fatal", one_line(str(e)), "usage")
        except Exception as e:  # a renderer bug must not kill the worker thread
            return AttemptResult("fatal", f"report rendering failed: {type(e).__name__}: {e}", "exit")
        staged = {task.outputs[0]: staged_path(self.root, task.outputs[0])}
        staged[task.outputs[0]].write_text(text, encoding="utf-8")
        return AttemptResult("ok", staged=staged)

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
        rel = [os.path.relpath(staged[o], self.root) for o in task.outputs]
        command = render_command(spec.run or "", command_values(task, rel))
        inv = shell_invocation(runner, command, root=self.root, environ=os.environ)
        if inv.fallback is not None:
            inv.executable = self._which(inv.argv[0])
        return ShellAttempt(task, spec, inv, staged, stem, self._timeout(spec, runner), start)

    def _fallback(self, inv: Invocation) -> Invocation:
        assert inv.fallback is not None
        return replace(inv, argv=inv.fallback, fallback=None, executable=self._which(inv.fallback[0]))

    def _shell_verdict(self, shell: ShellAttempt, proc: ProcResult, cancel: threading.Event) -> AttemptResult:
        task, staged, stem = shell.task, shell.staged, shell.stem
        result = AttemptResult("ok", staged=staged, exit_code=proc.exit_code)
        early = self._process_verdict(proc, shell.inv, "shell", Parsed(), stem, shell.timeout)
        if early is not None:
            return self._fail(result, early)
        missing = [o for o in task.outputs if not staged[o].is_file()]
        if missing:
            return self._fail(
                result, Verdict("retry", "no-output", f"command did not write {', '.join(missing)}")
            )
        return self._checked(task, shell.spec, result, stem, shell.timeout, cancel)

    def _run_llm(self, task: Task, decision: Decision, stem: Path, cancel: threading.Event) -> AttemptResult:
        spec = task.spec
        settings = self.agentfile.settings
        runner_name = spec.runner if isinstance(spec, AgentSpec) else (spec.runner or settings.runner)
        runner = self._runner(runner_name)
        preset = preset_of(runner)
        model = spec.model or runner.model or settings.model
        if decision.prompt is None:
            return AttemptResult("fatal", "no rendered prompt for this task", "usage")
        multi = len(task.outputs) > 1
        if multi and (preset or "") not in WRITES_FILES:
            msg = (
                f"runner {runner.name} cannot write files: give the agent a single output or use claude/codex"
            )
            return AttemptResult("fatal", msg, "usage")
        prompt_file = self.state_dir / "tasks" / f"{safe_name(task.id)}.prompt"
        prompt_file.parent.mkdir(parents=True, exist_ok=True)
        prompt_file.write_text(decision.prompt, encoding="utf-8")
        home = self.state_dir / "home" / safe_name(task.id)
        inv = llm_invocation(
            runner,
            preset,
            model=model,
            prompt=decision.prompt,
            writes_files=multi,
            root=self.root,
            home=home,
            environ=os.environ,
        )
        limit = STDIN_LIMITS.get(preset or "")
        if limit is not None and inv.stdin is not None and len(inv.stdin) > limit:
            size, cap = len(inv.stdin) / 2**20, limit / 2**20
            msg = (
                f"the prompt is {size:.1f} MiB but {runner.name} reads at most {cap:g} MiB on stdin: "
                "split the input over several tasks (nothing was sent)"
            )
            return AttemptResult("fatal", msg, "prompt-too-large")
        backup: Backup | None = None
        if multi:
            backup = backup_outputs(self.root, task.id, task.outputs, self.state_dir / "tmp" / stem.name)
        timeout = self._timeout(spec, runner)
        try:
            on_group = backup.set_group if backup is not None else None
            proc = self._spawn(task, inv, stem, timeout, cancel, on_group=on_group)
            stdout = _read(stem, ".out")
            stderr = _read(stem, ".err")
            parsed = parse_output(runner.format, stdout, stderr) if proc.exit_code is not None else Parsed()
            if preset == "claude" and runner.format == "text" and claude_text_error(stdout):
                parsed.is_error, parsed.error = True, one_line(stdout)
            result = AttemptResult(
                "ok",
                exit_code=proc.exit_code,
                cost_usd=parsed.cost_usd,
                tokens_in=parsed.tokens_in,
                tokens_out=parsed.tokens_out,
            )
            verdict = self._process_verdict(proc, inv, preset, parsed, stem, timeout)
            if verdict is None and (proc.exit_code != 0 or parsed.is_error):
                verdict = classify_failure(preset, proc.exit_code, parsed, stdout, stderr)
            if verdict is None and not multi and not (parsed.answer or "").strip():
                verdict = classify_failure(preset, proc.exit_code, parsed, "", stderr)
                if verdict.error_type == "exit":
                    verdict = Verdict("retry", "no-output", f"{runner.name} exited 0 without an answer")
            if verdict is None and multi:
                missing = [o for o in task.outputs if not (self.root / o).is_file()]
                if missing:
                    verdict = Verdict(
                        "retry", "no-output", f"{runner.name} did not write {', '.join(missing)}"
                    )
            if verdict is not None:
                return self._fail(result, verdict)
            if multi:
                for o in task.outputs:
                    result.staged[o] = staged_path(self.root, o)
                    os.replace(self.root / o, result.staged[o])
            else:
                out = task.outputs[0]
                result.staged[out] = staged_path(self.root, out)
                result.staged[out].write_text(parsed.answer or "", encoding="utf-8")
        finally:
            restore_outputs(self.root, backup)
        return self._checked(task, spec, result, stem, timeout, cancel)

    # -- helpers --------------------------------------------------------------------------------------------
    def _spawn(
        self,
        task: Task,
        inv: Invocation,
        stem: Path,
        timeout: float | None,
        cancel: threading.Event,
        parent_death: bool = True,
        on_group: Callable[[int], None] | None = None,
    ) -> ProcResult:
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
            tail = threading.Thread(target=tail_to_stderr, args=(task.id, stem, stop_tail), daemon=True)
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
        if proc.timed_out:
            limit = f" after {timeout:g}s" if timeout else ""
            return Verdict("retry", "timeout", f"timed out{limit}; the process group was killed")
        if proc.exit_code == 127:
            detail = one_line(_read(stem, ".err")) or prog
            return Verdict("fatal", "not-found", f"command not found ({detail}): install it or fix PATH")
        if preset == "shell" and proc.exit_code != 0:
            return classify_failure("shell", proc.exit_code, parsed, _read(stem, ".out"), _read(stem, ".err"))
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
        check = spec.check if isinstance(spec, AgentSpec) else None
        if check is None or result.outcome != "ok":
            return result
        try:
            problem = run_check(
                check, task, result.staged, root=self.root, log_stem=stem, timeout=timeout, cancel=cancel
            )
        except AgentmakeError as e:  # e.g. a bad placeholder: the staged files must not be left behind
            return self._fail(result, Verdict("fatal", "usage", one_line(str(e))))
        if problem is not None:
            return self._fail(result, Verdict("retry", "check", problem))
        return result

    def _fail(self, result: AttemptResult, verdict: Verdict) -> AttemptResult:
        self.discard(result)
        result.outcome, result.error_type, result.message = (
            verdict.outcome,
            verdict.error_type,
            verdict.message,
        )
        return result


def _read(stem: Path, suffix: str) -> str:
    try:
        return stem.with_name(stem.name + suffix).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
