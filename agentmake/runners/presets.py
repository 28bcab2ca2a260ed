"""Built-in runner presets: how each known agent CLI is invoked non-interactively.

`PRESETS` maps a preset name to a `RunnerSpec`; the syntax layer merges a user's `runner` block over the
preset of the same name (or over `base`). Only the argv prefix lives here: the per-invocation flags (model,
write permissions, per-task config) are added by `agentmake.runners.invocation`. Facts:
/work/shared/RUNNERS.md.

`model_flag` conventions: a flag such as ``"--model"`` is followed by the model; ``""`` means the model is a
positional argument right after the command (``ollama run MODEL``); None means the runner takes no model.
"""

from __future__ import annotations

from collections.abc import Mapping

from agentmake.model import RunnerSpec, rests_on
from agentmake.runners.authfix import AUTH_FIX as AUTH_FIX  # (re-exported: their home was here)
from agentmake.runners.authfix import AUTH_KEYS as AUTH_KEYS
from agentmake.runners.authfix import auth_fix as auth_fix
from agentmake.runners.modelenv import AUTH_SWITCHES, ENDPOINT_ENV, ENDPOINT_HOSTS, MODEL_ENV

PRESETS: dict[str, RunnerSpec] = {
    "claude": RunnerSpec(
        name="claude",
        command=("claude", "-p", "--output-format", "json"),
        model_flag="--model",
        format="claude-json",
    ),
    "codex": RunnerSpec(
        name="codex",
        command=("codex", "exec", "--json", "--skip-git-repo-check"),
        model_flag="-m",
        format="codex-jsonl",
    ),
    "gemini": RunnerSpec(
        name="gemini",
        command=("gemini", "-o", "json"),
        model_flag="-m",
        format="gemini-json",
    ),
    "llm": RunnerSpec(name="llm", command=("llm",), model_flag="-m", format="text"),
    "ollama": RunnerSpec(
        name="ollama", command=("ollama", "run", "--hidethinking"), model_flag="", format="text"
    ),
    # (aider takes no stdin: the prompt goes in a file, `--message-file`, added per invocation with the files
    # that keep it out of the project: `invocation`. `-m` is aider's --message: the model is `--model`.
    # --yes-always answers every question aider asks with yes, so the rest keep it from saying yes to what
    # no build should do: upgrade aider with pip (`--no-check-update`), consent to analytics on the user's
    # behalf (`--no-analytics`); `--no-pretty` prints the answer as plain text.)
    "aider": RunnerSpec(
        name="aider",
        command=(
            "aider",
            "--yes-always",
            "--no-auto-commits",
            "--no-git",
            "--no-pretty",
            "--no-check-update",
            "--no-analytics",
        ),
        model_flag="--model",
        format="aider-text",
    ),
    # an OpenAI-compatible HTTP server (vLLM, llama.cpp, LM Studio, ollama): the command names agentmake's
    # own client (`openai_http`), which the invocation runs with agentmake's Python (`CLIENT`)
    "openai-http": RunnerSpec(
        name="openai-http", command=("agentmake-openai-http",), model_flag="--model", format="openai-json"
    ),
    "shell": RunnerSpec(name="shell", command=("sh", "-c"), model_flag=None, format="text"),
}

# The `openai-http` preset's program: no program on PATH, but `runners/openai_http.py` run by agentmake's own
# Python (`invocation.llm_invocation`); a runner's command that starts with it may add the client's options.
CLIENT = "agentmake-openai-http"


