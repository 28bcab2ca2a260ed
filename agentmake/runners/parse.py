"""Read an agent's answer, error and spend out of what it printed, one function per output format.

Every parser returns a `Parsed` (`runners.parsed`). The JSON formats are read here; the plain-text ones
(`text`, `aider-text`) in `runners.parsetext`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agentmake.runners.parsed import Parsed, dollars_or_none, first_line, int_or_none, json_values, sum_known
from agentmake.runners.parsetext import parse_aider_text, parse_text, text_tokens


def _claude_results(stdout: str) -> list[dict[str, Any]]:
    """claude's result objects in `stdout`: the object `--output-format json` prints, the result events of
    `stream-json`, or, in verbose mode (`--verbose`, or `"verbose": true` in its settings.json, which each
    job's config directory gets a copy of), the result that ends the JSON array of messages `json` then
    prints (anthropics/claude-code#84784)."""
    results = []
    for value in json_values(stdout):
        for v in value if isinstance(value, list) else (value,):
            if isinstance(v, dict) and v.get("type") == "result":
                results.append(v)
    return results


def parse_claude_json(stdout: str, stderr: str) -> Parsed:
    """`claude -p --output-format json` (one result object; in verbose mode, an array of messages ending with
    it) or `stream-json` (the last result event)."""
    results = _claude_results(stdout)
    if not results:
        return Parsed(is_error=True, error=first_line(stdout) or first_line(stderr) or "no result object")
    r = results[-1]
    usage: dict[str, Any] = r["usage"] if isinstance(r.get("usage"), dict) else {}
    tokens_in = sum_known(
        [
            int_or_none(usage.get("input_tokens")),
            int_or_none(usage.get("cache_creation_input_tokens")),
            int_or_none(usage.get("cache_read_input_tokens")),
        ]
    )
    cost = r.get("total_cost_usd")
    result = r.get("result") if isinstance(r.get("result"), str) else None
    subtype = r.get("subtype")
    is_error = bool(r.get("is_error")) or (subtype not in (None, "success"))
    error = None
    if is_error:
        # (an error subtype's result has no `result`: its `errors` list says what went wrong)
        listed: list[Any] = r["errors"] if isinstance(r.get("errors"), list) else []
        errors = [e.strip() for e in listed if isinstance(e, str) and e.strip()]
        if result:
            error = result
        elif subtype and subtype != "success":
            error = f"claude stopped ({subtype})" + (f": {'; '.join(errors)}" if errors else "")
        else:
            error = "; ".join(errors) or "claude reported an error"
    return Parsed(
        answer=None if is_error else result,
        is_error=is_error,
        error=error,
        status=int_or_none(r.get("api_error_status")),
        denied=_denials(r.get("permission_denials")),
        stopped=subtype if is_error and isinstance(subtype, str) and subtype != "success" else None,
        cost_usd=dollars_or_none(cost),
        tokens_in=tokens_in,
        tokens_out=int_or_none(usage.get("output_tokens")),
        turns=int_or_none(r.get("num_turns")),
    )


def _denials(value: Any) -> list[str]:
    """claude's `permission_denials` as "Tool path" strings (the path when the tool input names one)."""
    out = []
    for d in value if isinstance(value, list) else ():
        if isinstance(d, dict) and isinstance(d.get("tool_name"), str):
            tool_input: dict[str, Any] = d["tool_input"] if isinstance(d.get("tool_input"), dict) else {}
            path = tool_input.get("file_path") or tool_input.get("path")
            out.append(f"{d['tool_name']} {path}" if isinstance(path, str) else d["tool_name"])
    return out


def relative_denial(root: Path, denial: str) -> str:
    """A `denied` entry, its path relative to `root` when inside it (a tool may get an absolute path)."""
    tool, sep, path = denial.partition(" ")
    if sep and os.path.isabs(path):
        with contextlib.suppress(ValueError):
            return f"{tool} {Path(path).relative_to(root)}"
    return denial


def parse_codex_jsonl(stdout: str, stderr: str) -> Parsed:
    """`codex exec --json`: the last completed `agent_message` is the answer; `turn.failed` fails it, and so
    does the lack of a `turn.completed` (codex prints it once its turn has finished: without it, the turn was
    cut short, whatever the exit code, and its last message is no answer). The tokens are the last
    `turn.completed`'s: its `usage` is the thread's running total (codex fills it from its last
    `total_token_usage`), so adding up several turns' would count the first ones again."""
    answer: str | None = None
    errors: list[str] = []
    failed = completed = False
    tin: int | None = None
    tout: int | None = None
    for ev in json_values(stdout):
        if not isinstance(ev, dict):
            continue
        kind = ev.get("type")
        if kind == "item.completed" and isinstance(ev.get("item"), dict):
            item = ev["item"]
            if item.get("type") == "agent_message" and isinstance(item.get("text"), str):
                answer = item["text"]
            elif item.get("type") == "error" and isinstance(item.get("message"), str):
                errors.append(item["message"])
        elif kind == "turn.completed":
            completed = True
            if isinstance(ev.get("usage"), dict):
                tin, tout = (
                    int_or_none(ev["usage"].get("input_tokens")),
                    int_or_none(ev["usage"].get("output_tokens")),
                )
        elif kind == "turn.failed":
            failed = True
            err = ev.get("error")
            msg = err.get("message") if isinstance(err, dict) else None
            errors.append(msg if isinstance(msg, str) else "turn failed")
        elif kind == "error" and isinstance(ev.get("message"), str):
            errors.append(ev["message"])
    if failed:
        return Parsed(is_error=True, error=errors[-1], tokens_in=tin, tokens_out=tout)
    if not completed:
        said = f": {errors[-1]}" if errors else ""
        why = f"codex ended its turn without finishing it (no turn.completed){said}"
        return Parsed(is_error=True, error=why)
    return Parsed(answer=answer, tokens_in=tin, tokens_out=tout)


def _gemini_stream(events: list[Any]) -> Parsed:
    """`gemini -o stream-json`: JSONL events, the answer in the assistant's `message` events (deltas, joined),
    then a `result` event: `status` "success" or "error" (with `error{type, message}`), and `stats` whose
    `input_tokens` is every prompt token and `output_tokens` the candidates' (gemini-cli's
    StreamJsonFormatter). Without a result the stream was cut short: a failure."""
    parts: list[str] = []
    result: dict[str, Any] | None = None
    for ev in events:
        if not isinstance(ev, dict):
            continue
        if (
            ev.get("type") == "message"
            and ev.get("role") == "assistant"
            and isinstance(ev.get("content"), str)
        ):
            parts.append(ev["content"])
        elif ev.get("type") == "result":
            result = ev
    if result is None:
        return Parsed(is_error=True, error="gemini's stream ended without a result event")
    stats: dict[str, Any] = result["stats"] if isinstance(result.get("stats"), dict) else {}
    tokens_in, tokens_out = int_or_none(stats.get("input_tokens")), int_or_none(stats.get("output_tokens"))
    if result.get("status") != "success":
        err = result.get("error")
        msg = err.get("message") if isinstance(err, dict) else None
        error = msg if isinstance(msg, str) else "gemini reported an error"
        return Parsed(is_error=True, error=error, tokens_in=tokens_in, tokens_out=tokens_out)
    return Parsed(answer="".join(parts), tokens_in=tokens_in, tokens_out=tokens_out)


def _is_gemini_event(value: Any) -> bool:
    return isinstance(value, dict) and value.get("type") in ("init", "message", "result")


def parse_gemini_json(stdout: str, stderr: str) -> Parsed:
    """`gemini -o json`: `{response, stats}` on stdout; an API error is `{error:{...}}` on stderr. Also
    `gemini -o stream-json` (`_gemini_stream`), told apart by its events' `type`."""
    values = list(json_values(stdout))
    if any(_is_gemini_event(v) for v in values):
        return _gemini_stream(values)
    for value in json_values(stderr):
        if isinstance(value, dict) and isinstance(value.get("error"), dict):
            err = value["error"]
            msg = err.get("message") if isinstance(err.get("message"), str) else "gemini reported an error"
            code = err.get("code")
            return Parsed(is_error=True, error=msg, status=code if isinstance(code, int) else None)
    for value in values:
        if not isinstance(value, dict):
            continue
        if isinstance(value.get("error"), dict):
            err = value["error"]
            return Parsed(is_error=True, error=str(err.get("message")), status=int_or_none(err.get("code")))
        if "response" in value:
            tin: list[int | None] = []
            tout: list[int | None] = []
            models = (value.get("stats") or {}).get("models") or {}
            for m in models.values() if isinstance(models, dict) else ():
                tokens = m.get("tokens") if isinstance(m, dict) else None
                if isinstance(tokens, dict):
                    # `prompt` is every input token; `input` only the uncached ones (prompt - cached)
                    prompt = int_or_none(tokens.get("prompt"))
                    if prompt is None:
                        prompt = sum_known(
                            [int_or_none(tokens.get("input")), int_or_none(tokens.get("cached"))]
                        )
                    tin.append(prompt)
                    tout.append(
                        sum_known(
                            [int_or_none(tokens.get("candidates")), int_or_none(tokens.get("thoughts"))]
                        )
                    )  # (billed)
            resp = value.get("response")
            return Parsed(
                answer=resp if isinstance(resp, str) else None,
                tokens_in=sum_known(tin),
                tokens_out=sum_known(tout),
            )
    return Parsed(is_error=True, error=first_line(stderr) or "no JSON response from gemini")


def parse_llm_json(stdout: str, stderr: str) -> Parsed:
    """`llm --json`: an array of response objects; the answer is their responses joined."""
    for value in json_values(stdout):
        items = value if isinstance(value, list) else [value]
        responses = [i for i in items if isinstance(i, dict) and isinstance(i.get("response"), str)]
        if responses:
            return Parsed(
                answer="".join(r["response"] for r in responses),
                tokens_in=sum_known([int_or_none(r.get("input_tokens")) for r in responses]),
                tokens_out=sum_known([int_or_none(r.get("output_tokens")) for r in responses]),
            )
    return Parsed(is_error=True, error=first_line(stderr) or "no JSON response from llm")


# The finish reasons of an answer that is not whole: cut at the token limit, or withheld by a filter
CUT_SHORT = {"length": "cut short at its token limit", "content_filter": "withheld by the server's filter"}


def _content(message: Any) -> str | None:
    """A chat message's text: a string, or a list of parts whose text ones are joined."""
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, list):
        texts = [p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)]
        return "".join(texts) if texts else None
    return content if isinstance(content, str) else None


