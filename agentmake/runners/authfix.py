"""What to tell a person whose credentials an agent CLI refused: what to set, or why what is set was not used.

Facts: /work/shared/RUNNERS.md and the CLIs' own documentation: `codex exec` reads CODEX_API_KEY (and
CODEX_ACCESS_TOKEN, a ChatGPT/Codex access token for trusted automation), and
OPENAI_API_KEY only once `codex login --with-api-key` saved it (openai/codex#7323); gemini reads
GEMINI_API_KEY, and GOOGLE_API_KEY only as a Vertex AI key, with GOOGLE_GENAI_USE_VERTEXAI=true (its
`getAuthTypeFromEnv`, which GOOGLE_GENAI_USE_GCA=true turns to a Google sign-in), unless its settings
choose an auth type, which wins, or enforce another (`authsettings`), a key in the ``.env`` file it loads
as good as one set; a custom
`model_provider` of codex's config.toml reads the variable its ``env_key`` names; llm takes a key saved
with `llm keys set` before the provider's variable; `ollama run` signs cloud models in with `ollama
signin`, OLLAMA_API_KEY being for ollama.com's HTTP API. No value of a key is ever put in a message: only
its name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from agentmake.errors import listed

# What to tell a person whose credentials were refused, when none of `AUTH_KEYS` is set.
AUTH_FIX: dict[str, str] = {
    "claude": "set ANTHROPIC_API_KEY or CLAUDE_CODE_OAUTH_TOKEN (or run `claude` and /login)",
    "codex": "run `codex login`, or set CODEX_API_KEY (`codex exec` does not read OPENAI_API_KEY)",
    "gemini": "set GEMINI_API_KEY or run `gemini` once to sign in",
    "llm": "set the provider's key with `llm keys set ...` or its *_API_KEY variable",
    "ollama": "run `ollama signin` (cloud models need it; local models need no key)",
    "aider": (
        "set the API key of the model's provider (OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY, "
        "DEEPSEEK_API_KEY, OPENROUTER_API_KEY, ...; another provider's variable must be named in the "
        "runner's `env`), or give it to aider in .aider.conf.yml or .env"
    ),
    "openai-http": "set OPENAI_API_KEY to the server's key (vLLM, llama.cpp: its --api-key)",
    "shell": "check the command's credentials",
}

# The keys a preset's CLI may be logged in with when set (each one its preset's `AUTH_ENV` passes on).
AUTH_KEYS: dict[str, tuple[str, ...]] = {
    "claude": ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN"),
    "codex": ("CODEX_API_KEY", "CODEX_ACCESS_TOKEN", "OPENAI_API_KEY"),
    "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "llm": ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY"),
    "ollama": ("OLLAMA_API_KEY",),
    "openai-http": ("OPENAI_API_KEY",),
}


def auth_fix(
    preset: str,
    environ: Mapping[str, str] | None = None,
    root: Path | None = None,
    argv: Sequence[str] = (),
) -> str:
    """What to tell a person whose credentials `preset`'s CLI refused: `AUTH_FIX`, unless a key it reads is
    set (in `environ`, else this process's environment, which the preset passes on): then that key was
    refused, and "set ANTHROPIC_API_KEY" would send them looking for a setting they made; or the key set is
    one the CLI does not read the way they think (`_SPECIAL`); for a runner on no preset, to check its
    command's credentials. `root`: the project (the CLI's working directory), whose settings it reads;
    `argv`: the CLI's command line, whose flags may choose settings (codex's ``-c``, ``--profile``)."""
    env = os.environ if environ is None else environ
    given = [name for name in AUTH_KEYS.get(preset, ()) if env.get(name)]
    special = _SPECIAL.get(preset)
    said = special(env, given, root, argv) if special is not None else None
    if said is not None:
        return said
    if given:
        return _refused(given)
    return AUTH_FIX.get(preset) or "check the credentials the runner's command uses"


def _refused(given: list[str]) -> str:
    one = len(given) == 1
    return (
        f"{listed(given, 'and')} {'is' if one else 'are'} set, yet refused: check "
        f"{'its' if one else 'their'} value (mistyped, expired or revoked?)"
    )


def _codex(
    env: Mapping[str, str], given: list[str], root: Path | None, argv: Sequence[str] = ()
) -> str | None:
    from agentmake.runners.authsettings import codex_provider_key  # (on a refusal only: not at each start)

    provider = codex_provider_key(env, root, argv)
    if provider is not None:  # (a custom provider reads its env_key, whichever, and no other)
        name, key = provider
        if not _VARIABLE.fullmatch(key):  # (a key's value put there by mistake: never said, only that)
            return (
                f"the env_key of codex's model_provider {name} is no variable name (the key's value in its "
                "place?): set env_key to the name of the variable that holds the key"
            )
        # (agentmake passes codex its own keys: another variable only when the runner's `env` names it)
        passed = "" if key in AUTH_KEYS["codex"] else f", and name {key} in the runner's `env`"
        if env.get(key):
            return (
                f"{key} is set, yet refused (the model_provider of codex's configuration reads it): "
                f"check its value (mistyped, expired or revoked?){passed}"
            )
        return f"codex's configuration chooses the model_provider {name}, which reads {key}: set it{passed}"
    read: list[str] = [name for name in ("CODEX_API_KEY", "CODEX_ACCESS_TOKEN") if name in given]
    if read:  # (what `codex exec` reads: its API key, or an access token for trusted automation)
        return _refused(read)
    if not given:
        return None
    return (
        "`codex exec` does not read OPENAI_API_KEY (set): save it once with "
        "`printenv OPENAI_API_KEY | codex login --with-api-key`, or set CODEX_API_KEY; "
        "if it was saved so, check its value"
    )


_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # (an environment variable's name, as env_key should be)

_VERTEX_PLACE = ("GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION")

# how to make gemini use an auth type when its settings choose none (`_gemini_env_type`)
_GEMINI_CHOOSE = {
    "gemini-api-key": "set GEMINI_API_KEY",
    "vertex-ai": (
        "set GOOGLE_GENAI_USE_VERTEXAI=true with GOOGLE_CLOUD_PROJECT and GOOGLE_CLOUD_LOCATION (or "
        "GOOGLE_API_KEY, a Vertex AI key)"
    ),
    "oauth-personal": "sign in with `gemini`, or set GOOGLE_GENAI_USE_GCA=true",
    "compute-default-credentials": "set GEMINI_CLI_USE_COMPUTE_ADC=true",
}

# the order in which gemini's environment chooses a login (`getAuthTypeFromEnv`, `_gemini_env_type`)
_GEMINI_ORDER = {"oauth-personal": 0, "vertex-ai": 1, "gemini-api-key": 2, "compute-default-credentials": 3}


def _gemini_env_type(env: Mapping[str, str]) -> tuple[str, str] | None:
    """(the auth type gemini's environment chooses, the variable that does), as its `getAuthTypeFromEnv`:
    GOOGLE_GENAI_USE_GCA=true, GOOGLE_GENAI_USE_VERTEXAI=true, GEMINI_API_KEY, a Compute Engine's ADC."""
    if env.get("GOOGLE_GENAI_USE_GCA") == "true":  # (gemini's test: "true")
        return "oauth-personal", "GOOGLE_GENAI_USE_GCA=true"
    if env.get("GOOGLE_GENAI_USE_VERTEXAI") == "true":
        return "vertex-ai", "GOOGLE_GENAI_USE_VERTEXAI=true"
    if env.get("GEMINI_API_KEY"):
        return "gemini-api-key", "GEMINI_API_KEY"
    for name in ("CLOUD_SHELL", "GEMINI_CLI_USE_COMPUTE_ADC"):
        if env.get(name) == "true":
            return "compute-default-credentials", f"{name}=true"
    return None


def _gemini(
    env: Mapping[str, str], given: list[str], root: Path | None, argv: Sequence[str] = ()
) -> str | None:
    # (on a refusal only: not at each start)
    from agentmake.runners.authsettings import gemini_auth_type, gemini_enforced_type, gemini_env

    env, loaded = gemini_env(env, root)  # (what its .env gives the names it lacks counts as set)
    given = [name for name in AUTH_KEYS["gemini"] if env.get(name)]

    def named(names: list[str]) -> str:  # ("GEMINI_API_KEY (in ~/.gemini/.env)": where a key comes from)
        return listed([f"{n} (in {loaded[n]})" if n in loaded else n for n in names], "and")

    chosen = gemini_auth_type(env, root)
    from_env = _gemini_env_type(env) if chosen is None else None
    kind, where = chosen or from_env or (None, "")
    if where in ("GOOGLE_GENAI_USE_GCA=true", "GOOGLE_GENAI_USE_VERTEXAI=true"):
        name = where.partition("=")[0]
        where += f" (in {loaded[name]})" if name in loaded else ""
    enforced = gemini_enforced_type(env, root)
    if enforced is not None and kind != enforced[0]:
        now = f"its login is {kind} ({where})" if kind else "no login is chosen"
        choose = _GEMINI_CHOOSE.get(enforced[0], "choose it in security.auth.selectedType")
        if chosen is not None:
            fix = f"change security.auth.selectedType ({where}) to {enforced[0]}"
        elif from_env is not None and _GEMINI_ORDER.get(enforced[0], 9) > _GEMINI_ORDER[from_env[0]]:
            # (what chose the login comes first in gemini's order: what would choose the enforced type is
            # never looked at while it is set, e.g. GEMINI_API_KEY beside GOOGLE_GENAI_USE_GCA=true)
            name = from_env[1].partition("=")[0]
            rest = {k: v for k, v in env.items() if k != name}
            then = "" if (_gemini_env_type(rest) or ("",))[0] == enforced[0] else f", and {choose}"
            drop = f"remove {name} from {loaded[name]}" if name in loaded else f"unset {name}"
            fix = f"{drop} (gemini looks at it first){then}"
        else:
            fix = choose
        return f"gemini's settings enforce the auth type {enforced[0]} ({enforced[1]}), but {now}: {fix}"
    if kind is not None and kind not in ("gemini-api-key", "vertex-ai"):  # (a sign-in: it wins)
        over = f", which wins over {named(given)} (set)" if given else ""
        again = "sign in again with `gemini`, or " if kind == "oauth-personal" else ""
        if chosen is None:
            return (
                f"{where} makes gemini use {kind}{over}: that login was refused: {again}"
                f"unset {where.partition('=')[0]}"
            )
        return (
            f"gemini's settings choose {kind} ({where}){over}: that login was refused: {again}"
            "change security.auth.selectedType"
        )
    if kind == "vertex-ai":
        why = f"vertex-ai in {where}" if chosen else where
        if "GOOGLE_API_KEY" in given:
            return (
                f"{named(['GOOGLE_API_KEY'])} is set, yet refused by Vertex AI ({why}): check it is a "
                "Vertex AI key of a project with the Vertex AI API on"
            )
        missing = [name for name in _VERTEX_PLACE if not env.get(name)]
        if missing:  # (gemini's `validateAuthMethod`: both, or GOOGLE_API_KEY for express mode)
            return (
                f"gemini uses Vertex AI ({why}): set {listed(missing, 'and')} and run "
                "`gcloud auth application-default login`, or set GOOGLE_API_KEY to a Vertex AI key"
            )
        if env.get("GOOGLE_APPLICATION_CREDENTIALS"):
            return (
                f"gemini uses Vertex AI ({why}): the key file GOOGLE_APPLICATION_CREDENTIALS names was "
                "refused: check that service account's key and its Vertex AI role"
            )
        return (
            f"gemini uses Vertex AI ({why}): the application default credentials were refused: run "
            "`gcloud auth application-default login` (or set GOOGLE_API_KEY to a Vertex AI key)"
        )
    if "GEMINI_API_KEY" in given:  # (the key used: GOOGLE_API_KEY is not read without Vertex AI)
        if "GEMINI_API_KEY" in loaded:
            return (
                f"{named(['GEMINI_API_KEY'])} is set, yet refused: check its value (mistyped, expired or "
                "revoked?)"
            )
        return _refused(["GEMINI_API_KEY"])
    if "GOOGLE_API_KEY" in given:
        return (
            f"gemini reads {named(['GOOGLE_API_KEY'])} (set) only for Vertex AI: for a Gemini API key set "
            "GEMINI_API_KEY; for a Vertex AI key set GOOGLE_GENAI_USE_VERTEXAI=true, GOOGLE_CLOUD_PROJECT "
            "and GOOGLE_CLOUD_LOCATION"
        )
    return None


def _llm(env: Mapping[str, str], given: list[str], root: Path | None, argv: Sequence[str] = ()) -> str | None:
    if not given:
        return None
    return (
        "llm uses a key saved with `llm keys set` before the provider's variable "
        f"({listed(given, 'and')} set): see `llm keys list`, and check the key's value"
    )


def _ollama(
    env: Mapping[str, str], given: list[str], root: Path | None, argv: Sequence[str] = ()
) -> str | None:
    if not given:
        return None
    return (
        "run `ollama signin`: `ollama run` signs cloud models in with it, not with OLLAMA_API_KEY (set), "
        "which is for ollama.com's HTTP API; local models need no key"
    )


def _openai_http(
    env: Mapping[str, str], given: list[str], root: Path | None, argv: Sequence[str] = ()
) -> str | None:
    # (a local server's key is whatever its --api-key says)
    if not given:
        return None
    return "OPENAI_API_KEY is set, yet refused: it must be the server's key (vLLM, llama.cpp: its --api-key)"


_SPECIAL: dict[str, Callable[[Mapping[str, str], list[str], Path | None, Sequence[str]], str | None]] = {
    "codex": _codex,
    "gemini": _gemini,
    "llm": _llm,
    "ollama": _ollama,
    "openai-http": _openai_http,
}
