"""Answers already paid for, kept when agentmake dies before recording them (`SalvageAttempts`).

An agent can print its whole answer and then take a while to exit (a Node CLI's teardown); if agentmake is
killed in between, the agent is ended with it and the answer, though paid for, was never recorded. So each
attempt of a single-output LLM agent whose runner speaks JSON (claude, codex, gemini) writes the task's
key (and when it started) beside its logs, ``<log_dir>/<safe id>.<N>.key``, after removing the older logs of
that name and before it starts. The first attempt of the task in a later run first looks at those logs: an
attempt made for the same key (same prompt, inputs and settings) whose output *proves* it finished and
succeeded (`parse.delivered`: the result record such a tool prints only at the end, not an error) is judged
exactly as a fresh answer (written staged, `check`ed) and used instead of asking again; it is recorded with
the duration of that attempt. Never with -B, which asks for a new answer, nor from a log whose answer
held a secret (`redact`): it keeps that answer redacted, no longer as the agent gave it.

A plain-text runner's output cannot show that it is complete (a killed agent's half answer looks like an
answer), so its attempt proves it instead: once its process has exited successfully and its answer is judged
a success, ``<stem>.done`` is written beside the logs (`note_done`), before the answer is staged and recorded.
A single-output agent's attempt with that mark is salvaged as above (a multi-output one's too, its
files kept first, see below): a build stopped after the answer came
(a full disk, a state database that could not be written, a crash before the record) does not pay for it
again.

A multi-output agent writes its files itself, in place, and they are undone unless its attempt is recorded;
so they are first kept beside its logs (``<stem>.salvage/``, see `backups`): by the attempt when it succeeded
or was cut short after the agent answered, or by recovery when agentmake died. The same key, a log that
proves the answer, and those files make the same salvage.

A key an older agentmake made from an endpoint's password (`plan.upgrade.endpoint_key_before`) is not
kept: the key files naming it are given the key the same call has now (`rekey_answers`), by the build that
rekeys the record or moves the cached result, or before the attempt that may salvage such an answer.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from agentmake.graph import Task
from agentmake.model import AgentSpec, ReportSpec, RunnerSpec, runner_name
from agentmake.pidtmp import left_over, tmp_name
from agentmake.plan import Decision
from agentmake.runners.backups import kept_files
from agentmake.runners.base import ExecutorBase
from agentmake.runners.capture import (
    MESSAGE_BYTES,
    copy_text,
    read_log,
    replace_private,
    text_blank,
    write_private,
)
from agentmake.runners.invocation import safe_name
from agentmake.runners.parse import delivered, failed_paid, parse_output
from agentmake.runners.parsed import Parsed
from agentmake.runners.redact import file_holds_redaction, holds_redaction
from agentmake.runners.result import AttemptResult
from agentmake.runners.staging import staged_path
from agentmake.runners.unfence import unfence

FORMATS = frozenset({"claude-json", "codex-jsonl", "gemini-json", "llm-json"})
_MAX_ATTEMPTS = 100  # attempt logs looked at per task (attempts of a run are numbered from 1, without gaps)
_COARSE = 2.0  # seconds a file's modification time may lag behind `time.time()` (`paid_in_logs`)
_PROBE = ".clock"  # (`_lag`'s probe file in the logs directory: `.clock.{pid}.{thread}.tmp`)
_REPORTED = "reported"  # a key file's line after its start: a build recorded what the answer cost


def key_file(stem: Path) -> Path:
    return stem.with_name(stem.name + ".key")


def done_file(stem: Path) -> Path:
    """Where a plain-text attempt notes that it ended in success (see the module docstring)."""
    return stem.with_name(stem.name + ".done")


def _took(source: Path, started: str) -> float:
    """How long the attempt at `source` ran: from the start its key file notes to its answer's last write."""
    at = _started(started)
    try:
        return 0.0 if at is None else max(source.with_name(source.name + ".out").stat().st_mtime - at, 0.0)
    except OSError:
        return 0.0


