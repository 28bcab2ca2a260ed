"""Execute one attempt of one task: build the invocation, run it, judge it, and leave the outputs staged.

Staging: an output's final content is first written to a temporary file beside its target,
``<dir>/.<stem>.agentmake-tmp-<random><suffix>`` (the suffix is kept so tools that infer a format from the
file extension still work; see `STAGED_MARKER`). The scheduler commits a successful attempt by renaming the
staged files over their targets, or calls `discard`. So a failed attempt never replaces a good output:
- single-output LLM agents: the parsed answer is written to the staged file (a plain-text one is copied from
  its log a chunk at a time, never held whole: it may be gigabytes); one whose agent may write files, by
  its runner's flags or its CLI's settings files (`writing.agent_may_write`, the rule `plan.pathless` keys
  by), has its output set aside for the run (`backups.set_aside`), so what
  it writes there itself is moved beside its logs (``<stem>.wrote``) and the output left as the build saw it;
- shell agents: `{output}`/`{outputs}` in the command *are* the staged paths;
- multi-output LLM agents write their declared outputs themselves (the prompt names them). Before the run each
  existing output is copied to `.agentmake/tmp/<attempt>-*/` beside a manifest; after the run the produced
  files are moved to staged paths and the copies are put back (a failed run: copies put back, half-written new
  files removed). Between the run and the commit the targets therefore hold their previous content. If
  agentmake dies meanwhile, the next executor undoes the attempt from the manifest before any task starts
  (see `backups.recover`). (The agent is not given staged paths instead: the prompt, which names the outputs,
  is the user's text and part of the task's key.)

Logs: stdout/stderr of attempt N go to ``<log_dir>/<safe id>.<N>.out``/``.err`` (check commands:
``.check.out``/``.check.err``; the check of the outputs in place that a changed check runs first,
``.recheck.out``/``.recheck.err``), copied from pipes as the child writes; a stream that printed nothing
leaves no log file (see `capture`). The rendered prompt goes to ``<log_dir>/../tasks/<safe id>.prompt``
before the run; a retry after a failed check, which sends it with the check's complaint (`feedback`), keeps
what it sent as ``<log_dir>/<safe id>.<N>.prompt``. Environment values are never written anywhere; secret
ones an agent or a check prints are taken out of the logs and of every message made from them (`redact`),
once the answer was read as printed.

Modules: this one holds `Executor` (LLM agents); an attempt's course (a recheck, then one by kind) and reports
are in `local` (the executor of a build of tasks that call no agent CLI), shell agents in `shell`, answers an
interrupted run left unrecorded in `salvage`, and what every attempt shares (settings, logs, starting a
process, verdicts, checks) in `base`.
"""

from __future__ import annotations

import errno
import os
import threading
from dataclasses import replace
from pathlib import Path

from agentmake.confine import OutsideProject, check_inside
from agentmake.graph import Task
from agentmake.model import RunnerSpec, model_of
from agentmake.plan import Decision
from agentmake.runners.backups import (
    Backup,
    backup_outputs,
    keep_answer_files,
    keep_delivered_answer,
    restore_outputs,
    set_aside,
    settle,
)
from agentmake.runners.capture import (
    MESSAGE_BYTES,
    copy_text,
    private_dir,
    read_log,
    text_blank,
    write_private,
)
from agentmake.runners.classify import Verdict, classify_failure, one_line, refused_tools, text_error
from agentmake.runners.credentials import remove_job
from agentmake.runners.feedback import retry_prompt
from agentmake.runners.invocation import (
    Invocation,
    llm_invocation,
    safe_name,
)
from agentmake.runners.local import LocalExecutor
from agentmake.runners.parse import TEXT_FORMATS, Parsed, delivered, parse_output, relative_denial
from agentmake.runners.presets import STDIN_LIMITS, WRITES_FILES, preset_of
from agentmake.runners.result import AttemptResult
from agentmake.runners.salvage import SalvageAttempts
from agentmake.runners.shell import ShellAttempt
from agentmake.runners.staging import staged_path
from agentmake.runners.stall import NETWORK_PATIENCE, NetworkWatch
from agentmake.runners.unfence import unfence
from agentmake.runners.writing import agent_may_write