def parse_openai_json(stdout: str, stderr: str) -> Parsed:
    """The `openai-http` client (`runners.openai_http`): the server's chat completion on stdout (the answer
    in `choices[0].message.content`, tokens in `usage`, no cost), or its own ``{"error", "status"}``. An
    answer whose `finish_reason` says it is not whole (`CUT_SHORT`) is an error: written out, it would
    pass for the agent's whole work."""
    for value in json_values(stdout):
        if not isinstance(value, dict):
            continue
        if isinstance(value.get("choices"), list):
            usage: dict[str, Any] = value["usage"] if isinstance(value.get("usage"), dict) else {}
            tin, tout = int_or_none(usage.get("prompt_tokens")), int_or_none(usage.get("completion_tokens"))
            choice = value["choices"][0] if value["choices"] else None
            reason = choice.get("finish_reason") if isinstance(choice, dict) else None
            if reason in CUT_SHORT:
                error = f"the answer was {CUT_SHORT[reason]} (finish_reason {reason!r})"
                return Parsed(is_error=True, error=error, tokens_in=tin, tokens_out=tout)
            answer = _content(choice.get("message")) if isinstance(choice, dict) else None
            return Parsed(answer=answer, tokens_in=tin, tokens_out=tout)
        if isinstance(value.get("error"), dict):
            msg = value["error"].get("message")
            said = first_line(stderr).removeprefix("openai-http: ")  # (the client's line: with its hint)
            return Parsed(
                is_error=True,
                error=said or (msg if isinstance(msg, str) else "the server reported an error"),
                status=int_or_none(value.get("status")),
            )
    return Parsed(is_error=True, error=first_line(stderr).removeprefix("openai-http: ") or "no answer")


