"""The plain-text output formats: `text` (the answer is stdout; ollama's and llm's token counts on stderr)
and `aider-text` (aider's answer between its banner and its usage lines, its API errors, its cost).
"""

from __future__ import annotations

import re

from agentmake.lazyre import LazyPattern
from agentmake.runners.parsed import Parsed

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
