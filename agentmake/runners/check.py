"""Verify staged outputs before they are committed: `check = json` parses each one (a JSON Lines output,
`.jsonl`, line by line); a command check is
rendered with `agentmake.templates.render_command` (every value shell-quoted, `{output}` = the *staged*
file) and must exit 0 under `sh -c`.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from agentmake.errors import AgentmakeError, UsageError
from agentmake.graph import Task
from agentmake.model import Agentfile, AgentSpec, Check
from agentmake.runners.capture import read_ends
from agentmake.runners.classify import one_line
from agentmake.runners.process import run_process
from agentmake.runners.redact import NO_REDACTION
from agentmake.templates import render_command

CANNOT_RUN = (126, 127)  # the shell's exit codes for a command it found but cannot execute, or did not find
TIMED_OUT = "check timed out"  # how `run_check`'s reason starts when the command ran out of time


class CheckCannotRun(AgentmakeError):
    """A check command that cannot run as written (exit 126 or 127: a program not found or not executable):
    the task fails without another call, since a retry's answer could not be judged either."""


def command_values(task: Task, outputs: Sequence[str]) -> dict[str, str | Sequence[str]]:
    """Substitution values for a shell command: inputs as declared, `outputs` as given (staged paths)."""
    values: dict[str, str | Sequence[str]] = {
        "input": task.inputs[0] if task.inputs else "",
        "inputs": list(task.inputs),
        "output": outputs[0] if outputs else "",
        "outputs": list(outputs),
    }
    values.update(task.wildcard_values)
    return values


def run_check(
    check: Check,
    task: Task,
    staged: Mapping[str, Path],
    *,
    root: Path,
    log_stem: Path,
    timeout: float | None,
    cancel: threading.Event,
    on_spawn: Callable[[int, int], None] | None = None,
    redact: Callable[[str], str] = NO_REDACTION,
    token: str | None = None,
    logs: str = "check",
) -> str | None:
    """None when every output passes, else a one-line reason; raises `CheckCannotRun` when the command cannot
    run (not found, not executable). `log_stem` + ``.check.out``/``.check.err`` get the check command's
    output (``.<logs>.out``/``.err``). `on_spawn(pid, pgid)`: the check command's process, the moment it
    exists (so that, like the agent's, it is in the spawn log and ended if agentmake dies). `redact`: takes
    the secrets out of the command's output before a line of it is quoted (see `redact`; the caller redacts
    the logs). `token`: the spawn log's for the command's process (`runners.process`)."""
    if check.kind == "json":
        for out, path in staged.items():
            try:
                problem = _json_problem(out, path.read_text(encoding="utf-8"))
            except UnicodeDecodeError as e:
                problem = f"{out} is not valid JSON ({e})"
            if problem is not None:
                return f"check failed: {problem}"
        return None
    if check.kind != "command" or not check.command:
        return f"unknown check {check.kind!r}"
    staged_paths = [os.path.relpath(staged[o], root) for o in task.outputs if o in staged]
    command = render_command(check.command, command_values(task, staged_paths))
    out_log = log_stem.with_name(f"{log_stem.name}.{logs}.out")
    err_log = log_stem.with_name(f"{log_stem.name}.{logs}.err")
    res = run_process(
        ["sh", "-c", command],
        stdin=None,
        env=dict(os.environ),
        cwd=root,
        stdout_path=out_log,
        stderr_path=err_log,
        timeout=timeout,
        cancel=cancel,
        on_spawn=on_spawn,
        token=token,
    )
    if res.exit_code == 0:
        return None
    # the message names the declared outputs: the staged files it ran on are deleted by then
    shown = render_command(check.command, command_values(task, task.outputs))
    if res.timed_out:
        return f"{TIMED_OUT}" + (f" after {timeout:g}s" if timeout else "") + f": {shown}"
    detail = one_line(redact(_text(err_log))) or one_line(redact(_text(out_log)))
    detail = _unstage(detail, staged, root)
    if res.exit_code in CANNOT_RUN:  # (every retry would pay for an answer the check cannot judge)
        raise CheckCannotRun(
            f"check cannot run (exit {res.exit_code}): {shown}" + (f": {detail}" if detail else "")
        )
    return f"check failed (exit {res.exit_code}): {shown}" + (f": {detail}" if detail else "")


def check_printed(
    log_stem: Path, staged: Mapping[str, Path], root: Path, redact: Callable[[str], str], logs: str = "check"
) -> str:
    """What a check command printed (`run_check`'s logs: its stderr, then its stdout; their ends if long),
    secrets taken out and staged paths named as their outputs, as its message names them."""
    parts = [_text(log_stem.with_name(f"{log_stem.name}.{logs}.{stream}")) for stream in ("err", "out")]
    return _unstage(redact("\n".join(p.strip() for p in parts if p.strip())), staged, root)


def check_in_place(agentfile: Agentfile) -> Callable[[Task], str | None]:
    """What the rebuilder asks when a task's check is all that changed (`Rebuilder.checker`), of a `json`
    check only (a check command is run by the task's attempt: `recheck_in_place`): None if the outputs in
    place pass it (or the task has no check any more), else why not."""
    return lambda task: recheck_in_place(agentfile, task, log_stem=None, cancel=threading.Event())