PARSERS: dict[str, Callable[[str, str], Parsed]] = {
    "text": parse_text,
    "claude-json": parse_claude_json,
    "codex-jsonl": parse_codex_jsonl,
    "gemini-json": parse_gemini_json,
    "llm-json": parse_llm_json,
    "aider-text": parse_aider_text,
    "openai-json": parse_openai_json,
}
# Formats whose stdout is plain text, with the CLI's own errors in it (a JSON format's stdout is the agent's)
TEXT_FORMATS = frozenset({"text", "aider-text"})


def parse_output(fmt: str, stdout: str, stderr: str) -> Parsed:
    """Parse with the parser for `fmt` (unknown formats read as text)."""
    return PARSERS.get(fmt, parse_text)(stdout, stderr)


def _finished(fmt: str, stdout: str) -> bool:
    """Whether `stdout` holds the record a tool prints only once it has finished: claude's result object,
    codex's `turn.completed`, gemini's response object (or stream-json result event), llm's whole response
    array, an OpenAI-compatible server's chat completion. Plain text never does."""
    if fmt == "claude-json":
        return bool(_claude_results(stdout))
    for value in json_values(stdout):
        if fmt == "codex-jsonl" and isinstance(value, dict) and value.get("type") == "turn.completed":
            return True
        if (
            fmt == "gemini-json"
            and isinstance(value, dict)
            and ("response" in value or value.get("type") == "result")
        ):
            return True
        if fmt == "llm-json" and isinstance(value, list):
            return True
        if fmt == "openai-json" and isinstance(value, dict) and isinstance(value.get("choices"), list):
            return True
    return False


