#!/usr/bin/env python3
"""A faithful fake of the agent CLIs (claude, codex, gemini, llm, ollama, aider) for agentmake's tests.

It impersonates the CLI named by `FAKE_AGENT_AS` or else by the basename of argv[0] (wrappers named `claude`,
`codex`, ... are put first on PATH). It accepts the real non-interactive flags and rejects unknown ones, and
values outside a flag's choices (`CHOICES`), the way the real tool does, reads the prompt as the real tool
does (stdin until EOF, combined with a prompt argument the real tool's way; codex says `Reading additional
input from stdin...` on stderr), and answers in the real output shapes: claude `--output-format json|text|stream-json` result objects (`type`, `subtype`,
`is_error`, `result`, `total_cost_usd`, `usage`, `session_id`, `duration_ms`, ...; in verbose mode, `--verbose`
or `"verbose": true` in its settings.json, `json` is an array of the session's messages, the result last), codex `--json` JSONL
events, gemini `-o json` `{session_id, response, stats}` or `-o stream-json` JSONL events, llm text or `--json` arrays, ollama text,
aider (`--message TEXT` or `--message-file FILE`, never stdin) its banner, the answer and its usage line
(`Tokens: 725 sent, 3 received. Cost: $0.0012 message, $0.0012 session.`), appending to its chat and input
history files (`.aider.chat.history.md`, `.aider.input.history` in the cwd unless given elsewhere). Like the
real claude, codex, gemini and aider it answers only when logged in: a key in the environment it reads
(ANTHROPIC_API_KEY, CODEX_API_KEY — `codex exec` does not read OPENAI_API_KEY —, ...) or a credentials file in
its config directory (`CREDENTIALS`); codex, with a custom ``model_provider`` chosen, the variable its
``env_key`` names (`codex_provider_key`); gemini as its `validateNonInteractiveAuth` says (`gemini_refusal`: the auth
type its settings choose or enforce, else its environment's, with its `.env` file's, GEMINI_CLI_HOME). aider, as
the real one (aider#5552), prints an API error it gave up on (after retries of its own) on stdout and exits 0.
Like the real claude, codex and llm it keeps every session (prompt and answer) in its config
directory (`persist_session`).
Facts: /work/shared/RUNNERS.md.

By hand (the wrappers first on PATH): agentmake passes an LLM agent only the environment its preset and its
runner's `env` name, so `FAKE_AGENT_STATE` and `FAKE_AGENT_LOG` reach the fake only through `env =
FAKE_AGENT_STATE FAKE_AGENT_LOG` on the runner (`times=N` counts nothing without it: every invocation fails);
the `fake_agents` fixture of tests/conftest.py writes them into its wrappers instead. A key such as
`ANTHROPIC_API_KEY=x`, which the preset passes, logs it in.

Behaviour is driven by directive lines inside the prompt (several per line allowed, `answer=`/`stderr=`
take the rest of the line):

    FAKE: label=NAME          name used in FAKE_AGENT_LOG (default: a hash of the prompt)
    FAKE: sleep=SECONDS       wait before answering
    FAKE: fail=CODE [times=N] fail like the real CLI; CODE is an HTTP status (429, 529, 500, 503, 401,
                              403) or noauth, quota, usage-limit (claude, codex: a subscription's
                              window spent), nomodel (ollama: its pull of an unknown model failed),
                              429-hint (gemini: a per-minute quota, "Please retry in 1.5s."),
                              dblock, network (codex: "waiting for network" forever: on stderr,
                              or with --json as `error` events on stdout),
                              context (aider: the prompt does not fit the model's context window).
                              A refused request is not billed (claude: total_cost_usd 0, no tokens).
                              With times=N only the first N invocations of this exact prompt fail (counted
                              in the directory $FAKE_AGENT_STATE; without it, every invocation fails).
                              times=N bounds every fault of the prompt alike (fail, exit, hang, is_error,
                              exit0-no-output, invalid-json-answer): later invocations answer normally.
                              Once the file $FAKE_AGENT_STATE/healed exists, no fault fires at all.
    FAKE: exit=N              exit with code N after printing stderr= text (if any)
    FAKE: stderr=TEXT         print TEXT on stderr
    FAKE: hang                never answer (until killed); FAKE: ignore-term ignores SIGTERM too
    FAKE: linger=SECONDS      after answering (and logging `end`), wait before exiting (cut short once
                              the file $FAKE_AGENT_STATE/stop-lingering exists)
    FAKE: spawn-grandchild    start `sleep 300` in the same process group; prints "fake: grandchild pid N"
                              on stderr
    FAKE: exit0-no-output     exit 0 with an empty answer
    FAKE: cut-short           codex --json: exit 0 after its agent_message, with no `turn.completed` event
    FAKE: is_error            claude: exit 0 with `is_error: true` (an API error in a "success" result);
                              in text mode the `API Error: ...` line alone on stdout, still exit 0
    FAKE: stopped=SUBTYPE     claude: stop with an error result (error_max_turns, error_during_execution,
                              error_max_budget_usd, ...): no `result`, its `errors` list says why (the
                              answer= text, or the real wording for the turn and budget limits), exit 1;
                              gemini: stopped=error_max_turns is its turn limit (`model.maxSessionTurns`):
                              its FatalTurnLimitedError in the form of its output mode, exit 53
    FAKE: answer=TEXT         the answer (`\\n` becomes a newline); default: "ANSWER:\\n" + the prompt's
                              non-directive lines (so tests can see exactly what arrived on stdin)
    FAKE: invalid-json-answer answer with broken JSON
    FAKE: write=P1,P2         write these files (relative to the cwd) before answering or failing, if the
                              CLI was allowed to (claude --permission-mode acceptEdits, codex -s
                              workspace-write or -c sandbox_mode=..., gemini --approval-mode
                              auto_edit|yolo; claude's and codex's settings files too: `_settings_allow`);
                              claude lists a refusal in permission_denials
    FAKE: show-env=A,B        append "A=value" lines to the answer
    FAKE: has-env=A,B         append "A: set" / "A: unset" lines (never the value)
    FAKE: show-argv           append the argv as JSON to the answer
    FAKE: show-mode=A,B       append "A_MODE=0o700" lines: the permissions of the directory env var A names
    FAKE: refresh-login       claude/codex: rewrite the credentials file of its config directory as the real CLI
                              does once its access token expired (new tokens, later expiry or last_refresh)
    FAKE: show-login          append "LOGIN=" and the credentials file's content (or "none") to the answer
    FAKE: show-profile        codex: append "PROFILE=" and the content of the profile file `-p/--profile NAME`
                              layers over config.toml, $CODEX_HOME/NAME.config.toml (or "none": the real
                              codex then goes on with config.toml alone, openai/codex#40279)
    FAKE: retried=CODE        aider: the error of CODE (as fail=) and `Retrying in 0.2 seconds...` before
                              answering: a failure aider retried itself and got past

`FAKE_AGENT_LOG`, if set, gets `start <time> <pid> <cli> <label>` and `end ...` lines (concurrency tests),
and a `term ...` line instead of `end` when SIGTERM ends the fake before it answered (it still dies of the
signal, unless `ignore-term`); one that comes while the answer is printed waits for the `end` line (an
answer printed whole was paid for). `FAKE_AGENT_PROMPTS`, if set, is a directory that gets each invocation's prompt as
`<pid>-<time of its start line>.prompt` (what a retry that carries a check's complaint was asked: benchmarks/soak_faults.py),
and an empty `<pid>-<time>.fired` beside it when that invocation's faults took effect (benchmarks/soak_ledger.py).
"""

# ruff: noqa: E501 - the failure table quotes the real tools' messages verbatim
from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import signal
import sys
import time
from pathlib import Path


