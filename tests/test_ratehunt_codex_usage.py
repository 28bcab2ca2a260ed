"""codex's `turn.completed.usage` is the thread's running total since it started (its JSONL writer fills it
from the last `total_token_usage`), not the turn's own: an exec that reports several turns spent what the
last one says, not the sum of them all."""

from __future__ import annotations

import json

from agentmake.runners.parse import parse_output


def _turn(tin: int, tout: int) -> dict[str, object]:
    usage = {"input_tokens": tin, "cached_input_tokens": 0, "output_tokens": tout}
    return {"type": "turn.completed", "usage": usage}


def test_codex_tokens_are_the_last_running_total() -> None:
    message = {"type": "item.completed", "item": {"id": "i", "type": "agent_message", "text": "done"}}
    events = [{"type": "thread.started", "thread_id": "t"}, {"type": "turn.started"}, _turn(100, 10),
              {"type": "turn.started"}, message, _turn(250, 30)]  # fmt: skip
    parsed = parse_output("codex-jsonl", "\n".join(json.dumps(e) for e in events) + "\n", "")
    assert (parsed.answer, parsed.tokens_in, parsed.tokens_out) == ("done", 250, 30)


def test_codex_failed_turn_keeps_the_running_total_before_it() -> None:
    events = [_turn(100, 10), {"type": "turn.failed", "error": {"message": "boom"}}]
    parsed = parse_output("codex-jsonl", "\n".join(json.dumps(e) for e in events) + "\n", "")
    assert parsed.is_error and (parsed.tokens_in, parsed.tokens_out) == (100, 10)
