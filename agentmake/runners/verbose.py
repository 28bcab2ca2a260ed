"""What `-v` shows of an attempt whose CLI answers in JSON: its answer (or error) and its cost, turns and
tokens, once parsed; not the raw JSON, which stays in the attempt's log (`<log_dir>/<id>.<n>.out`)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from agentmake.runners.parsed import Parsed
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


def tell_parsed(
    task_id: str, parsed: Parsed, redact: Callable[[str], str] = str, stream: TextIO | None = None
) -> None:
    """Write the answer's lines (else its error), then its figures, each prefixed `[task] ` as the verbose
    tail's lines are, `redact`ed and `term_safe`; in one write, so that other tasks' lines do not come
    between them. Nothing for an attempt with nothing parsed (cancelled before it ended)."""
    prefix = f"[{term_safe(task_id)}] "
    lines = (parsed.answer or "").splitlines() if parsed.answer is not None else []
    if parsed.answer is None and parsed.error:
        lines = [f"error: {parsed.error}"]
    said = figures(parsed)
    if said:
        lines.append(f"({said})")
    if lines:
        out = stream if stream is not None else sys.stderr
        out.write("".join(prefix + term_safe(redact(line)) + "\n" for line in lines))
        out.flush()