class Usage(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


SPECS = {  # cli: (flags taking a value, boolean flags, variadic flags, unknown-option message, exit code)
    "claude": (
        {"--output-format", "--model", "--permission-mode", "--fallback-model", "--effort", "--max-turns",
         "--append-system-prompt", "--system-prompt", "--max-budget-usd", "--session-id", "--settings",
         "--setting-sources"},
        {"-p", "--print", "--verbose", "--no-session-persistence", "--dangerously-skip-permissions", "--bare"},
        {"--allowedTools", "--allowed-tools", "--tools", "--add-dir", "--mcp-config", "--disallowedTools"},
        "error: unknown option '{}'", 1,
    ),
    "codex": (
        {"-m", "--model", "-o", "--output-last-message", "-s", "--sandbox", "-c", "--config", "--color",
         "--output-schema", "-C", "--cd", "-p", "--profile", "--local-provider"},
        {"--json", "--skip-git-repo-check", "--oss", "--dangerously-bypass-approvals-and-sandbox"},
        set(), "error: unexpected argument '{}' found", 2,
    ),
    "gemini": (
        {"-p", "--prompt", "-m", "--model", "-o", "--output-format", "--approval-mode"},
        {"-y", "--yolo", "--skip-trust", "-s", "--sandbox", "-d", "--debug"},
        set(), "Unknown argument: {}", 1,
    ),
    "llm": (
        {"-m", "--model", "-s", "--system", "-d", "--database", "-t", "--template", "--cid", "--key"},
        {"--json", "-n", "--no-log", "--log", "--no-stream", "-u", "--usage", "-c", "--continue"},
        set(), "Error: No such option: {}", 2,
    ),
    "ollama": (
        {"--format", "--keepalive", "--think"},
        {"--hidethinking", "--verbose", "--nowordwrap", "--insecure"},
        set(), "Error: unknown flag: {}", 1,
    ),
    "aider": (  # (configargparse: every boolean has its --no- form)
        {"--message", "--msg", "-m", "--message-file", "-f", "--model", "--weak-model", "--editor-model",
         "--input-history-file", "--chat-history-file", "--llm-history-file", "--chat-mode", "--edit-format",
         "--file", "--read", "--map-tokens", "--api-key", "--set-env", "--env-file", "-c", "--config"},
        {f"--{no}{flag}" for no in ("", "no-") for flag in (
            "auto-commits", "dirty-commits", "git", "pretty", "stream", "check-update", "analytics",
            "restore-chat-history", "dry-run", "show-model-warnings", "show-release-notes", "fancy-input",
            "suggest-shell-commands", "auto-lint", "auto-test", "verbose")}
        | {"--yes-always", "--yes", "--architect", "--subtree-only", "-v"},
        set(), "usage: aider [-h] [--model MODEL] ...\naider: error: unrecognized arguments: {}", 2,
    ),
}  # fmt: skip


_SANDBOX = ("read-only", "workspace-write", "danger-full-access")
CHOICES = {  # cli: {flag: (allowed values, message)}: the real parsers reject any other value
    "claude": {
        "--output-format": (("text", "json", "stream-json"), "error: option '--output-format <format>' argument '{v}' is invalid. Allowed choices are {c}."),
        "--permission-mode": (("acceptEdits", "bypassPermissions", "default", "dontAsk", "plan"), "error: option '--permission-mode <mode>' argument '{v}' is invalid. Allowed choices are {c}."),
    },
    "codex": {
        "-s": (_SANDBOX, "error: invalid value '{v}' for '--sandbox <SANDBOX_MODE>'"),
        "--sandbox": (_SANDBOX, "error: invalid value '{v}' for '--sandbox <SANDBOX_MODE>'"),
        "--color": (("always", "never", "auto"), "error: invalid value '{v}' for '--color <COLOR>'"),
    },
    "gemini": {
        "-o": (("text", "json", "stream-json"), 'Invalid values:\n  Argument: output-format, Given: "{v}", Choices: {c}'),
        "--output-format": (("text", "json", "stream-json"), 'Invalid values:\n  Argument: output-format, Given: "{v}", Choices: {c}'),
        "--approval-mode": (("default", "auto_edit", "yolo", "plan"), 'Invalid values:\n  Argument: approval-mode, Given: "{v}", Choices: {c}'),
    },
}  # fmt: skip


def parse_args(cli: str, args: list[str]) -> tuple[dict[str, str | bool | list[str]], list[str]]:
    valued, booleans, variadic, unknown, code = SPECS[cli]
    opts: dict[str, str | bool | list[str]] = {}
    pos: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        name, eq, val = a.partition("=")
        if cli == "codex" and a[:2] in valued and len(a) > 2 and a[1] != "-":  # (clap: -pNAME, -p=NAME)
            name, eq, val = a[:2], "=", a[2:].removeprefix("=")
        if a == "-" or not a.startswith("-"):
            pos.append(a)
        elif name in valued:
            if not eq:
                i += 1
                if i >= len(args):
                    raise Usage(f"error: option '{a}' argument missing", code)
                val = args[i]
            if name in CHOICES.get(cli, {}):
                allowed, message = CHOICES[cli][name]
                if val not in allowed:
                    shown = ", ".join(allowed if cli == "claude" else (f'"{c}"' for c in allowed))
                    raise Usage(message.format(v=val, c=shown), code)
            opts[name] = val
        elif a in booleans:
            opts[a] = True
        elif name in variadic:  # swallows following words, as the real claude does
            words = [val] if eq else []
            while not eq and i + 1 < len(args) and not args[i + 1].startswith("-"):
                i += 1
                words.append(args[i])
            opts[name] = words
        else:
            raise Usage(unknown.format(a), code)
        i += 1
    return opts, pos


def opt(opts: dict, *names: str) -> str | None:
    for n in names:
        if isinstance(opts.get(n), str):
            return opts[n]
    return None


def read_stdin() -> str:
    return "" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.read()


def directives(prompt: str) -> tuple[dict[str, str], str]:
    d: dict[str, str] = {}
    body = []
    for line in prompt.splitlines():
        s = line.strip()
        if not s.startswith("FAKE:"):
            body.append(line)
            continue
        rest = s[5:].strip()
        while rest:
            if rest.startswith(("answer=", "stderr=")):
                k, _, v = rest.partition("=")
                d[k] = v.replace("\\n", "\n")
                break
            word, _, rest = rest.partition(" ")
            k, _, v = word.partition("=")
            d[k] = v
            rest = rest.strip()
    return d, "\n".join(body)


def log(event: str, cli: str, label: str, at: str | None = None) -> None:
    """Append `event <time> <pid> <cli> <label>` to `$FAKE_AGENT_LOG`, if set (`at`: the time, as written)."""
    path = os.environ.get("FAKE_AGENT_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"{event} {at or f'{time.time():.6f}'} {os.getpid()} {cli} {label}\n")


def keep_prompt(prompt: str, started: str) -> None:
    """Write `prompt` to `$FAKE_AGENT_PROMPTS/<pid>-<started>.prompt`, if that variable is set: the pid and
    the time of its `start` log line, as written there (a pid alone is used again, within a soak's seed)."""
    folder = os.environ.get("FAKE_AGENT_PROMPTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        Path(folder, f"{os.getpid()}-{started}.prompt").write_text(prompt, encoding="utf-8")


def keep_fired(started: str) -> None:
    """Beside the prompt `keep_prompt` kept, an empty `<pid>-<started>.fired`: this invocation's fault
    directives took effect (`faults_fire`), so what it bills is a fault's (a refusal: nothing; a stop at a
    limit, `stopped=`: the prompt's tokens in, none out), not an answer's (benchmarks/soak_ledger.py)."""
    folder = os.environ.get("FAKE_AGENT_PROMPTS")
    if folder:
        Path(folder, f"{os.getpid()}-{started}.fired").touch()


def terminated(cli: str, label: str) -> None:
    """SIGTERM before the answer was given: log `term`, then die of the signal as the real CLI would."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    log("term", cli, label)
    os.kill(os.getpid(), signal.SIGTERM)


def linger(seconds: float) -> None:
    """Wait up to `seconds`, or until `$FAKE_AGENT_STATE/stop-lingering` exists."""
    state = os.environ.get("FAKE_AGENT_STATE")
    stop = Path(state) / "stop-lingering" if state else None
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not (stop is not None and stop.exists()):
        time.sleep(0.02)


FAULTS = ("fail", "exit", "hang", "is_error", "stopped", "exit0-no-output", "invalid-json-answer")


def faults_fire(cli: str, prompt: str, d: dict[str, str]) -> bool:
    """Whether this invocation's fault directives take effect: not once `$FAKE_AGENT_STATE/healed` exists;
    with times=N, only for the first N invocations of this exact prompt; else always."""
    if not any(k in d for k in FAULTS):
        return False
    state_dir = os.environ.get("FAKE_AGENT_STATE")
    if state_dir and (Path(state_dir) / "healed").exists():
        return False
    if "times" not in d or not state_dir:
        return True
    state = Path(state_dir)
    state.mkdir(parents=True, exist_ok=True)
    key = digest(cli + "\0" + prompt, 16)
    with open(state / f"{key}.count", "a+", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.seek(0)
        n = int(fh.read().strip() or 0) + 1
        fh.seek(0)
        fh.truncate()
        fh.write(str(n))
    return n <= int(d["times"])


FAILURES = {  # cli -> code -> message (the real tools' wording)
    "claude": {
        "429": 'API Error: Request rejected (429) · {"type":"error","error":{"type":"rate_limit_error","message":"Rate limited"}}',
        "529": "API Error: 529 Overloaded. This is a server-side issue, usually temporary — try again in a moment.",
        "500": 'API Error: 500 {"type":"error","error":{"type":"api_error","message":"Internal server error"}}',
        "503": 'API Error: 503 {"type":"error","error":{"type":"api_error","message":"Service unavailable"}}',
        "401": "Invalid API key · Fix external API key",
        "403": 'API Error: 403 {"type":"error","error":{"type":"permission_error","message":"Forbidden"}}',
        "noauth": "Not logged in · Please run /login",
        "quota": "Credit balance is too low",
        # (a subscription's 5-hour or weekly window is spent: anthropics/claude-code#79765, slopus/happy#465)
        "usage-limit": "You've hit your limit · resets 1pm (Europe/Lisbon)",
    },
    "codex": {
        "429": "exceeded retry limit, last status: 429 Too Many Requests",
        "500": "exceeded retry limit, last status: 500 Internal Server Error",
        "503": "exceeded retry limit, last status: 503 Service Unavailable",
        "529": "exceeded retry limit, last status: 529",
        "401": "unexpected status 401 Unauthorized: Incorrect API key provided",
        "403": "unexpected status 403 Forbidden",
        "noauth": "Not logged in: run `codex login`",
        "quota": "Quota exceeded. Check your plan and billing details.",
        "dblock": "error returned from database: (code: 5) database is locked",
        # (a ChatGPT plan's usage window is spent: codex's UsageLimitReachedError)
        "usage-limit": "You've hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro) or try again in 2 hours 5 minutes.",
    },
    "gemini": {
        "429": "Resource exhausted. Please try again later.",
        "500": "Internal error encountered.",
        "503": "The model is overloaded. Please try again later.",
        "529": "Overloaded.",
        "401": "API key not valid. Please pass a valid API key. API_KEY_INVALID",
        "403": "Permission denied.",
        "quota": "You exceeded your current quota, please check your plan and billing details.",
        # (a free tier's per-minute quota: the API says when to come back)
        "429-hint": "You exceeded your current quota, please check your plan and billing details. * Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 10, model: gemini-2.5-flash\nPlease retry in 1.5s.",
    },
    "llm": {
        "429": "Error: Error code: 429 - {'error': {'message': 'Rate limit reached', 'code': 'rate_limit_exceeded'}}",
        "500": "Error: Error code: 500 - {'error': {'message': 'The server had an error'}}",
        "503": "Error: Error code: 503 - {'error': {'message': 'The engine is currently overloaded'}}",
        "529": "Error: Error code: 529 - {'error': {'message': 'Overloaded'}}",
        "401": "Error: Error code: 401 - {'error': {'message': 'Incorrect API key provided', 'code': 'invalid_api_key'}}",
        "403": "Error: Error code: 403 - {'error': {'message': 'Forbidden'}}",
        "noauth": "Error: No key found - add one using 'llm keys set openai' or set the OPENAI_API_KEY environment variable",
        "quota": "Error: Error code: 429 - {'error': {'message': 'You exceeded your current quota', 'code': 'insufficient_quota'}}",
        "dblock": "Error: database is locked",
    },
    "ollama": {
        "429": "Error: 429 Too Many Requests: rate limit exceeded, please try again",
        "500": "Error: 500 Internal Server Error: llama runner process has terminated",
        "503": "Error: 503 Service Unavailable: server busy, please try again.  maximum pending requests exceeded",
        "529": "Error: 529: overloaded",
        "403": "Error: 403 Forbidden",
        "network": "Error: could not connect to ollama server, run 'ollama serve' to start it",
        # (a model it has not got is pulled first; one the registry has not got either: ollama/ollama#2292)
        "nomodel": "pulling manifest \nError: pull model manifest: file does not exist",
    },
    # (litellm's exception as aider prints it, `str(err)`, then aider's own explanation, `exceptions.py`)
    "aider": {
        "429": "litellm.RateLimitError: RateLimitError: OpenAIException - Error code: 429 - {'error': {'message': 'Rate limit reached for gpt-4o in organization org-fake on requests per min (RPM): Limit 500, Used 500, Requested 1.', 'type': 'requests', 'code': 'rate_limit_exceeded'}}\nThe API provider has rate limited you. Try again later or check your quotas.",
        "500": "litellm.InternalServerError: InternalServerError: OpenAIException - The server had an error while processing your request. Sorry about that!\nThe API provider's servers are down or overloaded.",
        "503": "litellm.ServiceUnavailableError: ServiceUnavailableError: OpenAIException - The engine is currently overloaded, please try again later.\nThe API provider's servers are down or overloaded.",
        "529": "litellm.InternalServerError: AnthropicException - Overloaded. Handle with `litellm.InternalServerError`.\nThe API provider's servers are down or overloaded.",
        "401": "litellm.AuthenticationError: AuthenticationError: OpenAIException - Incorrect API key provided: sk-fake. You can find your API key at https://platform.openai.com/account/api-keys.\nThe API provider is not able to authenticate you. Check your API key.\nOpen URL for more info? (Y)es/(N)o/(D)on't ask again [Yes]: y",
        "403": "litellm.PermissionDeniedError: PermissionDeniedError: OpenAIException - Error code: 403 - {'error': {'message': 'Forbidden'}}\nThe API provider has refused the request due to a safety policy about the content.",
        "noauth": "litellm.AuthenticationError: AuthenticationError: OpenAIException - The api_key client option must be set either by passing api_key to the client or by setting the OPENAI_API_KEY environment variable\nThe API provider is not able to authenticate you. Check your API key.",
        "quota": "litellm.RateLimitError: RateLimitError: OpenAIException - You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.\nThe API provider has rate limited you. Try again later or check your quotas.",
        "context": "\nModel {model} has hit a token limit!\nToken counts below are approximate.\n\nInput tokens: ~131,072 of 128,000 -- possibly exhausted context window!\nOutput tokens: ~0 of 16,384\nTotal tokens: ~131,072 of 128,000 -- possibly exhausted context window!\n\nTo reduce input tokens:\n- Use /tokens to see token usage.\n- Use /drop to remove unneeded files from the chat session.\n- Use /clear to clear the chat history.\n- Break your code into smaller source files.\n\nFor more info: https://aider.chat/docs/troubleshooting/token-limits.html",
    },
}  # fmt: skip
# (aider's `try_to_select_default_model`: the first provider whose key is set, when no --model is given)
AIDER_KEYS = (
    ("ANTHROPIC_API_KEY", "sonnet"), ("DEEPSEEK_API_KEY", "deepseek"),
    ("OPENROUTER_API_KEY", "openrouter/anthropic/claude-sonnet-4"), ("OPENAI_API_KEY", "gpt-4o"),
    ("GEMINI_API_KEY", "gemini/gemini-2.5-pro"),
)  # fmt: skip
# (ollama's `ConnectInstructions` after its sign-in sentence; the key is the machine's public key)
OLLAMA_SIGNIN = (
    "You need to be signed in to Ollama to run Cloud models.\n\n"
    "To sign in, navigate to:\n    https://ollama.com/connect?name={host}&key=c3NoLWVkMjU1MTkgQUFBQUM\n"
)


# What each CLI accepts as being logged in (RUNNERS.md): a key in the environment, or a credentials file in its
# config directory (which agentmake gives each job its own copy of). llm and ollama are not checked (llm
# keeps keys in its own user directory; ollama's local models need none).
CREDENTIALS = {
    "claude": (
        (
            "ANTHROPIC_API_KEY",
            "ANTHROPIC_AUTH_TOKEN",
            "CLAUDE_CODE_OAUTH_TOKEN",
            "CLAUDE_CODE_USE_BEDROCK",
            "CLAUDE_CODE_USE_VERTEX",
        ),
        ("CLAUDE_CONFIG_DIR", ".claude", ".credentials.json"),
    ),
    "codex": (("CODEX_API_KEY", "CODEX_ACCESS_TOKEN"), ("CODEX_HOME", ".codex", "auth.json")),
}  # fmt: skip (gemini: `gemini_refusal`)


def logged_in(cli: str) -> bool:
    if cli == "aider":  # (a key of some provider; aider reads no login file of its own)
        return any(os.environ.get(name) for name, _ in AIDER_KEYS)
    if cli not in CREDENTIALS:
        return True
    names, (dir_env, home_dir, file) = CREDENTIALS[cli]
    if any(os.environ.get(n) for n in names):
        return True
    directory = (dir_env and os.environ.get(dir_env)) or os.path.join(os.path.expanduser("~"), home_dir)
    return os.path.isfile(os.path.join(directory, file))


def gemini_home() -> Path:
    """Where gemini keeps its `.gemini` (settings, oauth_creds.json, .env): GEMINI_CLI_HOME, else ~."""
    return Path(os.environ.get("GEMINI_CLI_HOME") or os.path.expanduser("~"))


def dotenv_parse(text: str) -> dict[str, str]:
    """The dotenv format gemini reads: `KEY=value` lines, `export` allowed, quoted values, `#` comments."""
    found = {}
    for line in text.splitlines():
        name, eq, value = line.strip().removeprefix("export ").partition("=")
        name, value = name.strip(), value.strip()
        if not eq or not name or name.startswith("#"):
            continue
        if value[:1] in ("'", '"', "`") and value.find(value[0], 1) > 0:
            value = value[1 : value.find(value[0], 1)]
        else:
            value = value.partition("#")[0].strip()
        found[name] = value
    return found


def gemini_env_file(start: Path) -> Path | None:
    """gemini's `findEnvFile`: `.gemini/.env`, then `.env`, in each directory from `start` up; then its
    home's (`gemini_home`). One file alone."""
    for directory in (start, *start.parents, gemini_home()):
        for path in (directory / ".gemini" / ".env", directory / ".env"):
            if path.exists():
                return path
    return None


def gemini_settings(trusted: bool) -> list[dict]:
    """gemini's settings files, the one that wins first: system settings, the project's (in a trusted
    folder, not the home), the user's, system defaults (`mergeSettings`)."""
    system = Path(os.environ.get("GEMINI_CLI_SYSTEM_SETTINGS_PATH") or "/etc/gemini-cli/settings.json")
    defaults = Path(
        os.environ.get("GEMINI_CLI_SYSTEM_DEFAULTS_PATH") or system.parent / "system-defaults.json"
    )
    paths = [system]
    if trusted and Path.cwd().resolve() != gemini_home().resolve():
        paths.append(Path.cwd() / ".gemini" / "settings.json")
    paths += [gemini_home() / ".gemini" / "settings.json", defaults]
    found = []
    for path in paths:
        try:
            settings = json.loads(json_uncommented(path.read_text()))
        except (OSError, ValueError):
            continue
        if isinstance(settings, dict):
            found.append(settings)
    return found


def json_uncommented(text: str) -> str:
    """JSON with its `//` and `/* */` comments taken out (gemini's settings may hold them: strip-json-comments)."""
    out, i, quoted = [], 0, False
    while i < len(text):
        c = text[i]
        if quoted:
            out.append(c)
            if c == "\\":
                out.append(text[i + 1 : i + 2])
                i += 1
            elif c == '"':
                quoted = False
        elif text.startswith("//", i):
            i = text.find("\n", i)
            i = len(text) if i < 0 else i
            continue
        elif text.startswith("/*", i):
            i = text.find("*/", i + 2)
            i = len(text) if i < 0 else i + 2
            continue
        else:
            quoted = c == '"'
            out.append(c)
        i += 1
    return "".join(out)


def gemini_setting(settings: list[dict], key: str) -> str | None:
    for each in settings:
        value = ((each.get("security") or {}).get("auth") or {}).get(key)
        if key == "selectedType" and not value:
            value = each.get("selectedAuthType")
        if isinstance(value, str) and value:
            return value
    return None


def gemini_refusal(opts: dict) -> str | None:
    """Why gemini refuses to start for want of a login (gemini-cli `validateNonInteractiveAuth`, exit 41), or
    None. Its environment gets what the `.env` file it finds gives the variables not set (in a trusted
    folder: `loadEnvironment`); the auth type its settings choose (`security.auth.selectedType`) wins over
    the environment's (`getAuthTypeFromEnv`); `security.auth.enforcedType` refuses any other; then
    `validateAuthMethod`: gemini-api-key needs GEMINI_API_KEY, vertex-ai GOOGLE_CLOUD_PROJECT and
    GOOGLE_CLOUD_LOCATION, or GOOGLE_API_KEY (express mode); oauth-personal a cached sign-in."""
    trusted = bool(opts.get("--skip-trust")) or os.environ.get("GEMINI_CLI_TRUST_WORKSPACE") == "true"
    env = dict(os.environ)
    found = gemini_env_file(Path.cwd()) if trusted else None
    if found is not None:
        with contextlib.suppress(OSError, ValueError):
            for name, value in dotenv_parse(found.read_text()).items():
                env.setdefault(name, value)
    settings = gemini_settings(trusted)
    kind = gemini_setting(settings, "selectedType")
    if not kind:
        if env.get("GOOGLE_GENAI_USE_GCA") == "true":
            kind = "oauth-personal"
        elif env.get("GOOGLE_GENAI_USE_VERTEXAI") == "true":
            kind = "vertex-ai"
        elif env.get("GEMINI_API_KEY"):
            kind = "gemini-api-key"
        elif "true" in (env.get("CLOUD_SHELL"), env.get("GEMINI_CLI_USE_COMPUTE_ADC")):
            kind = "compute-default-credentials"
    enforced = gemini_setting(settings, "enforcedType")
    if enforced and kind != enforced:
        if kind:
            return f"The enforced authentication type is '{enforced}', but the current type is '{kind}'. Please re-authenticate with the correct type."
        return f"The auth type '{enforced}' is enforced, but no authentication is configured."
    if not kind:
        return GEMINI_NO_AUTH.format(path=gemini_home() / ".gemini" / "settings.json")
    again = "Update your environment and try again (no reload needed if using .env)!"
    if kind == "gemini-api-key" and not env.get("GEMINI_API_KEY"):
        return f"When using Gemini API, you must specify the GEMINI_API_KEY environment variable.\n{again}"
    if kind == "vertex-ai" and not (
        (env.get("GOOGLE_CLOUD_PROJECT") and env.get("GOOGLE_CLOUD_LOCATION")) or env.get("GOOGLE_API_KEY")
    ):
        return (
            "When using Vertex AI, you must specify either:\n"
            "• GOOGLE_CLOUD_PROJECT and GOOGLE_CLOUD_LOCATION environment variables.\n"
            f"• GOOGLE_API_KEY environment variable (if using express mode).\n{again}"
        )
    if kind == "oauth-personal" and not (gemini_home() / ".gemini" / "oauth_creds.json").is_file():
        return GEMINI_MANUAL_AUTH
    if kind not in ("gemini-api-key", "vertex-ai", "oauth-personal", "compute-default-credentials"):
        return "Invalid auth method selected."
    return None


GEMINI_NO_AUTH = (
    "Please set an Auth method in your {path} or specify one of the following environment variables before "
    "running: GEMINI_API_KEY, GOOGLE_GENAI_USE_VERTEXAI, GOOGLE_GENAI_USE_GCA"
)
GEMINI_MANUAL_AUTH = (
    "Error authenticating: FatalAuthenticationError: Manual authorization is required but the current session "
    "is non-interactive. Please run the Gemini CLI in an interactive terminal to log in, provide a "
    "GEMINI_API_KEY, or ensure Application Default Credentials are configured."
)


def gemini_auth_failed(message: str, opts: dict) -> int:
    """gemini's auth failure, exit 41: its message on stderr (json mode: `handleError`'s JSON object)."""
    if opt(opts, "-o", "--output-format") == "json":
        error = {"type": "Error", "message": message, "code": 41}
        print(as_json({"session_id": uuid4(), "error": error}, indent=2), file=sys.stderr)
    else:
        print(message, file=sys.stderr)
    return 41


CODEX_BUILT_IN = ("openai", "oss", "ollama", "lmstudio")  # (codex's own providers: no env_key of a table)


def codex_provider_key(argv: list[str]) -> str | None:
    """The ``env_key`` of the custom ``model_provider`` codex's configuration chooses: the real codex then
    reads that provider's API key from that variable alone, not CODEX_API_KEY nor its auth.json (codex-rs
    `ModelProviderInfo::api_key`), and without it fails with "Missing environment variable: `NAME`.". Read
    as codex merges them: ``config.toml`` of CODEX_HOME, the ``--profile NAME`` file there, the ``-c``
    overrides (``model_provider=...``, ``model_providers.NAME.env_key=...``), each over the ones before.
    Not modelled: the system file and the project's ``.codex`` layers. None for a built-in provider, a
    provider with no env_key, or on Python 3.10 (no tomllib)."""
    try:
        import tomllib
    except ImportError:
        return None
    home = Path(os.environ.get("CODEX_HOME") or Path("~/.codex").expanduser())
    names = [home / "config.toml"]
    for i, a in enumerate(argv):
        if a in ("-p", "--profile") and i + 1 < len(argv):
            names.append(home / f"{argv[i + 1]}.config.toml")
        elif a.startswith("--profile="):
            names.append(home / f"{a.partition('=')[2]}.config.toml")
    provider, keys = None, {}
    for path in names:
        try:
            table = tomllib.loads(path.read_text())
        except (OSError, ValueError):
            continue
        provider = table.get("model_provider", provider)
        for name, each in (table.get("model_providers") or {}).items():
            if isinstance(each, dict) and "env_key" in each:
                keys[name] = each["env_key"]
    for i, a in enumerate(argv):  # (the -c overrides, in order, over every file)
        pair = (
            argv[i + 1]
            if a in ("-c", "--config") and i + 1 < len(argv)
            else a.partition("=")[2]
            if a.startswith("--config=")
            else None
        )
        key, eq, raw = (pair or "").partition("=")
        value = raw.strip().strip("\"'")
        if not eq:
            continue
        parts = [p.strip().strip("\"'") for p in key.split(".")]
        if parts == ["model_provider"]:
            provider = value
        elif len(parts) == 3 and parts[0] == "model_providers" and parts[2] == "env_key":
            keys[parts[1]] = value
    key = keys.get(provider) if isinstance(provider, str) and provider not in CODEX_BUILT_IN else None
    return key if isinstance(key, str) and key else None


def login_file(cli: str) -> Path | None:
    if cli not in CREDENTIALS:
        return None
    _, (dir_env, home_dir, file) = CREDENTIALS[cli]
    directory = (dir_env and os.environ.get(dir_env)) or os.path.join(os.path.expanduser("~"), home_dir)
    return Path(directory, file)


def refresh_login(cli: str) -> None:
    """Rotate the tokens of the login file, as a refresh does (the old refresh token is then spent)."""
    path = login_file(cli)
    assert path is not None and path.is_file(), f"fake {cli}: no login file to refresh"
    doc = json.loads(path.read_text())
    if cli == "claude":
        oauth = doc["claudeAiOauth"]
        oauth["accessToken"] += "-refreshed"
        oauth["refreshToken"] += "-refreshed"
        oauth["expiresAt"] += 3_600_000
    else:
        doc["tokens"]["access_token"] += "-refreshed"
        doc["tokens"]["refresh_token"] += "-refreshed"
        doc["last_refresh"] = time.strftime("%Y-%m-%dT%H:%M:%S.123456789Z", time.gmtime())
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc))
    os.replace(tmp, path)


def fail(cli: str, code: str, opts: dict, out) -> int:
    msg = FAILURES[cli].get(code) or f"Error: {code} unexpected failure"
    status = (
        int(code)
        if code.isdigit()
        else {"quota": 429, "usage-limit": 429, "429-hint": 429, "noauth": 401}.get(code)
    )
    err = sys.stderr
    if cli == "claude":  # (text mode: the API error on stdout)
        refused = unbilled(result_obj(msg, opts, is_error=True, status=status))
        # (claude retries an API error itself, a 401 too, CLAUDE_CODE_MAX_RETRIES times: RUNNERS.md)
        retries = int(os.environ.get("CLAUDE_CODE_MAX_RETRIES") or 10) if code.isdigit() else 0
        claude_print(refused, opts, out, msg, error=msg, retries=retries)
        return 1
    if cli == "codex":
        if code == "network":
            # (--json: the retry notices are `error` events on stdout, as every stream error the turn
            # retries: openai/codex#32984; text mode prints them on stderr)
            if opts.get("--json"):
                for event in (
                    {"type": "thread.started", "thread_id": uuid4()},
                    {"type": "turn.started"},
                ):
                    print(as_json(event), flush=True)
            while True:
                if opts.get("--json"):
                    print(
                        as_json({"type": "error", "message": "Reconnecting... waiting for network"}),
                        flush=True,
                    )
                else:
                    print("Reconnecting... waiting for network", file=err, flush=True)
                time.sleep(0.5)
        if isinstance(opts.get("-o") or opts.get("--output-last-message"), str):
            Path(opt(opts, "-o", "--output-last-message") or "").write_text("")  # -o leaves an empty file
        if opts.get("--json"):
            out(as_json({"type": "thread.started", "thread_id": uuid4()}))
            out(as_json({"type": "turn.started"}))
            out(as_json({"type": "error", "message": msg}))
            out(as_json({"type": "turn.failed", "error": {"message": msg}}))
        else:
            print(f"ERROR: {msg}", file=err)
        return 1
    if cli == "gemini":
        if code == "noauth":
            return gemini_auth_failed(
                GEMINI_NO_AUTH.format(path=gemini_home() / ".gemini" / "settings.json"), opts
            )
        if opt(opts, "-o", "--output-format") == "json":
            err_obj = {"error": {"type": "Error", "message": f"[API Error: {msg}]", "code": status}}
            print(as_json(err_obj, indent=2), file=err)
            return (status or 1) % 256
        if opt(opts, "-o", "--output-format") == "stream-json":
            # (gemini-cli's handleError in stream-json mode: a result event with status "error" on stdout,
            # then the same exit code as in json mode)
            model = opt(opts, "-m", "--model") or "gemini-2.5-pro"
            for event in gemini_stream_start(model, ""):
                out(as_json(event))
            stats = {"total_tokens": 0, "input_tokens": 0, "output_tokens": 0, "cached": 0, "input": 0,
                     "duration_ms": 0, "tool_calls": 0}  # fmt: skip
            error = {"type": "Error", "message": f"[API Error: {msg}]"}
            out(as_json({"type": "result", "timestamp": now_iso(), "status": "error", "error": error,
                          "stats": stats}))  # fmt: skip
            return (status or 1) % 256
        print(f"Error when talking to Gemini API {msg}", file=err)
        return 1
    if cli == "aider":  # (stdout, and exit 0: aider#5552)
        out(aider_banner(opts))
        said = msg.replace("{model}", aider_model(opts))
        if code in ("429", "500", "503", "529", "quota"):  # (litellm errors aider retries itself first)
            out(said.split("\n")[0] + "\n" + said.split("\n")[1] + "\nRetrying in 0.2 seconds...")
        out(said)
        aider_history(opts, "")
        return 0
    if cli == "ollama" and code in ("401", "noauth"):
        # ollama's RunHandler/generate on an AuthorizationError 401: `fmt.Printf` of the sign-in request and
        # its URL (stdout), then `return nil` (exit 0)
        out(OLLAMA_SIGNIN.format(host=os.uname().nodename))
        return 0
    print(msg, file=err)
    return 1


def aider_model(opts: dict) -> str:
    """The model aider uses: `--model`, else the first provider's whose key is set (`AIDER_KEYS`)."""
    return opt(opts, "--model") or next((m for k, m in AIDER_KEYS if os.environ.get(k)), "gpt-4o")


def aider_banner(opts: dict) -> str:
    """What aider prints before the call (`Coder.get_announcements`), then the blank line of main()."""
    mode = opt(opts, "--chat-mode", "--edit-format") or "diff"
    lines = ["Aider v0.86.2", f"Main model: {aider_model(opts)} with {mode} edit format",
             "Weak model: gpt-4o-mini", "Git repo: none", "Repo-map: disabled"]  # fmt: skip
    history = Path(opt(opts, "--chat-history-file") or ".aider.chat.history.md")
    if opts.get("--restore-chat-history") and history.is_file():
        lines.append("Restored previous conversation history.")
    return "\n".join(lines) + "\n"


def aider_usage(opts: dict, tin: int, tout: int) -> str:
    """aider's usage report (`calculate_and_show_tokens_and_cost`): tokens as `format_tokens` has them, the
    cost (as `format_cost`) only for a model whose price it knows (not a local ollama one)."""

    def tokens(n: int) -> str:
        return f"{n}" if n < 1000 else f"{n / 1000:.1f}k" if n < 10000 else f"{round(n / 1000)}k"

    def cost(value: float) -> str:
        if value == 0:
            return "0.00"
        return f"{value:.2f}" if value >= 0.01 else f"{value:.{max(2, 2 - int(math.log10(value)))}f}"

    report = f"Tokens: {tokens(tin)} sent, {tokens(tout)} received."
    if aider_model(opts).startswith(("ollama/", "ollama_chat/")):
        return report
    price = 3e-6 * tin + 15e-6 * tout
    return f"{report} Cost: ${cost(price)} message, ${cost(price)} session."


def aider_history(opts: dict, answer: str) -> None:
    """aider's chat history (and, for --message, input history) appended, where it is told or in the cwd."""
    chat = Path(opt(opts, "--chat-history-file") or ".aider.chat.history.md")
    message = opt(opts, "--message", "--msg", "-m")
    with chat.open("a", encoding="utf-8") as fh:
        fh.write(f"\n# aider chat started at {time.strftime('%Y-%m-%d %H:%M:%S')}\n\n{answer}\n")
    if message is not None:
        with Path(opt(opts, "--input-history-file") or ".aider.input.history").open("a") as fh:
            fh.write(f"\n# {time.strftime('%Y-%m-%d %H:%M:%S')}\n+{message}\n")


def digest(text: str, n: int) -> str:
    """The first `n` hex digits of the text's SHA-256 (hashlib imported only here: a fake's start-up is paid
    by every call of the test suite, and few calls need a digest)."""
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:n]


