"""Decide what a failed attempt means: worth retrying later, or fatal (retrying cannot help), and why.

Rules from /work/shared/RUNNERS.md: 429/529/5xx/overload/rate limit/"waiting for network"/"database is locked"
are retried later; 401/403, "Not logged in", "Invalid API key", quota and billing errors (a subscription's
usage limit too: it resets in hours), codex's "Missing environment variable" (a custom provider's
``env_key``) are fatal, as are gemini exit codes 41/42/52/55, a turn limit reached
(claude's `error_max_turns` under `--max-turns`, gemini's exit 53 under `model.maxSessionTurns`; gemini's
other codes, 44/54/130, are retried and named), a command line the CLI's own parser refused (codex, llm and
aider: exit 2; claude, ollama: the parser's message), a prompt aider says does not fit the model's context
window, and a command that does not exist. Shell agents are judged on their exit code only (their output is
the user's, not an API's). A runner of no preset (its own `command`) is judged by the same rules as the
presets.

The messages are looked for in the tool's error (`Parsed.error`), its stderr, and its stdout only when that
is text: a JSON answer holds the agent's own work (a test run's "403 passed", token counts such as
`"input_tokens": 401`, a page quoting "billing"), which must not decide that an API refused the call.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from agentmake.lazyre import LazyPattern
from agentmake.runners.authfix import auth_fix
from agentmake.runners.parsed import Parsed

_AUTH = LazyPattern(
    r"\b40[13]\b|not logged in|invalid api key|api_key_invalid|invalid x-api-key|authentication[_ ]fail"
    r"|\bAuthenticationError\b"  # (litellm's, as aider prints it: `litellm.AuthenticationError: ...`)
    r"|unauthori[sz]ed|no key found|please run /login|please set an auth method|need to be signed in"
    r"|missing environment variable: `",  # (codex, its custom model_provider's env_key unset)
    re.I,
)
# (also a subscription's usage window spent, which resets in hours, not seconds: claude's "You've hit your
# limit · resets 1pm" / "... session limit ..." / "Claude AI usage limit reached|<time>", codex's "You've hit
# your usage limit ... try again in 2 hours"; each comes as a 429, but a retry in seconds meets it again)
_QUOTA = LazyPattern(
    r"quota exceeded|insufficient_quota|exceeded your current quota|billing|credit balance"
    r"|you['’]ve hit your (?:\w+ )?limit|usage limit reached",
    re.I,
)
# (of those, a subscription's usage window: it resets by itself, later; no plan or billing to fix)
_USAGE_WINDOW = LazyPattern(r"you['’]ve hit your (?:\w+ )?limit|usage limit reached", re.I)
# (a quota's id spells it in one word: Gemini's `GenerateRequestsPerMinutePerProjectPerModel-FreeTier`)
_PER_PERIOD = LazyPattern(r"per ?(minute|second)", re.I)
_RATE = LazyPattern(r"\b429\b|rate[ _-]?limit|too many requests|resource_exhausted|high demand", re.I)
_OVERLOAD = LazyPattern(
    r"\b529\b|\b50[0-4]\b|overload|server busy|service unavailable|internal server error|bad gateway", re.I
)
_TRANSIENT = LazyPattern(
    r"waiting for network|database is locked|could not connect|connection refused|connection reset", re.I
)
# The refusals of a CLI's own argument parser (before any call: every retry would be refused alike). codex
# says so by its exit code 2, llm (click) too; claude (commander) and ollama (cobra) exit 1, so the message.
_CLI_USAGE = {
    "claude": LazyPattern(
        r"^error: (unknown option|option '.*' argument|missing required argument|too many arguments)"
        r"|^Error: Input must be provided|requires --verbose|cannot be used with root/sudo privileges",
        re.M,
    ),
    "ollama": LazyPattern(
        r"^Error: (unknown (shorthand )?flag|flag needs an argument|unknown command)", re.M
    ),
}
# A model the provider does not know (llm: "Error: 'Unknown model: x'"; an API's 404 not_found "model: x";
# ollama, whose pull of a model it has not got found none: "Error: pull model manifest: file does not exist",
# after its "pulling manifest" progress line)
_UNKNOWN_MODEL = LazyPattern(
    r"Unknown model\b|\bmodel_not_found\b|not_found_error\b.{0,40}\bmodel"
    r"|pull model manifest: file does not exist",
    re.I,
)
_UNTRUSTED = LazyPattern(r"Not inside a trusted directory", re.I)  # codex outside a git repository
_UNTRUSTED_HINT = "run it in a git repository, or add --skip-git-repo-check to the runner's command"
_USAGE_EXIT = {"codex": 2, "llm": 2, "aider": 2, "openai-http": 2}  # (aider: argparse's usage error)
# aider on a prompt that does not fit the model's context window: every retry would be refused alike
_TOO_LONG = LazyPattern(r"^Model .* has hit a token limit!$", re.M)
_ROOT_HINT = (
    "claude refuses to skip permissions as root: set IS_SANDBOX=1 (it is passed through) in a sandbox, "
    "or run agentmake as another user"
)
# gemini's own exit codes (json mode otherwise exits with the HTTP status mod 256)
_GEMINI_FATAL = {41: "auth", 42: "usage", 52: "usage", 55: "usage"}
# gemini's other own exit codes: retried (another attempt may go otherwise), but said for what they are
_GEMINI_RETRIED = {
    44: "gemini sandbox error",
    54: "a gemini tool failed",
    130: "gemini was cancelled",
}
_GEMINI_HINT = {
    42: "gemini rejected its input",
    52: "gemini configuration error (check ~/.gemini/settings.json)",
    55: "gemini does not trust the folder: set GEMINI_CLI_TRUST_WORKSPACE=true or pass --skip-trust",
}


# The limits a claude runner's own command sets (`--max-turns`, `--max-budget-usd`), by the error subtype of
# the result it stops with: the same prompt under the same limit stops there again, each attempt paid for;
# each with what to raise
_STOPPED_AT = {
    "error_max_turns": ("turn limit", "--max-turns in the runner's command"),
    "error_max_budget_usd": ("budget limit", "--max-budget-usd in the runner's command"),
}
# gemini's exit code past the turn limit its settings set (`FatalTurnLimitedError`), and what to raise
_GEMINI_TURN_LIMIT = (53, ("turn limit", "model.maxSessionTurns in gemini's settings.json"))


@dataclass(frozen=True)
class Verdict:
    """What a finished attempt's exit and output mean: ok, retry or fatal, and why."""

    outcome: str  # "ok" | "retry" | "fatal"
    error_type: str | None
    message: str
    retry_after: float | None = None  # seconds a rate limit said to wait ("Please retry in 25.3s")