def url_problem(url: str) -> str | None:
    """What is wrong with an `openai-http` server URL (the runner's `url`, or OPENAI_BASE_URL), or None: it
    must be http(s) with a host, and hold no user or password (a URL is shown in messages and kept in the
    state; the key goes in OPENAI_API_KEY, which never is)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        good = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # (an unclosed `[` of an IPv6 address, a bad port)
        good = False
    if not good:
        return f"'{url}' is no http:// or https:// URL (e.g. http://localhost:8000/v1)"
    if "@" in parts.netloc:
        return "a user or password in the server's URL would be shown and kept: set OPENAI_API_KEY instead"
    return None


# Environment variables each preset may need for authentication or endpoints (passed through when set).
AUTH_ENV: dict[str, tuple[str, ...]] = {
    "claude": (
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_AUTH_TOKEN",
        "ANTHROPIC_BASE_URL",
        "ANTHROPIC_MODEL",  # (the model claude asks when no --model is given: `modelenv.MODEL_ENV`)
        "CLAUDE_CODE_OAUTH_TOKEN",
        "CLAUDE_CODE_MAX_RETRIES",
        "CLAUDE_CODE_USE_BEDROCK",
        "CLAUDE_CODE_USE_VERTEX",
        "API_TIMEOUT_MS",
        "IS_SANDBOX",  # (--dangerously-skip-permissions as root needs it)
    ),
    "codex": ("OPENAI_API_KEY", "OPENAI_BASE_URL", "CODEX_API_KEY", "CODEX_ACCESS_TOKEN"),
    "gemini": (
        "GEMINI_API_KEY",
        "GEMINI_MODEL",  # (the model gemini asks when no -m is given)
        "GOOGLE_API_KEY",
        "GOOGLE_CLOUD_PROJECT",
        "GOOGLE_CLOUD_LOCATION",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "GOOGLE_GENAI_USE_VERTEXAI",
        "GOOGLE_GENAI_USE_GCA",  # (=true: sign in with Google, `authfix`)
        "GEMINI_CLI_USE_COMPUTE_ADC",
        "CLOUD_SHELL",  # (=true, in Google Cloud Shell: its compute credentials, `getAuthTypeFromEnv`)
        "GEMINI_CLI_HOME",  # (where its .gemini is: settings, login, .env: `configfiles.gemini_home`)
        "GEMINI_CLI_TRUST_WORKSPACE",
        # (where gemini's system settings are: they may name its model, `configfiles.OVER`, `UNDER`)
        "GEMINI_CLI_SYSTEM_SETTINGS_PATH",
        "GEMINI_CLI_SYSTEM_DEFAULTS_PATH",
    ),
    "llm": ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "LLM_USER_PATH", "LLM_MODEL"),
    "ollama": ("OLLAMA_HOST", "OLLAMA_API_KEY"),
    # (aider calls the model's provider through litellm, which reads the provider's own variables)
    "aider": (
        *("OPENAI_API_KEY", "OPENAI_API_BASE", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "GEMINI_API_KEY"),
        *("GOOGLE_API_KEY", "DEEPSEEK_API_KEY", "OPENROUTER_API_KEY", "GROQ_API_KEY", "XAI_API_KEY"),
        *("MISTRAL_API_KEY", "COHERE_API_KEY", "AZURE_API_KEY", "AZURE_API_BASE", "AZURE_API_VERSION"),
        *("OLLAMA_API_BASE", "AIDER_MODEL"),
    ),
    "openai-http": ("OPENAI_API_KEY", "OPENAI_BASE_URL"),
    "shell": (),
}


def env_model(runner: RunnerSpec, environ: Mapping[str, str]) -> str | None:
    """The model `runner`'s CLI would take from the environment (`modelenv.MODEL_ENV`: `llm`'s LLM_MODEL)
    when agentmake passes none."""
    name = MODEL_ENV.get(preset_of(runner) or "")
    return (environ.get(name) or None) if name else None


def env_endpoint(
    runner: RunnerSpec, environ: Mapping[str, str], applied: Mapping[str, str] | None = None
) -> dict[str, list[str]]:
    """The endpoint variables (`modelenv.ENDPOINT_ENV`) `runner`'s CLI receives (its preset's `AUTH_ENV`
    and the runner's `env`) that are set, each as ``[host, digest]``: the URL's host (for explain; "" for a
    switch, or a value that names none) and the xxh3 digest of the value without the secrets a URL may
    hold (`urlsecrets.without_secrets`: its user and password, a key in its query), which is what a key
    compares and keeps: the digest of a value holding a password would let a weak one be guessed. An
    `openai-http` runner's `url` replaces OPENAI_BASE_URL: the runner's `url` is keyed instead
    (`plan.keys.runner_parts`). `applied`: endpoint variables the CLI's own settings apply over its
    environment (claude's ``env`` block: `modelconfig.CLAUDE_ENDPOINTS`), keyed in their place."""
    from agentmake.runners.urlsecrets import without_secrets

    values = _endpoint_values(runner, environ)
    if applied:
        values.update((n, v) for n, v in applied.items() if n in ENDPOINT_ENV and v)
    found: dict[str, list[str]] = {}
    for name, value in values.items():
        if name in ENDPOINT_HOSTS:
            found[name] = [host_of(value), _digest(without_secrets(value))]
        else:
            found[name] = ["", _digest(value)]
    return found


def env_endpoint_before(runner: RunnerSpec, environ: Mapping[str, str]) -> dict[str, str]:
    """The digests `env_endpoint` gave before it left the secrets out (of the whole value), of the endpoint
    variables whose digest that changed (a URL with a user, a password or a secret query parameter): for
    reading a record keyed then (`plan.upgrade`). Never kept."""
    from agentmake.runners.urlsecrets import without_secrets

    return {
        name: _digest(value)
        for name, value in _endpoint_values(runner, environ).items()
        if name in ENDPOINT_HOSTS and without_secrets(value) != value
    }


def _endpoint_values(runner: RunnerSpec, environ: Mapping[str, str]) -> dict[str, str]:
    """The endpoint variables `runner`'s CLI receives that are set, with their values."""
    preset = preset_of(runner)
    passed = set(AUTH_ENV.get(preset or "", ())) | set(runner.env)
    if preset == "openai-http" and runner.url is not None:
        passed.discard("OPENAI_BASE_URL")
    # (a login switch other than "true" is as unset: gemini tests each for "true", `modelenv.AUTH_SWITCHES`)
    return {
        name: value
        for name in ENDPOINT_ENV
        if name in passed
        and (value := environ.get(name, ""))
        and (value == "true" or name not in AUTH_SWITCHES)
    }


def _digest(value: str) -> str:
    import xxhash

    return xxhash.xxh3_128_hexdigest(value.encode("utf-8", "surrogateescape"))


def host_of(value: str) -> str:
    """The host a URL (or a bare ``host:port``, as OLLAMA_HOST may be) names, "" when it names none
    clearly: never its user, password, path or query."""
    from urllib.parse import urlsplit

    try:
        host = urlsplit(value if "://" in value else "//" + value).hostname or ""
    except ValueError:
        return ""
    return host if host and all(c.isalnum() or c in ".-:_" for c in host) else ""


# Presets whose agents can write files themselves (multi-output agents need one of these).
# (aider is an editing agent: a multi-output agent's aider edits its files, confirmed by --yes-always)
WRITES_FILES = frozenset({"claude", "codex", "gemini", "aider", "shell"})


# The most a preset's CLI reads of a prompt on stdin (shared/RUNNERS.md: gemini caps piped stdin at 8 MiB);
# a longer prompt would be cut short and still paid for, so the task fails before the call instead.
STDIN_LIMITS: dict[str, int] = {"gemini": 8 * 1024 * 1024}


def preset_of(runner: RunnerSpec) -> str | None:
    """The preset a runner is built on: the one at the root of its `base` chain, its `base`, or its own
    name when that is a preset (`model.rests_on`)."""
    return rests_on(runner, PRESETS)