def uuid4(*, hex: bool = False) -> str:
    """A random UUID (version 4) as `uuid.uuid4()` prints it, or its `.hex`, without importing uuid at start."""
    b = bytearray(os.urandom(16))
    b[6], b[8] = (b[6] & 0x0F) | 0x40, (b[8] & 0x3F) | 0x80
    x = b.hex()
    return x if hex else f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def as_json(obj: object, *, indent: int | None = None) -> str:
    """`obj` as the Node and Rust CLIs print JSON (claude, codex, gemini: `JSON.stringify`,
    `serde_json::to_string`): compact, no space after `,` or `:`, and non-ASCII characters as they are, not
    `\\u` escapes; with `indent`, pretty as `JSON.stringify(obj, null, indent)` (gemini's `-o json`)."""
    if indent is not None:
        return json.dumps(obj, indent=indent, ensure_ascii=False)
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


def gemini_stream_start(model: str, prompt: str) -> list[dict]:
    """The events gemini `-o stream-json` prints before any answer: init, then the user's message."""
    init = {"type": "init", "timestamp": now_iso(), "session_id": uuid4(), "model": model}
    return [init, {"type": "message", "timestamp": now_iso(), "role": "user", "content": prompt}]


def result_obj(
    text: str, opts: dict, *, is_error: bool = False, status: int | None = None, prompt: str = ""
) -> dict:
    model = opt(opts, "--model") or "claude-sonnet-4-5"
    tin, tout = len(prompt.split()), len(text.split())
    obj = {
        "type": "result", "subtype": "success", "is_error": is_error, "duration_ms": 1234,
        "duration_api_ms": 1100, "num_turns": 1, "result": text, "stop_reason": "end_turn",
        "session_id": uuid4(), "total_cost_usd": round(3e-6 * tin + 15e-6 * tout, 8),
        "usage": {"input_tokens": tin, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
                  "output_tokens": tout},
        "modelUsage": {model: {"inputTokens": tin, "outputTokens": tout, "costUSD": 0.0}},
        "permission_denials": [],
    }  # fmt: skip
    if status is not None:
        obj["api_error_status"] = status
    return obj


