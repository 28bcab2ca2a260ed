"""What `-v` shows of an attempt whose CLI answers in JSON: its answer (or error) and its cost, turns and
tokens, once parsed; not the raw JSON, which stays in the attempt's log (`<log_dir>/<id>.<n>.out`). A CLI
that printed plain text instead (an error, a proxy's page) is shown as it printed it, up to `SHOWN` lines
of up to `WIDE` characters."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from agentmake.runners.parsed import Parsed, json_values
from agentmake.safetext import term_safe
from agentmake.scheduler.summary import usd


def figures(parsed: Parsed) -> str:
    """`cost $0.000024, 1 turn, 3 tokens in / 1 out`: what the CLI reported of them (empty if nothing)."""
    said = []
    if parsed.cost_usd is not None:
        said.append(f"cost {usd(parsed.cost_usd)}")
    if parsed.turns is not None:
        said.append(f"{parsed.turns} turn{'' if parsed.turns == 1 else 's'}")
    if parsed.tokens_in is not None or parsed.tokens_out is not None:
        said.append(f"{parsed.tokens_in or 0:,} tokens in / {parsed.tokens_out or 0:,} out")
    return ", ".join(said)


SHOWN = 40  # lines of plain text shown at most: the first and last half, and how many between
WIDE = 400  # characters of a line of it shown at most: its start, and how many more (a page on one line)


def printed_lines(stdout: str, error: str) -> list[str]:
    """The lines a JSON CLI printed as plain text (no JSON value in `stdout`), `error` (the first of them, as
    the parser took it) said as the error; past `SHOWN` lines, the first and last half of them and a line
    saying how many more the log holds; past `WIDE` characters, a line's start and how many more. [] when
    `stdout` holds JSON, or nothing."""
    if not stdout.strip() or next(json_values(stdout), None) is not None:
        return []
    lines = stdout.strip("\n").splitlines()
    while lines and not lines[0].strip():  # (`first_line`: the first line not blank)
        del lines[0]
    if lines and lines[0].strip() == error:
        lines[0] = f"error: {lines[0].strip()}"
    else:
        lines.insert(0, f"error: {error}")
    if len(lines) > SHOWN:
        more = len(lines) - SHOWN
        lines = [*lines[: SHOWN // 2], f"… {more:,} more lines (in the attempt's log)", *lines[-SHOWN // 2 :]]
    return [_cut(line) for line in lines]


def _cut(line: str) -> str:
    """`line`, or its first `WIDE` characters and how many more there are."""
    if len(line) <= WIDE:
        return line
    return f"{line[:WIDE]} … {len(line) - WIDE:,} more characters (in the attempt's log)"


def tell_parsed(
    task_id: str,
    parsed: Parsed,
    redact: Callable[[str], str] = str,
    stream: TextIO | None = None,
    stdout: str = "",
) -> None:
    """Write the answer's lines (else its error: with `stdout`, what the CLI printed, all of it if that was
    plain text, `printed_lines`), then its figures, each prefixed `[task] ` as the verbose tail's lines are,
    `redact`ed and `term_safe`; in one write, so that other tasks' lines do not come between them. Nothing
    for an attempt with nothing parsed (cancelled before it ended)."""
    prefix = f"[{term_safe(task_id)}] "
    lines = (parsed.answer or "").splitlines() if parsed.answer is not None else []
    if parsed.answer is None and parsed.error:
        # (`parsed.error` is redacted already: so is what it is compared with)
        lines = printed_lines(redact(stdout), parsed.error) or [f"error: {parsed.error}"]
    said = figures(parsed)
    if said:
        lines.append(f"({said})")
    if lines:
        out = stream if stream is not None else sys.stderr
        out.write("".join(prefix + term_safe(redact(line)) + "\n" for line in lines))
        out.flush()