def recheck_in_place(
    agentfile: Agentfile,
    task: Task,
    *,
    log_stem: Path | None,
    cancel: threading.Event,
    on_spawn: Callable[[int, int], None] | None = None,
    redact: Callable[[str], str] = NO_REDACTION,
    token: str | None = None,
    copies: Mapping[str, Path] | None = None,
) -> str | None:
    """The first step of an attempt whose task's check alone changed (`Decision.recheck`): its check run on
    its outputs in place, None if they pass it, else why not. ``{output}`` is the output itself, or with
    `copies` (output -> a staged copy of it: `staging.stage_copies`) its copy, as in an attempt's check, so
    a check that rewrites what it checks (`sed -i`, a formatter) leaves the output in place as it was. A check
    command's output goes to the attempt's logs, `log_stem` + ``.recheck.out``/``.recheck.err`` (the
    attempt's ``.check.*`` logs are for the check of what its agent makes, if it is called); None: to a
    temporary directory, removed after (a `json` check, which prints nothing). Its time limit is a check's
    (`check_timeout`) of the agent's, else its runner's, else the Agentfile's.
    `cancel`, `on_spawn`, `redact`, `token`: as for `run_check`."""
    spec = task.spec
    if not isinstance(spec, AgentSpec) or spec.check is None:
        return None
    runner = agentfile.runners.get(spec.runner)
    own = spec.timeout or (runner.timeout if runner is not None else None)
    timeout = check_timeout(own or agentfile.settings.timeout)
    root = agentfile.root
    outputs = dict(copies) if copies is not None else {out: root / out for out in task.outputs}
    with contextlib.ExitStack() as stack:
        if log_stem is None:
            import tempfile  # (a recheck without logs only: see `statusfile.flush`)

            log_stem = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="agentmake-check-"))) / "c"
        return run_check(
            spec.check, task, outputs, root=root, log_stem=log_stem, timeout=timeout,
            cancel=cancel, on_spawn=on_spawn, redact=redact, token=token, logs="recheck",
        )  # fmt: skip


CHECK_TIMEOUT = 600.0  # seconds: the longest a check command may take, unless AGENTMAKE_CHECK_TIMEOUT says


def check_timeout(limit: float | None) -> float:
    """The time limit of a check command of an agent whose attempt's limit is `limit` (None: none): that
    limit, but at most `check_cap()`. A check judges an answer; it does not make one, and a hung check
    given the agent's whole limit held its slot for an hour (an LLM agent's default), or for ever (a shell
    agent's, which has none)."""
    cap = check_cap()
    return cap if limit is None else min(limit, cap)


def check_cap() -> float:
    """`CHECK_TIMEOUT`, or the duration env AGENTMAKE_CHECK_TIMEOUT gives (for checks that run long, a
    test suite); raises `UsageError` if it is not one (`workflow` asks before a build starts)."""
    value = os.environ.get("AGENTMAKE_CHECK_TIMEOUT")
    if not value:
        return CHECK_TIMEOUT
    from agentmake.syntax.values import parse_duration  # (as `workflow.backoff_base`: only when set)

    seconds = parse_duration(value)
    if seconds is None or seconds <= 0:
        example = "such as 90s, 10m or 1h, or a number of seconds"
        raise UsageError(f"AGENTMAKE_CHECK_TIMEOUT must be a duration above 0 {example}, not {value!r}")
    return seconds


JSON_LINES = (".jsonl", ".ndjson")  # outputs `check = json` reads as JSON Lines: one JSON value a line


def _json_problem(out: str, text: str) -> str | None:
    """Why `text`, output `out`, is not JSON, None if it is: one document, or for a JSON Lines output
    (`JSON_LINES`) one value on each line that is not blank (none at all: zero records), as jq reads it."""
    if not out.lower().endswith(JSON_LINES):
        try:
            json.loads(text, parse_constant=_not_json)
        except ValueError as e:
            return f"{out} is not valid JSON ({e})"
        except RecursionError:  # (jq too refuses a value nested so deep: "Exceeds depth limit for parsing")
            return f"{out} is JSON nested too deeply to read"
        return None
    for number, line in enumerate(text.split("\n"), 1):  # (not splitlines: U+2028 may be in a string)
        if not line.strip():
            continue
        try:
            json.loads(line, parse_constant=_not_json)
        except ValueError as e:
            return f"{out} line {number} is not valid JSON ({e})"
        except RecursionError:
            return f"{out} line {number} is JSON nested too deeply to read"
    return None


def _not_json(word: str) -> object:
    """`NaN`, `Infinity` and `-Infinity`, which Python's parser alone accepts: not JSON (RFC 8259), and the
    consumers of an output (jq, `JSON.parse`, most parsers) refuse them."""
    raise ValueError(f"{word} is not a JSON value")


def _text(log: Path) -> str:
    """A log's text, as much as a message needs (its ends: `read_ends`); "" when the stream printed nothing
    (no log file then)."""
    return read_ends(log)


def _unstage(text: str, staged: Mapping[str, Path], root: Path) -> str:
    """`text` with each staged path (absolute, project-relative or bare file name) replaced by its output."""
    for out, path in staged.items():
        for old, new in (
            (str(path), str(root / out)),
            (os.path.relpath(path, root), out),
            (path.name, Path(out).name),
        ):
            text = text.replace(old, new)
    return text