def unbilled(obj: dict) -> dict:
    """A result the API refused (an auth failure, a 429, an overload): no tokens were used, nothing billed
    (`total_cost_usd` 0, as claude reports a request that never got an answer)."""
    obj["total_cost_usd"] = 0.0
    obj["usage"].update(input_tokens=0, output_tokens=0)
    for used in obj["modelUsage"].values():
        used.update(inputTokens=0, outputTokens=0, costUSD=0.0)
    return obj


def stopped(subtype: str, why: str | None, opts: dict, prompt: str, out) -> int:
    """claude's error result (the Agent SDK's SDKResultMessage error variant): the `subtype` says which limit
    or failure ended the session, `errors` what it was; no `result`. The turns taken are paid for."""
    reasons = {
        "error_max_turns": f"Reached max turns ({opt(opts, '--max-turns') or 10})",
        "error_max_budget_usd": f"Reached maximum budget (${opt(opts, '--max-budget-usd') or 1})",
    }
    obj = result_obj("", opts, is_error=True, prompt=prompt)
    del obj["result"]
    obj.update(subtype=subtype, num_turns=3, stop_reason=None, total_cost_usd=0.0421)
    obj["errors"] = [why or reasons.get(subtype, f"fake: {subtype}")]
    claude_print(obj, opts, out, f"Error: {obj['errors'][0]}")
    return 1