def delivered(fmt: str, stdout: str, stderr: str, answer_needed: bool = True) -> Parsed | None:
    """The answer in what an agent printed, if the output itself proves the agent finished and succeeded
    (whatever became of its process afterwards); None if it does not prove that (plain text never can).
    `answer_needed`: its text is the answer (one output), so an empty one is none; an agent of several
    outputs writes them itself (each then checked to exist), and its text may well be empty."""
    if not _finished(fmt, stdout):
        return None
    parsed = parse_output(fmt, stdout, stderr)
    if parsed.is_error or (answer_needed and not (parsed.answer or "").strip()):
        return None
    return parsed


def failed_paid(fmt: str, stdout: str, stderr: str) -> Parsed | None:
    """The error result in what an agent printed, if the output itself proves the agent finished (the record
    a tool prints only at its end) with an error and says what that cost (claude stopped at its turn limit:
    the turns it took are paid for); None otherwise (a refusal costs nothing; a cut-short output says
    nothing; plain text never proves it finished)."""
    if not _finished(fmt, stdout):
        return None
    parsed = parse_output(fmt, stdout, stderr)
    return parsed if parsed.is_error and parsed.cost_usd else None


__all__ = [
    "PARSERS",
    "TEXT_FORMATS",
    "Parsed",
    "delivered",
    "failed_paid",
    "json_values",
    "parse_aider_text",
    "parse_claude_json",
    "parse_openai_json",
    "parse_output",
    "parse_text",
    "relative_denial",
    "text_tokens",
]