def _started(started: str) -> float | None:
    """When the attempt started, as its key file notes it after the key (None if unreadable)."""
    try:
        return float(started.split("\n", 1)[0])
    except ValueError:
        return None


def _paid_at(started: str) -> float | None:
    """When the attempt that paid for an answer started, unless a build recorded what it cost
    (`note_reported`): a spend reported already is not counted again (`scheduler.spending._unreported`)."""
    return None if _REPORTED in started.split("\n")[1:] else _started(started)


def note_reported(stem: Path, paid_at: float | None = None) -> None:
    """A build recorded the result of the attempt at `stem` with what it cost: noted in its key file, which
    outlives the state database (an answer salvaged once that is lost was paid for and reported). With
    `paid_at` (when that attempt started), only if the key file is still that attempt's: a later attempt at
    the same stem replaces it with its own (`_note_key`), whose spend is not reported yet."""
    path = key_file(stem)
    try:
        text = path.read_text(encoding="utf-8")
        if paid_at is not None and _started(text.partition("\n")[2]) != paid_at:
            return
        if _REPORTED not in text.split("\n")[2:]:
            replace_private(path, text + ("" if text.endswith("\n") else "\n") + _REPORTED + "\n")
    except OSError:  # (no key file: never salvaged; a full disk: counted again at worst)
        return


def _paid(result: AttemptResult) -> AttemptResult:
    """What the salvaged answer `result` cost, and which attempt paid for it: kept should its check fail."""
    return AttemptResult(
        "retry", cost_usd=result.cost_usd, tokens_in=result.tokens_in, tokens_out=result.tokens_out,
        salvaged=True, paid_by=result.paid_by, paid_at=result.paid_at,
    )  # fmt: skip


def _paid_by(parsed: Parsed, source: Path, paid_at: float | None) -> AttemptResult:
    """What the attempt at `source` (started at `paid_at`) cost, found in its log (`parsed`): no answer of
    this build's (`SalvageAttempts._paid_failures`, `_paid_unused`)."""
    return AttemptResult(
        "retry", cost_usd=parsed.cost_usd, tokens_in=parsed.tokens_in, tokens_out=parsed.tokens_out,
        salvaged=True, paid_by=source, paid_at=paid_at,
    )  # fmt: skip


def _notice(decision: Decision, source: Path) -> str:
    """What the summary says of an answer salvaged from `source`: whether its key had been recorded (its
    result since dropped from the cache) or never was (agentmake died first, or the state was lost)."""
    how = "recorded before but not in the cache" if decision.recorded else "never recorded"
    return f"an answer for the same key, {how}, salvaged from {source.name}.out: not asked again"


def forget_answers(log_dir: Path) -> int:
    """Make the answers in `log_dir` unusable for salvage (`agentmake clean --cache`): remove every key file
    (a `.done` mark without its key proves nothing), with any a kill -9 left half replaced (``.key.part``,
    `replace_private`), and every kept set of files. Returns how many key files there were."""
    if not log_dir.is_dir():
        return 0
    removed = 0
    for pattern in ("*.key", "*.key.part"):
        for path in log_dir.glob(pattern):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed += pattern == "*.key"
    for path in log_dir.glob("*.salvage"):
        shutil.rmtree(path, ignore_errors=True)
    return removed