GEMINI_TURN_LIMIT = (
    "Reached max session turns for this session. Increase the number of turns by specifying maxSessionTurns "
    "in settings.json."
)


def gemini_turn_limit(opts: dict, out) -> int:
    """gemini past its `model.maxSessionTurns` (gemini-cli's handleMaxTurnsExceededError): a
    FatalTurnLimitedError, its message on stderr (in json mode as `{session_id, error:{type, message, code}}`;
    in stream-json mode a `result` event with status "error" on stdout), exit 53."""
    fmt = opt(opts, "-o", "--output-format")
    error = {"type": "FatalTurnLimitedError", "message": GEMINI_TURN_LIMIT}
    if fmt == "json":
        print(as_json({"session_id": uuid4(), "error": {**error, "code": 53}}, indent=2),
              file=sys.stderr)  # fmt: skip
    elif fmt == "stream-json":
        for event in gemini_stream_start(opt(opts, "-m", "--model") or "gemini-2.5-pro", ""):
            out(as_json(event))
        stats = {"total_tokens": 0, "input_tokens": 0, "output_tokens": 0, "cached": 0, "input": 0,
                 "duration_ms": 0, "tool_calls": 0}  # fmt: skip
        out(as_json({"type": "result", "timestamp": now_iso(), "status": "error", "error": error,
                      "stats": stats}))  # fmt: skip
    else:
        print(GEMINI_TURN_LIMIT, file=sys.stderr)
    return 53


