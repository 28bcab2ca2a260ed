"""The executor of tasks that call no agent CLI: shell agents and reports rendered in-process.

`LocalExecutor` runs an attempt (`execute`): a task whose check alone changed is rechecked on copies of its
outputs in place first (`Decision.recheck`), then it is dispatched by kind. `execute.Executor` is this
executor with the LLM agents and the answers an interrupted run left (`salvage`) added: a build of tasks that
call no agent CLI uses this one (`workflow.building`), and so imports none of their modules.
"""

from __future__ import annotations

import stat
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from agentmake.confine import OutsideProject, check_inside
from agentmake.errors import AgentmakeError
from agentmake.graph import Task
from agentmake.model import AgentSpec, ReportSpec
from agentmake.plan.hashing import hash_path
from agentmake.runners.check import TIMED_OUT, recheck_in_place
from agentmake.runners.classify import one_line
from agentmake.runners.invocation import InvocationError
from agentmake.runners.result import AttemptResult
from agentmake.runners.shell import ShellAttempts
from agentmake.runners.staging import stage_copies, staged_path

if TYPE_CHECKING:
    from agentmake.plan import Decision


def calls_no_agent(task: Task) -> bool:
    """Whether `task` is run by `LocalExecutor`: a shell agent, or a report without a merge agent."""
    spec = task.spec
    return (isinstance(spec, AgentSpec) and spec.is_shell) or (
        isinstance(spec, ReportSpec) and spec.merge is None
    )