# When a rate limit says to come back: Gemini's "Please retry in 25.308s." (and its RetryInfo's
# "retryDelay": "25s"), OpenAI's "Please try again in 20s." / "in 640ms" / "in 1m30s"
_RETRY_HINT = LazyPattern(
    r"(?:retry|try again) in (?:(\d+)m(?!s))?(?:(\d+(?:\.\d+)?)(ms|s)\b)?"
    r"|\"retryDelay\": \"(\d+(?:\.\d+)?)s\"",
    re.I,
)
# A quota that says to come back within this many seconds is a per-minute limit, not an empty wallet
_SHORT_WAIT = 300.0


def retry_hint(text: str) -> float | None:
    """The seconds a rate limit's message says to wait before the next call, if it says."""
    for m in _RETRY_HINT.finditer(text):
        minutes, amount, unit, delay = m.groups()
        if delay is not None:
            return float(delay)
        if minutes is None and amount is None:
            continue
        seconds = 60.0 * int(minutes or 0)
        if amount is not None:
            seconds += float(amount) / (1000.0 if unit.lower() == "ms" else 1.0)
        return seconds
    return None


def one_line(text: str, limit: int = 240) -> str:
    """The first non-empty line of `text`, shortened to `limit` characters; for a Python traceback (a check
    or a CLI written in Python that raised), its last line instead: the first says only `Traceback ...`; for
    a Python syntax error, its last line and then where it is (the first says only where)."""
    line = next((s for s in (raw.strip() for raw in text.splitlines()) if s), "")
    if line == "Traceback (most recent call last):":
        line = next(s for s in (raw.strip() for raw in reversed(text.splitlines())) if s)
    elif _PY_WHERE.match(line):  # (a SyntaxError: where it is, the source line, a caret, then what)
        last = next(s for s in (raw.strip() for raw in reversed(text.splitlines())) if s)
        line = f"{last} ({line})" if last != line else line
    return line if len(line) <= limit else line[: limit - 1] + "…"


_PY_WHERE = LazyPattern(r'File ".*", line \d+\Z')


def gemini_status(exit_code: int) -> int | None:
    """The HTTP status behind a gemini json-mode exit code (429 → 173), or None for its own codes."""
    return exit_code + 256 if 144 <= exit_code <= 255 else None


def _quota_said(name: str, detail: str, text: str) -> str:
    """What to say of a spent quota: a subscription's usage window resets by itself (build again then: what
    is done is kept); any other quota or billing limit is the account's to fix."""
    if _USAGE_WINDOW.search(text):
        return f"{name} usage limit reached ({detail}): it resets later, as it says; build again then"
    return f"{name} quota or billing limit ({detail}): check your plan and billing"