def verbose(opts: dict) -> bool:
    """claude's verbose mode: `--verbose`, or `"verbose": true` in the settings.json of its config directory."""
    if opts.get("--verbose"):
        return True
    directory = os.environ.get("CLAUDE_CONFIG_DIR") or os.path.join(os.path.expanduser("~"), ".claude")
    try:
        settings = json.loads(Path(directory, "settings.json").read_text())
    except (OSError, ValueError):
        return False
    return isinstance(settings, dict) and settings.get("verbose") is True


def claude_json(obj: dict, opts: dict, **session) -> str:
    """What `claude -p --output-format json` prints for the result `obj`: the object alone, or in verbose mode
    a JSON array of the session's messages, the result last (anthropics/claude-code#84784)."""
    if not verbose(opts):
        return as_json(obj)
    return as_json(claude_session(obj, opts, **session))


def claude_print(obj: dict, opts: dict, out, text: str, **session) -> None:
    """Print the session that ended with the result `obj` in claude's output format: `json` (`claude_json`),
    `stream-json` (its messages one per line, `claude_session`), or `text` (`text` alone)."""
    fmt = opt(opts, "--output-format") or "text"
    if fmt == "json":
        out(claude_json(obj, opts, **session))
    elif fmt == "stream-json":
        for event in claude_session(obj, opts, **session):
            out(as_json(event))
    else:
        out(text)


CLAUDE_VERSION = "2.1.197"
CLAUDE_TOOLS = ["Task", "Bash", "Glob", "Grep", "ExitPlanMode", "Read", "Edit", "Write", "NotebookEdit",
                "WebFetch", "TodoWrite", "WebSearch", "BashOutput", "KillShell", "SlashCommand"]  # fmt: skip
# the `error` of claude's api_retry events and of the synthetic assistant message of an API error
# (RUNNERS.md: rate_limit, server_error, authentication_failed, billing_error, ...), by HTTP status
CLAUDE_ERRORS = {401: "authentication_failed", 403: "authentication_failed", 429: "rate_limit", 500: "server_error",
                 503: "server_error", 529: "overloaded"}  # fmt: skip