class LocalExecutor(ShellAttempts):
    """Runs attempts of tasks that call no agent CLI (see `execute.Executor` for the arguments). An agent
    task's attempt fails here as unrunnable: it needs `execute.Executor`."""

    # -- public ---------------------------------------------------------------------------------------------
    def execute(self, task: Task, decision: Decision, attempt: int, cancel: threading.Event) -> AttemptResult:
        start = time.monotonic()
        if cancel.is_set():
            return AttemptResult("cancelled", "cancelled before it started")
        stem = self._stem(task, attempt)
        rejected: list[AttemptResult] = []  # (salvaged answers that failed the check: their cost is told)
        if attempt == 1:  # (what a check said in an earlier build is not this build's to tell)
            self.feedback.pop(task.id, None)
        try:
            # its check alone changed: the outputs in place may pass it, and then no call is made
            if decision.recheck is not None:
                rechecked = self._recheck(task, stem, cancel)
                if rechecked is not None:
                    return self._ended(rechecked, start, stem)
            # the task's first attempt in this run: an earlier, interrupted one may have left its answer
            salvaged, rejected = self._salvage(task, decision, stem, cancel) if attempt == 1 else (None, [])
            if rejected and self.on_found is not None:  # (recorded before a call replaces their logs)
                self.on_found(task, rejected)
            # (the scheduler starts a first attempt that may salvage even when no call is allowed any more:
            # `may_salvage`; it is held here if it salvaged nothing)
            held = self.calls_held(task) if salvaged is None and attempt == 1 and self.calls_held else None
            if held is not None:
                result = AttemptResult("held", held)
            else:
                result = salvaged if salvaged is not None else self._dispatch(task, decision, stem, cancel)
        except (InvocationError, AgentmakeError, OutsideProject) as e:
            result = self._unrunnable(e)
        result.rejected = rejected
        return self._ended(result, start, stem)

    # -- what an interrupted run left (none here: `salvage.SalvageAttempts` in `execute.Executor`) ----------
    def may_salvage(self, task: Task, decision: Decision) -> bool:
        """Whether an earlier attempt left an answer for `decision.key` (`SalvageAttempts.may_salvage`):
        never, for a task that calls no agent."""
        return False

    def paid_answers(self, task: Task, decision: Decision) -> list[AttemptResult]:
        """What answers found for `decision.key` cost (`SalvageAttempts.paid_answers`): none here."""
        return []

    def rekey_answers(self, task_id: str, old_key: str, key: str) -> None:
        """Rename the key of earlier answers (`SalvageAttempts.rekey_answers`): a task that calls no agent
        leaves none."""

    def _salvage(
        self, task: Task, decision: Decision, stem: Path, cancel: threading.Event
    ) -> tuple[AttemptResult | None, list[AttemptResult]]:
        return None, []

    def _recheck(self, task: Task, stem: Path, cancel: threading.Event) -> AttemptResult | None:
        """The task's new check run on copies of its outputs in place (`Decision.recheck`; the outputs
        themselves are never handed to it: a hand edit made meanwhile stays one, and a check that rewrites
        what it checks rewrites a copy). If they pass it, an "ok" result that is `in_place` (no call): with
        nothing staged if the check left every copy as it was, else with the copies staged, to be committed
        as the task's outputs as an attempt's check rewrite is. A cancelled result if the build was stopped
        meanwhile, a fatal one if the check ran out of time (it said nothing of them, and the attempt's time
        limit is spent), None if they fail it (the attempt goes on to call the agent), unless the build
        holds that call now (`calls_held`: its budget reached meanwhile, say): then a "held" result, which
        leaves the outputs as they are."""
        hook = self.on_process
        on_spawn = None if hook is None else lambda pid, pgid: hook(task.id, pid, pgid)
        copies: dict[str, Path] = {}
        try:
            try:
                copies = stage_copies(self.root, task.outputs)
                before = {out: _state(copy) for out, copy in copies.items()}
            except OSError as exc:  # (e.g. deleted since it was decided: fails the check, as it would)
                problem: str | None = f"cannot copy its outputs to check them: {exc}"
            else:
                problem = recheck_in_place(
                    self.agentfile, task, log_stem=stem, cancel=cancel, on_spawn=on_spawn,
                    redact=self.redact, token=self._intend(task.id), copies=copies,
                )  # fmt: skip
            if cancel.is_set():
                return AttemptResult("cancelled", "cancelled while checking its outputs in place")
            if problem is None:
                rewrote = [out for out, copy in copies.items() if _rewritten(copy, before[out])]
                if not rewrote:
                    return AttemptResult("ok", "its outputs in place pass the new check", in_place=True)
                said = f"its outputs in place pass the new check, which rewrote {', '.join(rewrote)}"
                staged, copies = copies, {}  # (the result's now: committed or discarded by the scheduler)
                return AttemptResult("ok", said, staged=staged, in_place=True)
        finally:
            for copy in copies.values():
                copy.unlink(missing_ok=True)
        if problem.startswith(TIMED_OUT):  # it judged nothing, and would judge a new answer no better
            why = f"{problem} on the outputs in place: no agent called (nor could its answer be judged)"
            return AttemptResult("fatal", why, "check")
        held = self.calls_held(task) if self.calls_held is not None else None
        if held is not None:
            return AttemptResult("held", f"{held}; its outputs in place fail the new check: {problem}")
        return None

    # -- kinds of task --------------------------------------------------------------------------------------
    def _dispatch(self, task: Task, decision: Decision, stem: Path, cancel: threading.Event) -> AttemptResult:
        spec = task.spec
        for out in task.outputs:  # before any call is paid for (an LLM agent may write them itself)
            check_inside(self.root, out)
        if isinstance(spec, ReportSpec) and spec.merge is None:
            return self._render_report(task, decision)
        if isinstance(spec, AgentSpec) and spec.is_shell:
            return self._run_shell(task, spec, stem, cancel)
        return self._run_llm(task, decision, stem, cancel)

    def _run_llm(self, task: Task, decision: Decision, stem: Path, cancel: threading.Event) -> AttemptResult:
        """An agent's attempt (or a merge report's): `execute.Executor` runs it; this executor cannot."""
        return AttemptResult("fatal", f"{task.id} calls an agent: this build runs none", "usage")

    def _render_report(self, task: Task, decision: Decision) -> AttemptResult:
        if self.report_renderer is None:
            return AttemptResult("fatal", "no report renderer configured", "usage")
        try:
            text = self.report_renderer(task, decision.gaps)
        except AgentmakeError as e:
            return AttemptResult("fatal", one_line(str(e)), "usage")
        except Exception as e:  # a renderer bug must not kill the worker thread
            return AttemptResult("fatal", f"report rendering failed: {type(e).__name__}: {e}", "exit")
        staged = {task.outputs[0]: staged_path(self.root, task.outputs[0])}
        staged[task.outputs[0]].write_text(text, encoding="utf-8")
        return AttemptResult("ok", staged=staged)


def _state(copy: Path) -> tuple[str, int]:
    """What a check may change of its copy of an output (`LocalExecutor._recheck`): its content's digest and
    its permission bits (`chmod +x {output}`: kept, as an attempt's check that sets them keeps them)."""
    return hash_path(copy), stat.S_IMODE(copy.lstat().st_mode)


def _rewritten(copy: Path, before: tuple[str, int]) -> bool:
    """Whether a check changed its copy of an output (`LocalExecutor._recheck`): other content or mode, or no
    file there any more (committing it then fails the attempt, as an attempt's check that removes its output
    does)."""
    try:
        return _state(copy) != before
    except OSError:
        return True