__all__ = ["AttemptResult", "Executor", "ShellAttempt"]

STREAMED = frozenset({"codex-jsonl"})  # JSON formats whose stdout is a stream of progress events (`-v`)


def streams_events(fmt: str, argv: tuple[str, ...]) -> bool:
    """Whether a runner of format `fmt` and command `argv` prints its progress as a stream of JSON events
    while it works (`-v` shows them as they come): codex's JSONL, and claude's or gemini's `stream-json`,
    read as the single-object `json` is (`claude-json`, `gemini-json`)."""
    return fmt in STREAMED or any(word == "stream-json" or word.endswith("=stream-json") for word in argv)


class Executor(SalvageAttempts, LocalExecutor):
    """Runs attempts of any task (`LocalExecutor` with LLM agents and salvage). `on_process(task_id, pid,
    pgid)` is called once a child process exists (the scheduler records it in the store so a later run can
    end an orphan); `on_intent(task_id)` just before one is started, and returns a token to put in its
    environment (`runners.process`) or None.
    `report_renderer(task, gaps)` returns the text of a report without `merge` (`gaps`: the inputs a partial
    report lacks, `agentmake.plan.partial`).
    `execute` blocks until the child is gone, so call it from a thread that lives at least that long (Linux
    parent-death signals are tied to the forking thread).

    Create it holding the project lock, before any task starts: unless `recover_leftovers=False`, it first
    undoes the multi-output attempts a killed agentmake left half-done (`backups.recover`)."""

    def _run_llm(self, task: Task, decision: Decision, stem: Path, cancel: threading.Event) -> AttemptResult:
        spec = task.spec
        runner = self._llm_runner(task)
        preset = preset_of(runner)
        model = model_of(spec, runner, self.agentfile.settings)
        if decision.prompt is None:
            return AttemptResult("fatal", "no rendered prompt for this task", "usage")
        multi = len(task.outputs) > 1
        if multi and (preset or "") not in WRITES_FILES:
            msg = (
                f"runner {runner.name} cannot write files: give the agent a single output or use claude/codex"
            )
            return AttemptResult("fatal", msg, "usage")
        prompt_file = self.state_dir / "tasks" / f"{safe_name(task.id)}.prompt"
        private_dir(prompt_file.parent)
        write_private(prompt_file, decision.prompt)
        prompt = decision.prompt
        sent = stem.with_name(stem.name + ".prompt")  # (an attempt that sent more than the task's prompt)
        feedback = self.feedback.get(task.id)
        if feedback is not None:  # a retry after a failed check: the agent is told what the check said
            prompt = retry_prompt(decision.prompt, feedback)
            write_private(sent, prompt)
        else:
            sent.unlink(missing_ok=True)  # (an earlier build's attempt of this number)
        home = self.state_dir / "home" / safe_name(task.id)
        inv = llm_invocation(
            runner,
            preset,
            model=model,
            prompt=prompt,
            writes_files=multi,
            root=self.root,
            home=home,
            environ=os.environ,
        )
        try:
            return self._call_llm(task, decision, stem, cancel, inv, runner, preset)
        finally:  # (whatever the end: the process is gone, its login copies and sessions go too)
            remove_job(home)

    def _call_llm(
        self,
        task: Task,
        decision: Decision,
        stem: Path,
        cancel: threading.Event,
        inv: Invocation,
        runner: RunnerSpec,
        preset: str | None,
    ) -> AttemptResult:
        spec = task.spec
        assert decision.prompt is not None
        multi = len(task.outputs) > 1
        limit = STDIN_LIMITS.get(preset or "")
        if limit is not None and inv.stdin is not None and len(inv.stdin) > limit:
            size, cap = len(inv.stdin) / 2**20, limit / 2**20
            msg = (
                f"the prompt is {size:.1f} MiB but {runner.name} reads at most {cap:g} MiB on stdin: "
                "split the input over several tasks (nothing was sent)"
            )
            return AttemptResult("fatal", msg, "prompt-too-large")
        answer_file: Path | None = None  # where a single output's answer is staged
        if not multi:  # made now: an output that cannot be written fails before the call is paid for
            try:
                answer_file = staged_path(self.root, task.outputs[0])
                if os.path.isdir(self.root / task.outputs[0]):  # (the answer could never be renamed there)
                    raise IsADirectoryError(errno.EISDIR, "a directory is in the way", task.outputs[0])
                answer_file.touch(exist_ok=False)
            except OutsideProject:
                raise
            except OSError as exc:
                msg = f"cannot write output {task.outputs[0]}: {exc} (nothing was sent)"
                return AttemptResult("fatal", msg, "output")
        self._note_key(task, stem, decision.key)  # (a later run may salvage this attempt's answer)
        backup: Backup | None = None
        aside: Backup | None = None  # a single output its agent may write itself (`backups.set_aside`)
        if multi:
            tmp, fmt = self.state_dir / "tmp" / stem.name, self.answer_format(task)
            backup = backup_outputs(self.root, task.id, task.outputs, tmp, fmt)
        elif agent_may_write(preset, inv.argv, decision.settings_write):  # (the plan read the settings)
            aside = set_aside(self.root, task.id, task.outputs[0], self.state_dir / "tmp" / stem.name)
        timeout = self._timeout(spec, runner)
        wrote: Path | None = None  # where what was written to that output while its agent ran is kept
        try:
            held = backup or aside
            on_group = held.set_group if held is not None else None
            patience = NETWORK_PATIENCE if self.network_patience is None else self.network_patience
            watch = NetworkWatch(stem, patience)  # (a CLI waiting for the network: see `stall`)
            # (one JSON object at the end, claude's or gemini's `json`: told once parsed, not raw; a text
            # CLI's output and JSONL events, its progress as it works, are streamed as they come)
            told = (
                self.verbose
                and runner.format not in TEXT_FORMATS
                and not streams_events(runner.format, runner.command)
            )
            shown = None
            if self.verbose:
                from agentmake.runners.verbose import Shown

                events = runner.format if streams_events(runner.format, runner.command) else None
                shown = Shown(preset, events, told=told)
            proc = self._spawn(
                task,
                inv,
                stem,
                timeout,
                cancel,
                on_group=on_group,
                watch=watch,
                tail_stdout=not told,
                shown=shown,
            )
            if aside is not None:  # (the agent is gone: the output is put back as the build saw it)
                settling, aside = aside, None
                wrote = settle(self.root, settling, stem.with_name(stem.name + ".wrote"))
            # a plain-text answer of one output is copied from its log to the output, never held whole (it
            # may be gigabytes): only the ends of its streams are read, for the messages
            streamed = runner.format == "text" and not multi
            stdout = read_log(stem, ".out", MESSAGE_BYTES if streamed else None)
            stderr = read_log(stem, ".err", MESSAGE_BYTES if streamed else None)
            # its whole answer came within the time limit, only its exit did not (a CLI's slow teardown), or
            # was not a success (a crash in that teardown): that answer is paid for and proved complete, so
            # it is judged as any other, not asked again (as the next build would salvage it anyway)
            ended_badly = proc.timed_out or (proc.exit_code not in (0, None) and not proc.cancelled)
            late = delivered(runner.format, stdout, stderr, answer_needed=not multi) if ended_badly else None
            if late is not None:
                proc = replace(proc, timed_out=False, exit_code=0)
            parsed = late or (
                parse_output(runner.format, stdout, stderr) if proc.exit_code is not None else Parsed()
            )
            # the answer is taken as printed; what a message may quote is redacted before `one_line` cuts it
            redact = self.redact
            if runner.format == "text" and text_error(preset, stdout):
                parsed.is_error, parsed.error = True, one_line(redact(stdout))
            elif parsed.error:
                parsed.error = redact(parsed.error)
            stderr = redact(stderr)
            if told:
                from agentmake.runners.verbose import tell_parsed, unsaid  # (-v only: not at each start)

                unsaid(task.id, shown, parsed, redact)
                tell_parsed(task.id, parsed, redact, stdout=stdout)
            result = AttemptResult(
                "ok",
                exit_code=proc.exit_code,
                cost_usd=parsed.cost_usd,
                tokens_in=parsed.tokens_in,
                tokens_out=parsed.tokens_out,
            )
            verdict = self._process_verdict(proc, inv, preset, parsed, stem, timeout)
            if verdict is None and (proc.exit_code != 0 or parsed.is_error):
                # (JSON: the agent's own work; text: the CLI's errors may be there)
                text_out = redact(stdout) if runner.format in TEXT_FORMATS else ""
                verdict = classify_failure(
                    preset, proc.exit_code, parsed, text_out, stderr, self.root, inv.argv
                )
            out_log = stem.with_name(stem.name + ".out")
            blank = text_blank(out_log) if streamed else not (parsed.answer or "").strip()
            if verdict is None and not multi and blank:
                verdict = classify_failure(preset, proc.exit_code, parsed, "", stderr, self.root, inv.argv)
                if verdict.error_type == "exit":
                    verdict = Verdict("retry", "no-output", f"{runner.name} exited 0 without an answer")
            if verdict is None and multi:
                missing = [o for o in task.outputs if not (self.root / o).is_file()]
                if parsed.denied and missing:  # (claude -p never asks: it refuses, lists it, exits 0)
                    denied = [relative_denial(self.root, d) for d in parsed.denied]
                    verdict = refused_tools(runner.name, inv.argv, denied, missing)
                elif missing:
                    msg = f"{runner.name} did not write {', '.join(missing)}"
                    verdict = Verdict("retry", "no-output", msg)
            if verdict is not None:
                if backup is not None:  # e.g. Ctrl-C after the agent answered: that answer is paid for
                    keep_delivered_answer(self.root, stem, backup.answer_format, task.outputs)
                if wrote is not None:
                    what = _wrote(task, wrote, "the output keeps what it held before")
                    verdict = replace(verdict, message=f"{verdict.message}; {what}")
                return self._fail(result, verdict)
            if multi:
                if backup is not None and backup.answer_format is not None:  # paid for: salvageable
                    keep_answer_files(self.root, stem, task.outputs)
                elif keep_answer_files(self.root, stem, task.outputs) is not None:
                    self.note_done(task, stem)  # (plain text: only this attempt can prove it succeeded)
                for o in task.outputs:
                    result.staged[o] = staged_path(self.root, o)
                    os.replace(self.root / o, result.staged[o])
            else:
                out = task.outputs[0]
                assert answer_file is not None
                self.note_done(task, stem)  # (a plain-text answer: salvageable from its log from now on)
                check_inside(self.root, out)  # (the agent may have linked the directory out meanwhile)
                try:
                    if streamed:
                        copy_text(out_log, answer_file)
                    else:
                        answer_file.write_text(parsed.answer or "", encoding="utf-8")
                    unfence(answer_file, out)  # (an answer wrapped whole in ```json … ```: its content)
                except OSError as exc:  # (e.g. a full disk: the answer stays in the attempt's log)
                    return self._fail(result, Verdict("fatal", "output", f"cannot write output {out}: {exc}"))
                result.staged[out], answer_file = answer_file, None
                if wrote is not None:
                    result.notice = _wrote(task, wrote, "the output is made from its answer")
        finally:
            restore_outputs(self.root, backup)
            if aside is not None:  # (the spawn itself failed)
                settle(self.root, aside, stem.with_name(stem.name + ".wrote"))
            if answer_file is not None:  # (not staged: a failed or cancelled attempt)
                answer_file.unlink(missing_ok=True)
        checked = self._checked(task, spec, result, stem, timeout, cancel)
        if wrote is not None and checked.outcome != "ok":  # (a failure shows its message, not the notice)
            what = _wrote(task, wrote, "the output keeps what it held before")
            checked.message, checked.notice = f"{checked.message}; {what}", ""
        return checked


def _wrote(task: Task, kept: Path, then: str) -> str:
    """What to say of a single output written while its agent ran (`backups.settle`)."""
    return (
        f"{task.outputs[0]} was written while its agent ran (its runner lets it write files): what it held "
        f"is kept in {kept}; {then}"
    )