def claude_session(
    obj: dict,
    opts: dict,
    *,
    writes: tuple[tuple[str, bool], ...] = (),
    error: str | None = None,
    retries: int = 0,
) -> list[dict]:
    """The messages of a claude session that ended with the result `obj`, as `--output-format stream-json
    --verbose` prints them one per line (and a verbose `json` array holds them): `system`/`init` first (its
    cwd, tools, model, permission mode, key source, version); a `system`/`api_retry` for each retry of a
    failing request (`retries`: claude retries CLAUDE_CODE_MAX_RETRIES times itself); for each file it went
    to write (`writes`: path, allowed) an `assistant` message using the Write tool and the `user` message
    holding that tool's result (a refusal: `is_error`, "Claude requested permissions to write to ..."); the
    assistant's answer, or for an API `error` the synthetic assistant message that says it (its `error`
    field names the kind); the `result` last. Each carries the session's id and a `uuid` of its own."""
    session, model = obj["session_id"], next(iter(obj["modelUsage"]))
    mode = opt(opts, "--permission-mode") or (
        "bypassPermissions" if opts.get("--dangerously-skip-permissions") else "default"
    )
    source = next((n for n in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN") if os.environ.get(n)), "none")
    events = [{
        "type": "system", "subtype": "init", "cwd": os.getcwd(), "session_id": session, "tools": CLAUDE_TOOLS,
        "mcp_servers": [], "model": model, "permissionMode": mode,
        "slash_commands": ["compact", "context", "cost", "init", "review", "security-review"],
        "apiKeySource": source, "claude_code_version": CLAUDE_VERSION, "output_style": "default",
        "agents": ["general-purpose", "statusline-setup", "Explore", "Plan"], "skills": [], "plugins": [],
        "uuid": uuid4(),
    }]  # fmt: skip
    status = obj.get("api_error_status")
    kind = CLAUDE_ERRORS.get(status, "unknown") if isinstance(status, int) else "unknown"
    for attempt in range(1, retries + 1):
        events.append({"type": "system", "subtype": "api_retry", "attempt": attempt, "max_retries": retries,
                       "retry_delay_ms": 500 * 2 ** (attempt - 1), "error_status": status, "error": kind,
                       "session_id": session, "uuid": uuid4()})  # fmt: skip

    def said(content: list, *, synthetic: bool = False, tokens: int = 0) -> dict:
        usage = {"input_tokens": 0 if synthetic else obj["usage"]["input_tokens"],
                 "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": tokens,
                 "service_tier": "standard"}  # fmt: skip
        message = {"id": "msg_" + uuid4(hex=True)[:24], "type": "message", "role": "assistant",
                   "model": "<synthetic>" if synthetic else model, "content": content,
                   "stop_reason": "stop_sequence" if synthetic else None, "stop_sequence": None,
                   "usage": usage}  # fmt: skip
        return {"type": "assistant", "message": message, "parent_tool_use_id": None, "session_id": session,
                "uuid": uuid4()}  # fmt: skip

    for path, allowed in writes:
        tool_id, where = "toolu_" + uuid4(hex=True)[:24], os.path.abspath(path)
        events.append(said([{"type": "tool_use", "id": tool_id, "name": "Write",
                             "input": {"file_path": where, "content": "..."}}], tokens=12))  # fmt: skip
        if allowed:
            told: dict = {"tool_use_id": tool_id, "type": "tool_result",
                          "content": f"File created successfully at: {where}"}  # fmt: skip
        else:
            told = {"type": "tool_result", "tool_use_id": tool_id, "is_error": True,
                    "content": f"Claude requested permissions to write to {where}, but you haven't granted it yet."}  # fmt: skip
        events.append({"type": "user", "message": {"role": "user", "content": [told]},
                       "parent_tool_use_id": None, "session_id": session, "uuid": uuid4()})  # fmt: skip
    if error is not None:
        events.append({**said([{"type": "text", "text": error}], synthetic=True), "error": kind})
    elif isinstance(obj.get("result"), str):
        events.append(said([{"type": "text", "text": obj["result"]}], tokens=obj["usage"]["output_tokens"]))
    return [*events, {**obj, "uuid": uuid4()}]


ROOT_REFUSAL = "--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons"


def refuses_to_skip_permissions(opts: dict) -> bool:
    """claude's guard: bypassing permissions as root needs IS_SANDBOX=1 (RUNNERS.md)."""
    bypass = (
        opts.get("--dangerously-skip-permissions") or opt(opts, "--permission-mode") == "bypassPermissions"
    )
    return bool(bypass) and os.geteuid() == 0 and os.environ.get("IS_SANDBOX") != "1"


def _settings_allow(cli: str) -> bool:
    """Whether the CLI's settings files let it write (as the real ones do): claude's settings.json in its
    config directory and the project's (``permissions``), codex's config.toml top-level ``sandbox_mode``."""
    if cli == "claude":
        folders = [os.environ.get("CLAUDE_CONFIG_DIR", ""), ".claude"]
        for path in [Path(f, n) for f in folders if f for n in ("settings.json", "settings.local.json")]:
            try:
                perms = json.loads(path.read_text()).get("permissions") or {}
            except (OSError, ValueError):
                continue
            tools = " ".join(perms.get("allow") or [])
            if perms.get("defaultMode") in ("acceptEdits", "bypassPermissions") or "Write" in tools:
                return True
            if "Bash" in tools:
                return True
        return False
    if cli == "codex":
        try:
            text = Path(os.environ.get("CODEX_HOME", ""), "config.toml").read_text()
        except OSError:
            return False
        return any(
            line.replace(" ", "") in ('sandbox_mode="workspace-write"', 'sandbox_mode="danger-full-access"')
            for line in text.split("[")[0].splitlines()
        )
    return False


def _codex_override(opts: dict) -> str | None:
    """The sandbox mode a ``-c sandbox_mode=...`` override sets (it beats config.toml), if any."""
    key, _, value = (opt(opts, "-c", "--config") or "").partition("=")
    return value.strip().strip("\"'") if key.strip() == "sandbox_mode" else None


def may_write(cli: str, opts: dict) -> bool:
    if cli == "claude":
        tools = " ".join(opts.get("--allowedTools", []) + opts.get("--allowed-tools", []))
        return (
            opt(opts, "--permission-mode") in ("acceptEdits", "bypassPermissions")
            or bool(opts.get("--dangerously-skip-permissions"))
            or "Write" in tools
            or "Bash" in tools
            or _settings_allow(cli)
        )
    if cli == "codex":
        mode = opt(opts, "-s", "--sandbox") or _codex_override(opts)
        if mode is None and _settings_allow(cli):
            mode = "workspace-write"
        return mode in ("workspace-write", "danger-full-access") or bool(
            opts.get("--dangerously-bypass-approvals-and-sandbox")
        )
    if cli == "gemini":
        return opt(opts, "--approval-mode") in ("auto_edit", "yolo") or bool(
            opts.get("-y") or opts.get("--yolo")
        )
    if cli == "aider":  # (asked "Create new file?", only --yes-always says yes; ask mode never edits)
        return (
            bool(opts.get("--yes-always") or opts.get("--yes"))
            and opt(opts, "--chat-mode", "--edit-format") not in ("ask", "help")
            and not opts.get("--dry-run")
        )
    return False


def get_prompt(cli: str, opts: dict, pos: list[str]) -> str:
    if cli == "claude":
        if not (opts.get("-p") or opts.get("--print")):
            raise Usage("fake claude: interactive mode is not supported (pass -p)", 1)
        stdin = read_stdin()
        arg = " ".join(pos)
        prompt = f"{arg}\n{stdin}" if arg and stdin else arg or stdin
        if not prompt:
            msg = "Error: Input must be provided either through stdin or as a prompt argument when using --print"
            raise Usage(msg, 1)
        if opt(opts, "--output-format") == "stream-json" and not opts.get("--verbose"):
            raise Usage("Error: When using --print, --output-format=stream-json requires --verbose", 1)
        return prompt
    if cli == "codex":
        if not pos or pos[0] not in ("exec", "e"):
            raise Usage("fake codex: only `codex exec` is supported", 2)
        if len(pos) > 2:
            raise Usage(f"error: unexpected argument '{pos[2]}' found", 2)
        arg = pos[1] if len(pos) > 1 else "-"
        print("Reading additional input from stdin...", file=sys.stderr, flush=True)
        stdin = read_stdin()
        prompt = stdin if arg == "-" else (f"{arg}\n\n<stdin>\n{stdin}\n</stdin>" if stdin else arg)
        if not prompt.strip():
            raise Usage("No prompt provided via stdin.", 1)
        return prompt
    if cli == "gemini":
        stdin = read_stdin()
        arg = opt(opts, "-p", "--prompt") or " ".join(pos)
        prompt = f"{stdin}\n\n{arg}" if stdin and arg else stdin or arg
        if not prompt:
            raise Usage("fake gemini: interactive mode is not supported (pass -p or pipe stdin)", 1)
        return prompt
    if cli == "llm":
        if pos and pos[0] == "prompt":
            pos = pos[1:]
        stdin = read_stdin()
        arg = " ".join(pos)
        return f"{stdin} {arg}" if stdin and arg else stdin or arg
    if cli == "ollama":
        if not pos or pos[0] != "run":
            raise Usage("fake ollama: only `ollama run MODEL` is supported", 1)
        if len(pos) < 2:
            raise Usage("Error: accepts at least 1 arg(s), received 0", 1)
        stdin = read_stdin()
        arg = " ".join(pos[2:])
        return f"{stdin} {arg}" if stdin and arg else stdin or arg
    if cli == "aider":  # (no stdin: --message or --message-file)
        message = opt(opts, "--message", "--msg", "-m")
        if message is not None:
            return message
        path = opt(opts, "--message-file", "-f")
        if path is None:
            raise Usage("fake aider: interactive mode is not supported (pass --message or --message-file)", 1)
        try:
            return Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            print(f"Message file not found: {path}", flush=True)  # (aider's tool_error: stdout)
            raise Usage("", 1) from None
    raise Usage(f"fake_agent: unknown CLI {cli!r}", 127)


def answer_text(d: dict[str, str], body: str, argv: list[str]) -> str:
    if "exit0-no-output" in d:
        return ""
    text = '{"answer": "unterminated' if "invalid-json-answer" in d else d.get("answer", "ANSWER:\n" + body)
    extra = [f"{n}={os.environ.get(n, '')}" for n in filter(None, d.get("show-env", "").split(","))]
    extra += [
        f"{n}: {'set' if n in os.environ else 'unset'}" for n in filter(None, d.get("has-env", "").split(","))
    ]
    if "show-argv" in d:
        extra.append("ARGV=" + json.dumps(argv))
    for n in filter(None, d.get("show-mode", "").split(",")):
        where = os.environ.get(n)
        extra.append(f"{n}_MODE=" + (oct(os.stat(where).st_mode & 0o777) if where else "none"))
    if "show-login" in d:
        path = login_file(os.environ.get("FAKE_AGENT_AS") or Path(argv[0]).name)
        extra.append("LOGIN=" + (path.read_text() if path is not None and path.is_file() else "none"))
    if "show-profile" in d:
        name = ""  # (the last one given)
        for i, a in enumerate(argv):
            if a in ("-p", "--profile") and i + 1 < len(argv):
                name = argv[i + 1]
            elif a.startswith("--profile="):
                name = a.partition("=")[2]
            elif a.startswith("-p") and len(a) > 2 and not a.startswith("--"):  # (clap: -pNAME, -p=NAME)
                name = a[2:].removeprefix("=")
        base = os.environ.get("CODEX_HOME") or os.path.join(os.path.expanduser("~"), ".codex")
        path = Path(base, f"{name}.config.toml")
        extra.append("PROFILE=" + (path.read_text() if name and path.is_file() else "none"))
    return "\n".join([text, *extra]) if extra else text


def succeed(
    cli: str, opts: dict, prompt: str, text: str, denials: list[str], out, d: dict, written: list[str]
) -> int:
    tin, tout = len(prompt.split()), len(text.split())
    if cli == "claude":
        obj = result_obj(text, opts, prompt=prompt)
        obj["permission_denials"] = [{"tool_name": "Write", "tool_input": {"file_path": p}} for p in denials]
        writes = tuple((p, True) for p in written) + tuple((p, False) for p in denials)
        obj["num_turns"] = 1 + len(writes)  # (each tool use a turn of its own, the answer the last)
        claude_print(obj, opts, out, text, writes=writes)
        return 0
    if cli == "codex":
        if opt(opts, "-o", "--output-last-message"):
            Path(opt(opts, "-o", "--output-last-message") or "").write_text(text)
        if opts.get("--json"):
            out(as_json({"type": "thread.started", "thread_id": uuid4()}))
            out(as_json({"type": "turn.started"}))
            out(
                as_json(
                    {"type": "item.completed", "item": {"id": "item_0", "type": "reasoning", "text": "…"}}
                )
            )
            if text:
                item = {"id": "item_1", "type": "agent_message", "text": text}
                out(as_json({"type": "item.completed", "item": item}))
            usage = {"input_tokens": tin, "cached_input_tokens": 0, "output_tokens": tout,
                     "reasoning_output_tokens": 0}  # fmt: skip
            if "cut-short" not in d:  # (else its turn never ends, and it exits 0 all the same)
                out(as_json({"type": "turn.completed", "usage": usage}))
        else:
            print(
                f"OpenAI Codex v0.169.0 (research preview)\n--------\nworkdir: {os.getcwd()}", file=sys.stderr
            )
            out(text)
            print(f"tokens used {tin + tout}", file=sys.stderr)
        return 0
    if cli == "gemini":
        if opt(opts, "-o", "--output-format") == "json":
            model = opt(opts, "-m", "--model") or "gemini-2.5-pro"
            # (as gemini: `input` = prompt - cached; nothing is cached here)
            tokens = {"input": tin, "prompt": tin, "candidates": tout, "total": tin + tout, "cached": 0,
                      "thoughts": 0, "tool": 0}  # fmt: skip
            stats = {
                "models": {model: {"api": {"totalRequests": 1}, "tokens": tokens}},
                "tools": {},
                "files": {},
            }
            out(as_json({"session_id": uuid4(), "response": text, "stats": stats}, indent=2))
        elif opt(opts, "-o", "--output-format") == "stream-json":
            # (gemini-cli's StreamJsonFormatter: JSONL events, the answer in assistant message deltas, then
            # a result event whose stats add up every model's tokens; `input_tokens` is the whole prompt)
            model = opt(opts, "-m", "--model") or "gemini-2.5-pro"
            half = len(text) // 2
            for event in gemini_stream_start(model, prompt):
                out(as_json(event))
            for part in (text[:half], text[half:]):
                out(as_json({"type": "message", "timestamp": now_iso(), "role": "assistant",
                              "content": part, "delta": True}))  # fmt: skip
            stats = {"total_tokens": tin + tout, "input_tokens": tin, "output_tokens": tout, "cached": 0,
                     "input": tin, "duration_ms": 1234, "tool_calls": 0}  # fmt: skip
            out(as_json({"type": "result", "timestamp": now_iso(), "status": "success", "stats": stats}))
        else:
            out(text)
        return 0
    if cli == "aider":
        out(aider_banner(opts))
        if "retried" in d:  # (a failure aider retried itself, then got past)
            said = FAILURES["aider"].get(d["retried"], FAILURES["aider"]["429"]).split("\n")
            out("\n".join(said[:2]) + "\nRetrying in 0.2 seconds...")
        if text:
            out(text)
        out("")
        out(aider_usage(opts, tin, tout))
        if written:  # (after the usage: aider applies the edits once the reply is in)
            out("\n".join(f"Applied edit to {rel}" for rel in written))
        aider_history(opts, text)
        return 0
    if cli == "llm" and opts.get("--json"):
        model = opt(opts, "-m", "--model") or "gpt-4o-mini"
        row = {"id": uuid4(hex=True), "model": model, "prompt": prompt, "response": text, "input_tokens": tin,
               "output_tokens": tout, "conversation_id": uuid4(hex=True), "duration_ms": 321}  # fmt: skip
        out(json.dumps([row], indent=2))
        return 0
    out(text)
    if cli == "llm" and (opts.get("-u") or opts.get("--usage")):  # (llm's token_usage_string)
        print(f"Token usage: {tin:,} input, {tout:,} output", file=sys.stderr)
    if cli == "ollama" and opts.get("--verbose"):  # (ollama's api.Metrics.Summary: a count of 0 is left out)
        summary = ["total duration:       1.2345s", "load duration:        12.5ms"]
        if tin:
            summary += [f"prompt eval count:    {tin} token(s)", "prompt eval duration: 75.3ms",
                        f"prompt eval rate:     {tin / 0.0753:.2f} tokens/s"]  # fmt: skip
        summary += [f"eval count:           {tout} token(s)", "eval duration:        674.9ms",
                    f"eval rate:            {tout / 0.6749:.2f} tokens/s"]  # fmt: skip
        print("\n".join(summary), file=sys.stderr)
    return 0


def persist_session(cli: str, opts: dict, prompt: str, printed: list[str]) -> None:
    """What the real CLI keeps of every session in its config directory, whatever the session's end: claude a
    transcript `projects/<cwd>/<session>.jsonl` (not with `--no-session-persistence`), codex a rollout
    `sessions/YYYY/MM/DD/rollout-<time>-<id>.jsonl`, llm a row of `logs.db` (its `-d` database; with `-n` it
    still opens, and so creates, the database: simonw/llm#789). Each holds the prompt and what was answered."""
    session = uuid4()
    answer = "\n".join(printed)
    if cli == "claude" and not opts.get("--no-session-persistence"):
        base = os.environ.get("CLAUDE_CONFIG_DIR") or os.path.join(os.path.expanduser("~"), ".claude")
        folder = Path(base, "projects", "".join(c if c.isalnum() else "-" for c in os.getcwd()))
        folder.mkdir(parents=True, exist_ok=True)
        lines = [{"type": "user", "sessionId": session, "cwd": os.getcwd(),
                  "message": {"role": "user", "content": prompt}},
                 {"type": "assistant", "sessionId": session, "message": {"role": "assistant", "content": answer}}]  # fmt: skip
        Path(folder, f"{session}.jsonl").write_text(
            "".join(as_json(x) + "\n" for x in lines), encoding="utf-8"
        )
    elif cli == "codex":
        base = os.environ.get("CODEX_HOME") or os.path.join(os.path.expanduser("~"), ".codex")
        folder = Path(base, "sessions", time.strftime("%Y/%m/%d"))
        folder.mkdir(parents=True, exist_ok=True)
        lines = [{"type": "session_meta", "payload": {"id": session, "cwd": os.getcwd()}},
                 {"type": "response_item", "payload": {"role": "user", "content": prompt}},
                 {"type": "response_item", "payload": {"role": "assistant", "content": answer}}]  # fmt: skip
        name = f"rollout-{time.strftime('%Y-%m-%dT%H-%M-%S')}-{session}.jsonl"
        Path(folder, name).write_text("".join(as_json(x) + "\n" for x in lines), encoding="utf-8")
    elif cli == "llm":
        import sqlite3

        user = os.environ.get("LLM_USER_PATH") or os.path.join(
            os.path.expanduser("~"), ".config", "io.datasette.llm"
        )
        db = opt(opts, "-d", "--database") or os.path.join(user, "logs.db")
        Path(db).parent.mkdir(parents=True, exist_ok=True)
        with contextlib.closing(sqlite3.connect(db, timeout=5)) as conn, conn:
            conn.execute("CREATE TABLE IF NOT EXISTS responses (id TEXT PRIMARY KEY, model TEXT, prompt TEXT, "
                         "response TEXT, datetime_utc TEXT)")  # fmt: skip
            if not (opts.get("-n") or opts.get("--no-log")):
                conn.execute("INSERT INTO responses VALUES (?, ?, ?, ?, ?)",
                             (session, opt(opts, "-m", "--model") or "gpt-4o-mini", prompt, answer, now_iso()))  # fmt: skip


def main(argv: list[str]) -> int:
    cli = os.environ.get("FAKE_AGENT_AS") or Path(argv[0]).name
    if cli not in SPECS:
        print(f"fake_agent: cannot impersonate {cli!r}", file=sys.stderr)
        return 127
    chunks: list[str] = []

    def out(text: str) -> None:
        chunks.append(text)

    try:
        opts, pos = parse_args(cli, argv[1:])
        prompt = get_prompt(cli, opts, pos)
    except Usage as e:
        if str(e):
            print(str(e), file=sys.stderr)
        return e.code
    d, body = directives(prompt)
    label = d.get("label") or digest(prompt, 8)
    started = f"{time.time():.6f}"
    if "ignore-term" not in d:  # (before `start` is logged: a test that sees it may send SIGTERM at once)
        signal.signal(signal.SIGTERM, lambda signum, frame: terminated(cli, label))
    log("start", cli, label, started)
    keep_prompt(prompt, started)
    fire = faults_fire(cli, prompt, d)
    if fire:
        keep_fired(started)
    session = False
    d = d if fire else {k: v for k, v in d.items() if k not in FAULTS}
    try:
        if cli == "claude" and refuses_to_skip_permissions(opts):
            print(ROOT_REFUSAL, file=sys.stderr)
            return 1
        if cli == "gemini":  # (its settings, .env and environment: `gemini_refusal`)
            refusal = gemini_refusal(opts)
            if refusal is not None:
                return gemini_auth_failed(refusal, opts)
        elif cli == "codex" and (provider_key := codex_provider_key(argv)) is not None:
            if not os.environ.get(provider_key):  # (the custom provider's key: its variable, no login)
                print(f"ERROR: Missing environment variable: `{provider_key}`.", file=sys.stderr)
                return 1
        elif not logged_in(cli):  # as the real CLI: no key and no credentials file, no call
            return fail(cli, "noauth", opts, out)
        if "refresh-login" in d:
            refresh_login(cli)
        if cli == "codex" and not opts.get("--skip-git-repo-check"):
            here = Path.cwd()
            if not any((p / ".git").exists() for p in (here, *here.parents)):
                print(
                    "Not inside a trusted directory and --skip-git-repo-check was not specified.",
                    file=sys.stderr,
                )
                return 1
        trusted = opts.get("--skip-trust") or os.environ.get("GEMINI_CLI_TRUST_WORKSPACE") == "true"
        if cli == "gemini" and not trusted:
            print("Gemini CLI is not running in a trusted directory.", file=sys.stderr)
            return 55
        session = True  # (from here the CLI keeps the session in its config directory: `persist_session`)
        if "ignore-term" in d:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if "spawn-grandchild" in d:
            import subprocess  # (not at start: see `digest`)

            child = subprocess.Popen(
                ["sleep", "300"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            print(f"fake: grandchild pid {child.pid}", file=sys.stderr, flush=True)
        if "sleep" in d:
            time.sleep(float(d["sleep"]))
        denials, written = [], []
        for rel in filter(None, d.get("write", "").split(",")):
            if may_write(cli, opts):
                Path(rel).parent.mkdir(parents=True, exist_ok=True)
                Path(rel).write_text(f"written by fake {cli}: {rel}\n{body}\n", encoding="utf-8")
                written.append(rel)
            else:
                denials.append(rel)
        if "stderr" in d:
            print(d["stderr"], file=sys.stderr, flush=True)
        if "hang" in d:
            while True:
                time.sleep(1)
        if "fail" in d:
            return fail(cli, d["fail"], opts, out)
        if "exit" in d:
            return int(d["exit"])
        text = answer_text(d, body, [cli, *argv[1:]])
        if cli == "claude" and "stopped" in d:
            return stopped(d["stopped"], d.get("answer"), opts, prompt, out)
        if cli == "gemini" and d.get("stopped") == "error_max_turns":
            return gemini_turn_limit(opts, out)
        if cli == "claude" and "is_error" in d:  # an API error with exit 0 ("success" with is_error)
            msg = 'API Error: Request rejected (429) · {"type":"error","error":{"type":"rate_limit_error"}}'
            refused = unbilled(result_obj(msg, opts, is_error=True, status=429))
            claude_print(refused, opts, out, msg, error=msg)  # (text mode: the error is the whole of stdout)
            return 0
        return succeed(cli, opts, prompt, text, denials, out, d, written)
    finally:
        if signal.getsignal(signal.SIGTERM) not in (signal.SIG_IGN, signal.SIG_DFL):
            signal.signal(signal.SIGTERM, signal.SIG_DFL)  # (answering now: a kill from here logs no `term`)
        # an answer printed whole was paid for: a SIGTERM that comes once it is out (agentmake's parent-death
        # signal: agentmake, dead, kept it in the log file that is our stdout, and salvages it) waits for
        # the `end` line that says so
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
        if chunks:
            sys.stdout.write("\n".join(chunks) + "\n")
            sys.stdout.flush()
        if session:
            persist_session(cli, opts, prompt, chunks)
        log("end", cli, label)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
        if "linger" in d:  # answered, but slow to exit (a CLI's teardown)
            linger(float(d["linger"]))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