def paid_in_logs(
    log_dir: Path, task_ids: Iterable[str], since: float, wanted: Callable[[float], bool]
) -> Iterator[tuple[str, Path, float, Parsed]]:
    """The attempts of `task_ids` started at a moment `wanted` (from `since` on) whose logs in `log_dir`
    hold the finished result of a JSON runner (an answer, or a failure its agent was paid for) that says what
    it cost, and whose key file no build noted reported (`note_reported`): each one's task, log stem, when it
    started, and that result; whatever the attempt's key (`scheduler.earlier.find_left`: what a killed build
    paid for that no later attempt may salvage). One listing of `log_dir`; a key file last written before
    `since` (its attempt started before it) is not read, nor the logs of one started when not `wanted`;
    `since` as the file times of `log_dir` have it (`_lag`: those of a file server may lag this clock)."""
    since -= _lag(log_dir)
    stems: list[str] = []
    try:
        now = time.time()
        with os.scandir(log_dir) as entries:
            for e in entries:
                if e.name.endswith(".key"):
                    if _since(e, since):
                        stems.append(e.name[: -len(".key")])
                elif e.name.startswith(f"{_PROBE}.") and left_over(e, now):  # (a killed build's `_lag`)
                    with contextlib.suppress(OSError):
                        os.unlink(e.path)
    except OSError:
        return
    if not stems:
        return
    ids = {safe_name(task_id): task_id for task_id in task_ids}
    for name in sorted(stems):
        base, _, n = name.rpartition(".")
        task_id = ids.get(base)
        if task_id is None or not n.isdigit():
            continue
        source = log_dir / name
        try:
            started = key_file(source).read_text(encoding="utf-8").partition("\n")[2]
        except OSError:
            continue
        paid_at = _paid_at(started)
        parsed = None if paid_at is None or not wanted(paid_at) else _paid_result(source)
        if parsed is not None and paid_at is not None:
            yield task_id, source, paid_at, parsed


def _lag(log_dir: Path) -> float:
    """How many seconds the times of files written in `log_dir` now lag `time.time()`: a file server's
    clock behind this machine's (NFS: a file's times are the server's), which a key file's time, compared
    with when a killed build began by this clock (`paid_in_logs`), would otherwise put before it: its spend
    never found. One file made and removed (one left by a kill -9 is removed by the next `paid_in_logs`);
    infinite (every key file read) when none can be."""
    probe = tmp_name(os.path.join(log_dir, _PROBE))
    try:
        now = time.time()
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        try:
            written = os.fstat(fd).st_mtime
        finally:
            os.close(fd)
            os.unlink(probe)
    except OSError:
        return float("inf")
    return max(now - written, 0.0)


def _since(entry: os.DirEntry[str], since: float) -> bool:
    """Whether the file `entry` was last written at `since` or later (or that cannot be told)."""
    try:
        return entry.stat().st_mtime >= since - _COARSE  # (a file's time lags the clock by up to a tick)
    except OSError:
        return True


def _paid_result(source: Path) -> Parsed | None:
    """The finished result the logs at `source` hold, in whichever JSON runner's format, if it says what it
    cost (in dollars or tokens); None otherwise."""
    out, err = read_log(source, ".out"), read_log(source, ".err")
    for fmt in sorted(FORMATS):
        parsed = delivered(fmt, out, err, answer_needed=False) or failed_paid(fmt, out, err)
        if parsed is not None and (parsed.cost_usd or parsed.tokens_in or parsed.tokens_out):
            return parsed
    return None


def _kept_files(source: Path, outputs: Sequence[str]) -> dict[str, Path] | None:
    """For a single output: {} (the answer is in the log). For several: output -> the file kept for it in
    ``<source>.salvage/`` (see `backups`), None if none were kept or they were kept for other outputs."""
    if len(outputs) == 1:
        return {}
    return kept_files(source.with_name(source.name + ".salvage"), outputs)


@dataclass(frozen=True)
class _Proven:
    """An earlier attempt's answer that its logs prove whole and successful (`SalvageAttempts._proven`): its
    log stem, its key file's start line(s), the answer parsed, the files kept for a multi-output agent's
    outputs (output -> file; {} for a single output, whose answer is in the log), and whether that log is
    copied as it is (plain text, one output) rather than its parsed answer written."""

    source: Path
    started: str
    parsed: Parsed
    files: dict[str, Path]
    streamed: bool