def classify_failure(
    preset: str | None,
    exit_code: int | None,
    parsed: Parsed,
    stdout: str,
    stderr: str,
    root: Path | None = None,
    argv: Sequence[str] = (),
) -> Verdict:
    """Classify an attempt already known to have failed (non-zero exit or a parsed error). `stdout`: what
    the tool printed when that is text ("" when it printed JSON: see the module docstring). `root`: the
    project, the CLI's working directory, and `argv` its command line (whose settings and flags may say
    which login it used: `auth_fix`)."""
    name = preset or "agent"
    detail = one_line(parsed.error or "") or one_line(stderr) or one_line(stdout) or f"exit code {exit_code}"
    if preset == "shell":
        said = one_line(parsed.error or "") or one_line(stderr) or one_line(stdout)
        return Verdict("retry", "exit", f"exited with code {exit_code}" + (f": {said}" if said else ""))
    limit = _STOPPED_AT.get(parsed.stopped or "")
    if preset == "gemini" and exit_code == _GEMINI_TURN_LIMIT[0]:
        limit = _GEMINI_TURN_LIMIT[1]
    if limit is not None:  # (before the patterns: its token counts may read 401)
        what, where = limit
        return Verdict(
            "fatal", "usage",
            f"{name} reached its {what} ({detail}): raise {where} (a retry would stop at the same limit, "
            "and be paid for again)",
        )  # fmt: skip
    if preset == "openai-http" and (parsed.status is not None or "finish_reason" in (parsed.error or "")):
        return _http_verdict(name, parsed.status, "\n".join((parsed.error or "", stderr[-4000:])), detail)
    status = parsed.status
    if status is None and preset == "gemini" and exit_code is not None:
        status = gemini_status(exit_code)
    # (the start of the error, the ends of the streams: an error may be a whole line of stdout, megabytes
    # long, and a dozen patterns searched through all of it cost seconds a megabyte)
    text = "\n".join(t for t in ((parsed.error or "")[:4000], stderr[-4000:], stdout[-4000:]) if t)
    if status in (401, 403) or _AUTH.search(text):
        fix = auth_fix(name, root=root, argv=argv)
        return Verdict("fatal", "auth", f"{name} authentication failed ({detail}): {fix}")
    wait = retry_hint(text)
    # "quota ... per minute", or one that says to retry in seconds, is a rate limit, not an empty wallet
    per_period = bool(_PER_PERIOD.search(text)) or (wait is not None and wait <= _SHORT_WAIT)
    if _QUOTA.search(text) and not per_period:
        return Verdict("fatal", "quota", _quota_said(name, detail, text))
    if status == 429 or _RATE.search(text) or per_period:
        return Verdict("retry", "rate-limit", f"rate limited: {detail}", retry_after=wait)
    if (status is not None and (status == 529 or 500 <= status <= 599)) or _OVERLOAD.search(text):
        return Verdict("retry", "overloaded", f"server overloaded or failing: {detail}", retry_after=wait)
    if preset == "gemini" and exit_code in _GEMINI_FATAL:
        hint = _GEMINI_HINT.get(exit_code, "")
        kind = _GEMINI_FATAL[exit_code]
        if kind == "auth":
            fix = auth_fix("gemini", root=root, argv=argv)
            return Verdict("fatal", "auth", f"gemini authentication failed ({detail}): {fix}")
        return Verdict("fatal", kind, f"{hint} (exit {exit_code}): {detail}")
    if _TOO_LONG.search(text):
        message = f"{name}: the prompt does not fit the model's context window ({detail}): shorten it"
        return Verdict("fatal", "prompt-too-large", message)
    unknown = _UNKNOWN_MODEL.search(text)
    if status in (400, 404) or unknown:  # the same request is refused every time
        why = f"HTTP {status}" if status in (400, 404) else "unknown model"
        if unknown and status not in (400, 404):  # (its line: ollama's first says only "pulling manifest")
            detail = one_line(text[text.rfind("\n", 0, unknown.start()) + 1 :])
        message = f"{name} request refused ({why}): {detail}; check the runner's model and the prompt"
        return Verdict("fatal", "usage", message)
    if _UNTRUSTED.search(text):
        return Verdict("fatal", "usage", f"{name} will not run here ({detail}): {_UNTRUSTED_HINT}")
    usage = _CLI_USAGE.get(name)
    if (preset is not None and exit_code == _USAGE_EXIT.get(preset)) or (usage and usage.search(text)):
        if "root/sudo" in text:
            return Verdict("fatal", "usage", f"{_ROOT_HINT} ({detail})")
        return Verdict("fatal", "usage", f"{name} rejected its command line (exit {exit_code}): {detail}")
    if _TRANSIENT.search(text):
        return Verdict("retry", "exit", f"transient failure: {detail}")
    if preset == "gemini" and exit_code in _GEMINI_RETRIED:
        return Verdict("retry", "exit", f"{_GEMINI_RETRIED[exit_code]} (exit {exit_code}): {detail}")
    if exit_code not in (0, None):
        return Verdict("retry", "exit", f"exited with code {exit_code}: {detail}")
    return Verdict("retry", "exit", f"{name} reported an error: {detail}")


