"""Read an agent's answer, error and spend out of what it printed, one function per output format.

Every parser returns a `Parsed`: the answer text (None when there is none), whether the tool itself reported
an error (and its message and HTTP status when known), and cost/tokens when the format reports them.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentmake.lazyre import LazyPattern


@dataclass
class Parsed:
    answer: str | None = None
    is_error: bool = False
    error: str | None = None  # the tool's own error message
    status: int | None = None  # HTTP status of an API error, when the tool says
    cost_usd: float | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    denied: list[str] = field(default_factory=list)  # tool calls the CLI refused (claude permission_denials)
    stopped: str | None = None  # the limit the CLI stopped at (claude's error subtype, e.g. error_max_turns)


def json_values(text: str) -> Iterator[Any]:
    """Every JSON value that starts at the beginning of a line (pretty-printed or one per line), in order."""
    decoder = json.JSONDecoder()
    pos, end = 0, len(text)
    while pos < end:
        line_end = text.find("\n", pos)
        line_end = end if line_end < 0 else line_end
        start = pos + (len(text[pos:line_end]) - len(text[pos:line_end].lstrip()))
        if start < line_end and text[start] in "{[":
            try:
                value, stop = decoder.raw_decode(text, start)
            except ValueError:
                pos = line_end + 1
                continue
            yield value
            pos = stop
            continue
        pos = line_end + 1


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _sum(values: list[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


# Token counts that text-mode CLIs print on stderr after the answer, when asked to: `ollama run --verbose`
# (`prompt eval count:    31 token(s)` / `eval count:           12 token(s)`, each left out when 0: ollama's
# `api.Metrics.Summary`) and `llm -u` (`Token usage: 1,204 input, 56 output`, either part left out when
# unknown: llm's `token_usage_string`; click drops the colour when stderr is no terminal).
# (patterns, compiled on first use by `re`'s cache: most builds never read one)
_OLLAMA_TOKENS = r"(?m)^(prompt eval|eval) count:\s+(\d+) token\(s\)\s*$"
_LLM_TOKENS = r"(?m)^(?:\x1b\[[0-9;]*m)*Token usage: ([^\n]*)$"
_LLM_PART = r"([\d,]+) (input|output)\b"
_USAGE_TAIL = 4096  # the counts come last: only the end of a long stderr is read


def text_tokens(stderr: str) -> tuple[int | None, int | None]:
    """(tokens in, tokens out) from the usage lines a text-mode CLI printed on stderr; None where it printed
    none."""
    tail = stderr[-_USAGE_TAIL:]
    counts = {kind: int(n) for kind, n in re.findall(_OLLAMA_TOKENS, tail)}
    if counts:  # (ollama leaves a count of 0 out)
        return counts.get("prompt eval", 0), counts.get("eval", 0)
    lines = re.findall(_LLM_TOKENS, tail)
    if lines:
        parts = {kind: int(n.replace(",", "")) for n, kind in re.findall(_LLM_PART, lines[-1])}
        return parts.get("input"), parts.get("output")
    return None, None


def parse_text(stdout: str, stderr: str) -> Parsed:
    tokens_in, tokens_out = (
        text_tokens(stderr) if "count:" in stderr or "Token usage:" in stderr else (None, None)
    )
    return Parsed(answer=stdout, tokens_in=tokens_in, tokens_out=tokens_out)


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
        return Parsed(is_error=True, error=_first_line(stdout) or _first_line(stderr) or "no result object")
    r = results[-1]
    usage: dict[str, Any] = r["usage"] if isinstance(r.get("usage"), dict) else {}
    tokens_in = _sum(
        [
            _int(usage.get("input_tokens")),
            _int(usage.get("cache_creation_input_tokens")),
            _int(usage.get("cache_read_input_tokens")),
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
        status=_int(r.get("api_error_status")),
        denied=_denials(r.get("permission_denials")),
        stopped=subtype if is_error and isinstance(subtype, str) and subtype != "success" else None,
        cost_usd=float(cost) if isinstance(cost, (int, float)) and not isinstance(cost, bool) else None,
        tokens_in=tokens_in,
        tokens_out=_int(usage.get("output_tokens")),
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
                tin, tout = _int(ev["usage"].get("input_tokens")), _int(ev["usage"].get("output_tokens"))
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
    tokens_in, tokens_out = _int(stats.get("input_tokens")), _int(stats.get("output_tokens"))
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
            return Parsed(is_error=True, error=str(err.get("message")), status=_int(err.get("code")))
        if "response" in value:
            tin: list[int | None] = []
            tout: list[int | None] = []
            models = (value.get("stats") or {}).get("models") or {}
            for m in models.values() if isinstance(models, dict) else ():
                tokens = m.get("tokens") if isinstance(m, dict) else None
                if isinstance(tokens, dict):
                    # `prompt` is every input token; `input` only the uncached ones (prompt - cached)
                    prompt = _int(tokens.get("prompt"))
                    if prompt is None:
                        prompt = _sum([_int(tokens.get("input")), _int(tokens.get("cached"))])
                    tin.append(prompt)
                    tout.append(
                        _sum([_int(tokens.get("candidates")), _int(tokens.get("thoughts"))])
                    )  # (billed)
            resp = value.get("response")
            return Parsed(
                answer=resp if isinstance(resp, str) else None, tokens_in=_sum(tin), tokens_out=_sum(tout)
            )
    return Parsed(is_error=True, error=_first_line(stderr) or "no JSON response from gemini")


def parse_llm_json(stdout: str, stderr: str) -> Parsed:
    """`llm --json`: an array of response objects; the answer is their responses joined."""
    for value in json_values(stdout):
        items = value if isinstance(value, list) else [value]
        responses = [i for i in items if isinstance(i, dict) and isinstance(i.get("response"), str)]
        if responses:
            return Parsed(
                answer="".join(r["response"] for r in responses),
                tokens_in=_sum([_int(r.get("input_tokens")) for r in responses]),
                tokens_out=_sum([_int(r.get("output_tokens")) for r in responses]),
            )
    return Parsed(is_error=True, error=_first_line(stderr) or "no JSON response from llm")


# aider (--no-pretty) prints on stdout its banner (`Aider v0.86.2`, the models, `Git repo: none`, ..., then a
# blank line), the answer, and after each reply from the model its usage (base_coder's
# `calculate_and_show_tokens_and_cost`): `Tokens: 725 sent, 3 received.` (counts of 1000 and more as `1.2k`,
# `15k`; `, 2.1k cache write, 8.3k cache hit` before `received` when there were), then, if it knows the
# model's price, `Cost: $0.0012 message, $0.0300 session.` on the same line or the next. An API error it
# gave up on is printed there too, as litellm's exception (`litellm.RateLimitError: ...`, then aider's own
# explanation), and aider exits 0 (aider#5552); one it retried and got past is followed by a reply's usage.
_AIDER_BANNER = LazyPattern(r"(?m)^Aider v\d[^\n]*\n(?:[^\n]*\S[^\n]*\n)*?[ \t]*\n")
_AIDER_COUNT = r"(\d+(?:\.\d+)?)([kM]?)"
_AIDER_TOKENS = LazyPattern(
    rf"(?m)^Tokens: {_AIDER_COUNT} sent(?:, [\d.]+[kM]? cache (?:write|hit))*, {_AIDER_COUNT} received\."
)
_AIDER_COST = LazyPattern(r"(?m)(?:^|received\. )Cost: \$(\d+(?:\.\d+)?) message, \$\d+(?:\.\d+)? session\.")
_AIDER_ERROR = LazyPattern(r"(?m)^litellm\.\w+: .*$")
_AIDER_RETRYING = LazyPattern(r"(?m)^Retrying in \d+(?:\.\d+)? seconds\.\.\.$")
# (what aider says when the prompt and answer would not fit the model's context window: no reply, exit 0)
_AIDER_TOO_LONG = LazyPattern(r"(?m)^Model .* has hit a token limit!$")


def _aider_count(number: str, unit: str) -> int:
    return round(float(number) * {"": 1, "k": 1_000, "M": 1_000_000}[unit])


def parse_aider_text(stdout: str, stderr: str) -> Parsed:
    """`aider --message-file F --no-pretty`: the answer is what it printed between its banner (and the
    errors of calls it retried, up to its last `Retrying in 0.5 seconds...`) and the usage of the last
    reply; the tokens and cost (each reply's `message` figure) are added up over its replies. An
    API error printed after the last reply's usage (or with no reply at all) is its failure, exit 0 or not."""
    usage = list(_AIDER_TOKENS.finditer(stdout))
    tokens_in = sum(_aider_count(*m.group(1, 2)) for m in usage) if usage else None
    tokens_out = sum(_aider_count(*m.group(3, 4)) for m in usage) if usage else None
    costs = [float(m.group(1)) for m in _AIDER_COST.finditer(stdout)]
    cost = round(sum(costs), 10) if costs else None
    last = usage[-1].start() if usage else -1
    failures = [m for m in _AIDER_ERROR.finditer(stdout) if m.start() > last]
    too_long = None if usage else _AIDER_TOO_LONG.search(stdout)
    if failures or too_long is not None:
        if failures:  # (the exception, then aider's explanation of it on the next line)
            said = stdout[failures[-1].start() :].split("\n")[:2]
            error = "\n".join(line for line in said if line.strip())
        else:
            assert too_long is not None
            error = too_long.group(0)
        return Parsed(is_error=True, error=error, cost_usd=cost, tokens_in=tokens_in, tokens_out=tokens_out)
    end = last if last >= 0 else len(stdout)
    banner = _AIDER_BANNER.search(stdout, 0, end)
    start = banner.end() if banner is not None else 0
    retried = list(_AIDER_RETRYING.finditer(stdout, start, end))  # (its errors before the reply it got)
    start = retried[-1].end() if retried else start
    answer = stdout[start:end].strip("\n")
    return Parsed(
        answer=answer + "\n" if answer.strip() else "",
        cost_usd=cost,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
    )


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
            tin, tout = _int(usage.get("prompt_tokens")), _int(usage.get("completion_tokens"))
            choice = value["choices"][0] if value["choices"] else None
            reason = choice.get("finish_reason") if isinstance(choice, dict) else None
            if reason in CUT_SHORT:
                error = f"the answer was {CUT_SHORT[reason]} (finish_reason {reason!r})"
                return Parsed(is_error=True, error=error, tokens_in=tin, tokens_out=tout)
            answer = _content(choice.get("message")) if isinstance(choice, dict) else None
            return Parsed(answer=answer, tokens_in=tin, tokens_out=tout)
        if isinstance(value.get("error"), dict):
            msg = value["error"].get("message")
            said = _first_line(stderr).removeprefix("openai-http: ")  # (the client's line: with its hint)
            return Parsed(
                is_error=True,
                error=said or (msg if isinstance(msg, str) else "the server reported an error"),
                status=_int(value.get("status")),
            )
    return Parsed(is_error=True, error=_first_line(stderr).removeprefix("openai-http: ") or "no answer")


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


def delivered(fmt: str, stdout: str, stderr: str) -> Parsed | None:
    """The answer in what an agent printed, if the output itself proves the agent finished and succeeded
    (whatever became of its process afterwards); None if it does not prove that (plain text never can)."""
    if not _finished(fmt, stdout):
        return None
    parsed = parse_output(fmt, stdout, stderr)
    return parsed if not parsed.is_error and (parsed.answer or "").strip() else None


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""