class SalvageAttempts(ExecutorBase):
    """The salvage half of `Executor` (see the module docstring)."""

    def _llm_runner(self, task: Task) -> RunnerSpec:
        """The runner of an LLM agent or of a report's merge agent."""
        return self._runner(runner_name(task.spec, self.agentfile.settings))

    def _salvageable(self, task: Task) -> bool:
        """An LLM agent (or merge report): its answer is proved by its log (JSON) or by its attempt's `.done`
        mark (plain text; a multi-output agent's attempt writes it once its files are kept)."""
        spec = task.spec
        return (isinstance(spec, AgentSpec) and not spec.is_shell) or (
            isinstance(spec, ReportSpec) and spec.merge is not None
        )

    def answer_format(self, task: Task) -> str | None:
        """The format of a multi-output `task`'s answer if a later run may salvage it (see `backups`): one
        its output proves complete (JSON), else None."""
        fmt = self._llm_runner(task).format
        return fmt if fmt in FORMATS and self._salvageable(task) else None

    def note_done(self, task: Task, stem: Path) -> None:
        """A plain-text attempt of `task` ended in success (its answer is in its log): mark it salvageable."""
        if self._llm_runner(task).format not in FORMATS and self._salvageable(task):
            with contextlib.suppress(OSError):  # (a full disk: the answer is kept as before, not salvaged)
                write_private(done_file(stem), "")  # (owner-only, as the logs it vouches for)

    def _note_key(self, task: Task, stem: Path, key: str | None) -> None:
        """Before an attempt starts: its older logs go (what proves an answer first), then its key replaces
        the older one whole (`replace_private`), so a key file never sits beside another attempt's output,
        and a kill -9 at any moment leaves one there: a later build looks at the logs of attempt N+1 only
        if attempt N left a key file (`_attempt_keys`), and an answer paid for there was asked again."""
        if key is None or not self._salvageable(task):
            return
        for suffix in (".done", ".out", ".err"):
            with contextlib.suppress(FileNotFoundError):
                stem.with_name(stem.name + suffix).unlink()
        shutil.rmtree(stem.with_name(stem.name + ".salvage"), ignore_errors=True)
        replace_private(key_file(stem), f"{key}\n{time.time()}\n")  # the key, when it started (owner-only)

    def _keyed(self, task: Task, decision: Decision) -> Iterator[tuple[Path, str]]:
        """The earlier attempts of `task` made for `decision.key`: each one's log stem and when it started
        (none for a task that is never salvaged, or with -B)."""
        if decision.key is None or any(r.kind == "forced" for r in decision.reasons):
            return
        if not self._salvageable(task):
            return
        for source, key, started in self._attempt_keys(task.id):
            if key == decision.key:
                yield source, started

    def _attempt_keys(self, task_id: str) -> Iterator[tuple[Path, str, str]]:
        """The earlier attempts of `task_id` that left a key file: each one's log stem, key and start."""
        base = safe_name(task_id)
        for n in range(1, _MAX_ATTEMPTS + 1):
            source = self.log_dir / f"{base}.{n}"
            try:
                key, _, started = key_file(source).read_text(encoding="utf-8").partition("\n")
            except FileNotFoundError:
                return
            except OSError:
                continue
            yield source, key, started

    def rekey_answers(self, task_id: str, old_key: str, key: str) -> None:
        """The key files of `task_id`'s earlier attempts made for `old_key` name `key` instead: the same call
        keyed otherwise, the old key one an older agentmake made from an endpoint's password
        (`plan.upgrade.endpoint_key_before`, `Store.note_rekey`), which is not kept; their answers stay
        salvageable under the key the call has now. A file that cannot be rewritten is removed (its answer
        is then never salvaged)."""
        for source, found, started in list(self._attempt_keys(task_id)):
            if found != old_key:
                continue
            try:
                replace_private(key_file(source), f"{key}\n{started}")
            except OSError:
                with contextlib.suppress(OSError):
                    key_file(source).unlink()

    def may_salvage(self, task: Task, decision: Decision) -> bool:
        """Whether an earlier attempt made for `decision.key` left its logs (its answer is judged only by
        `_salvage`): the scheduler starts such a task's first attempt even when the build calls its agent no
        more (the budget reached, its runner refused), since a salvaged answer costs nothing; the attempt
        is held before it would call (`calls_held`)."""
        return next(self._keyed(task, decision), None) is not None

    def salvage_source(self, task: Task, decision: Decision) -> Path | None:
        """The log stem of the first earlier answer for `decision.key` that `_salvage` would try (its logs
        prove it whole and successful), None if there is none: what `agentmake -n` says the build will take
        instead of asking. Nothing is staged or checked (a `check` may still reject it)."""
        found = next(self._proven(task, decision), None)
        return None if found is None else found.source

    def paid_answers(self, task: Task, decision: Decision) -> list[AttemptResult]:
        """What each answer `_salvage` may find for `decision.key` cost, and which attempt paid for it, found
        without staging or judging it (the scheduler counts it against the budget as the task is decided,
        before any other call starts: `scheduler.earlier`); [] for a task that is never salvaged, or
        with -B."""
        answers = [_paid(self._answer(task, decision, found)) for found in self._proven(task, decision)]
        return self._paid_failures(task, decision) + self._paid_unused(task, decision) + answers

    def _paid_failures(self, task: Task, decision: Decision) -> list[AttemptResult]:
        """What each earlier attempt made for `decision.key` that ended in a failure its agent was paid for
        cost (its log holds the finished error result of a JSON runner, which says its cost: claude stopped
        at its turn limit), and which attempt paid for it. When agentmake died before it recorded that
        failure, no history row holds it (`earlier.unreported`): the build that finds it reports it, as paid
        by an interrupted run, with the answers that failed their check (`AttemptResult.rejected`)."""
        if not self._salvageable(task) or self._llm_runner(task).format not in FORMATS:
            return []
        fmt, failures = self._llm_runner(task).format, []
        for source, started in self._keyed(task, decision):
            parsed = failed_paid(fmt, read_log(source, ".out"), read_log(source, ".err"))
            if parsed is None:
                continue
            failures.append(_paid_by(parsed, source, _paid_at(started)))
        return failures

    def _paid_unused(self, task: Task, decision: Decision) -> list[AttemptResult]:
        """What each earlier attempt of `task` whose answer this build never uses cost, and which attempt
        paid for it: one whose log holds a finished result of a JSON runner (an answer, or a failure its
        agent was paid for) that no build noted reported, made for another key (its inputs or prompt
        changed since), or any with -B, or an answer of this key that is never salvaged (`_proven`: it held
        a secret, a multi-output agent's files were not kept). The task's first attempt replaces those logs
        with its own: so what no build reported (`earlier.unreported`) is recorded before it calls
        (`Executor.on_found`), as that of a rejected answer is; before, no build ever reported it."""
        runner = self._llm_runner(task)
        if not self._salvageable(task) or runner.format not in FORMATS:
            return []
        forced = any(r.kind == "forced" for r in decision.reasons)
        unused, proven = [], None
        for source, key, started in self._attempt_keys(task.id):
            paid_at = _paid_at(started)
            if paid_at is None:  # (a build reported it)
                continue
            out, err = read_log(source, ".out"), read_log(source, ".err")
            ours = key == decision.key and not forced
            parsed = delivered(runner.format, out, err, answer_needed=len(task.outputs) == 1)
            if parsed is None and not ours:
                parsed = failed_paid(runner.format, out, err)  # (of this key: `_paid_failures`)
            if parsed is None:
                continue
            if ours:  # (an answer for this key: salvage's to use, if it may)
                proven = {f.source for f in self._proven(task, decision)} if proven is None else proven
                if source in proven:
                    continue
            unused.append(_paid_by(parsed, source, paid_at))
        return unused

    def _proven(self, task: Task, decision: Decision) -> Iterator[_Proven]:
        """The earlier attempts made for `decision.key` whose logs prove a whole, successful answer that may
        be used (not a redacted one), and the files kept for it, in the order `_salvage` tries them."""
        if not self._salvageable(task):
            return
        runner = self._llm_runner(task)
        single = len(task.outputs) == 1
        streamed = runner.format == "text" and single  # (copied from its log, never held whole: `execute`)
        limit = MESSAGE_BYTES if streamed else None
        for source, started in self._keyed(task, decision):
            out, err = read_log(source, ".out", limit), read_log(source, ".err", limit)
            out_log = source.with_name(source.name + ".out")
            if runner.format in FORMATS:
                parsed = delivered(runner.format, out, err, answer_needed=single)
            elif done_file(source).exists():  # (plain text: the attempt proved it ended in success)
                parsed = parse_output(runner.format, out, err)
            else:
                continue
            if parsed is None or parsed.is_error:
                continue
            if single and (text_blank(out_log) if streamed else not (parsed.answer or "").strip()):
                continue  # (a multi-output agent's answer is its files: its text may well be empty)
            redacted = file_holds_redaction(out_log) if streamed else holds_redaction(parsed.answer or "")
            if single and redacted:
                continue  # (the answer held a secret: its log keeps it redacted, not as the agent gave it)
            files = _kept_files(source, task.outputs)
            if files is None:
                continue
            yield _Proven(source, started, parsed, files, streamed)

    def _answer(self, task: Task, decision: Decision, found: _Proven) -> AttemptResult:
        """The ok result of the answer `found`, not staged yet."""
        parsed = found.parsed
        return AttemptResult(
            "ok",
            message=_notice(decision, found.source),
            cost_usd=parsed.cost_usd,
            tokens_in=parsed.tokens_in,
            tokens_out=parsed.tokens_out,
            salvaged=True,
            duration=_took(found.source, found.started),
            paid_by=found.source,
            paid_at=_paid_at(found.started),
        )

    def _salvage(
        self, task: Task, decision: Decision, stem: Path, cancel: threading.Event
    ) -> tuple[AttemptResult | None, list[AttemptResult]]:
        """An ok result from an earlier attempt's answer for `decision.key`, staged and checked, None if there
        is none to use (the task then runs); and the answers found that failed the check (what each cost, paid
        by its interrupted run: `AttemptResult.rejected`)."""
        # (their spend is told as that of rejected answers, as is that of answers made for another key)
        rejected = self._paid_failures(task, decision) + self._paid_unused(task, decision)
        for found in self._proven(task, decision):
            result = self._answer(task, decision, found)
            out_log = found.source.with_name(found.source.name + ".out")
            for out in task.outputs:
                result.staged[out] = staged_path(self.root, out, self._dirs)
                if out in found.files:
                    shutil.copy2(found.files[out], result.staged[out])
                else:
                    if found.streamed:
                        copy_text(out_log, result.staged[out])
                    else:
                        result.staged[out].write_text(found.parsed.answer or "", encoding="utf-8")
                    unfence(result.staged[out], out)  # (as the attempt that answered would have)
            spec = task.spec
            assert isinstance(spec, (AgentSpec, ReportSpec))
            paid = _paid(result)
            runner = self._llm_runner(task)
            result = self._checked(task, spec, result, stem, self._timeout(spec, runner), cancel)
            # (what the check says of an earlier build's answer is not told: the call that follows is this
            # build's first, sent the task's prompt as rendered; only a retry within it is told, `feedback`)
            self.feedback.pop(task.id, None)
            if result.outcome == "ok":
                return result, rejected  # (else the answer fails its check: a later attempt's may pass)
            rejected.append(paid)
        return None, rejected