def _http_verdict(name: str, status: int | None, text: str, detail: str) -> Verdict:
    """An OpenAI-compatible server's answer (`runners.openai_http`): its HTTP status is known, so it alone
    decides (a message quoting "max_tokens must be <= 500" is no server failure), the quota words aside; a
    status of None is a whole answer cut short (`parse.CUT_SHORT`)."""
    wait = retry_hint(text)
    if status is None:
        fix = "raise --max-tokens in the runner's command, or the server's context length"
        return Verdict("fatal", "usage", f"{name}: {detail}: {fix} (a retry would be cut alike)")
    if status in (401, 403):
        return Verdict("fatal", "auth", f"{name} authentication failed ({detail}): {auth_fix(name)}")
    if status == 429:
        per_period = bool(_PER_PERIOD.search(text)) or (wait is not None and wait <= _SHORT_WAIT)
        if _QUOTA.search(text) and not per_period:
            return Verdict("fatal", "quota", _quota_said(name, detail, text))
        return Verdict("retry", "rate-limit", f"rate limited: {detail}", retry_after=wait)
    if status >= 500 or status in (408, 409, 425):  # (failing, busy, or a request that timed out there)
        return Verdict("retry", "overloaded", f"server overloaded or failing: {detail}", retry_after=wait)
    if 400 <= status < 500:  # (the same request is refused every time: the prompt too long for its context)
        what = "url" if status == 404 else "the prompt"
        why = f"{name} request refused: {detail}; check the runner's model and {what}"
        return Verdict("fatal", "usage", why)
    return Verdict("retry", "exit", f"{name}: {detail}")


# claude's permission modes under which `-p` may write files (RUNNERS.md: `acceptEdits` lets it write)
_WRITING_MODES = ("acceptEdits", "bypassPermissions")
_EDIT_TOOLS = frozenset({"Write", "Edit", "MultiEdit", "NotebookEdit"})


def refused_tools(name: str, argv: list[str], denied: list[str], missing: list[str]) -> Verdict:
    """A multi-output agent that did not write `missing` because its CLI refused it tools (claude -p never
    asks: it lists the refusals in `permission_denials` and exits 0). Fatal: the same command is refused
    alike at every retry, each paid for. The message names what was refused and what to set, from the
    runner's own command line `argv`."""
    mode = next((a.split("=", 1)[1] for a in argv if a.startswith("--permission-mode=")), None)
    if mode is None and "--permission-mode" in argv[:-1]:
        mode = argv[argv.index("--permission-mode") + 1]
    tools = {d.split(" ", 1)[0] for d in denied}
    if tools & _EDIT_TOOLS and mode is not None and mode not in _WRITING_MODES:
        fix = (
            f"the runner's command sets --permission-mode {mode}, under which claude -p may not write: "
            "remove it (a multi-output agent then gets --permission-mode acceptEdits) or set acceptEdits, "
            "or allow the tools with --allowedTools=Edit,Write"
        )
    else:
        fix = (
            "allow them in the runner's command (--permission-mode acceptEdits, or --allowedTools=Edit,Write;"
            " a command as --allowedTools='Bash(make:*)'), or lift the permissions.deny rules of claude's "
            "settings.json"
        )
    message = (
        f"{name} did not write {', '.join(missing)}: it was refused {', '.join(denied)} "
        f"(not retried: it would be refused again): {fix}"
    )
    return Verdict("fatal", "permission", message)


# ollama answers a cloud model's 401 with a sign-in request on stdout, and exits 0 (its RunHandler
# `fmt.Printf`s it and returns nil): the "answer" of an attempt that never reached the model
_OLLAMA_SIGNIN = "You need to be signed in to Ollama"


def text_error(preset: str | None, stdout: str) -> bool:
    """Whether a plain-text answer is in fact the CLI's own error, printed on stdout (with exit 0 at times):
    claude's text mode prints API errors there; ollama its sign-in request for a cloud model."""
    first = one_line(stdout)
    if preset == "claude":
        return first.startswith("API Error") or bool(re.match(r"(Invalid API key|Not logged in)\b", first))
    if preset == "ollama":
        return first.startswith(_OLLAMA_SIGNIN)
    return False
