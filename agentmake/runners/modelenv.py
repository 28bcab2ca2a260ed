"""The environment variables that choose which model or service an agent CLI asks.

shared/RUNNERS.md: `llm` reads LLM_MODEL, which agentmake passes through, as it does AIDER_MODEL (aider
takes every option from an AIDER_ variable), claude's ANTHROPIC_MODEL and gemini's GEMINI_MODEL. With no
model set, that variable names the model asked, so a task's key holds its value
(`runners.presets.env_model`); with none set either, the model the CLI's config file names
(`runners.modelconfig`). The endpoint variables (`ENDPOINT_ENV`: a server's URL or host, a switch to
another provider) choose the service that answers, so a task whose CLI receives one keys it too, by the
digest of the value without the user, password or key a URL may hold (`runners.presets.env_endpoint`). The
build stamp's signature holds them all: a module of its own, so that the stamp's no-op answer imports
nothing else.
"""

MODEL_ENV: dict[str, str] = {
    "llm": "LLM_MODEL",
    "aider": "AIDER_MODEL",
    "claude": "ANTHROPIC_MODEL",
    "gemini": "GEMINI_MODEL",
}

# (keyed for a runner whose CLI receives it: its preset passes it, `presets.AUTH_ENV`, or its `env` names it)
ENDPOINT_ENV: tuple[str, ...] = (
    *("ANTHROPIC_BASE_URL", "CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX"),  # claude
    *("OPENAI_BASE_URL", "OPENAI_API_BASE", "AZURE_API_BASE"),  # codex, openai-http, aider (litellm)
    *("OLLAMA_HOST", "OLLAMA_API_BASE"),  # ollama, aider's ollama models
    "GOOGLE_GENAI_USE_VERTEXAI",  # gemini
    *("GOOGLE_GENAI_USE_GCA", "CLOUD_SHELL", "GEMINI_CLI_USE_COMPUTE_ADC"),  # gemini (`AUTH_SWITCHES`)
)
# gemini's switches of its login (`authfix._gemini_env_type`: "true" signs in with Google, or uses the
# machine's credentials), keyed since agentmake 29: in the build stamp's signature only when set, so that
# a stamp written before still answers (a task's key holds an endpoint variable only when set anyway)
AUTH_SWITCHES = ("GOOGLE_GENAI_USE_GCA", "CLOUD_SHELL", "GEMINI_CLI_USE_COMPUTE_ADC")

# the ones that hold a URL or a host (explain names the host; the others are switches: "set")
ENDPOINT_HOSTS = frozenset({"ANTHROPIC_BASE_URL", "OPENAI_BASE_URL", "OPENAI_API_BASE", "AZURE_API_BASE",
                            "OLLAMA_HOST", "OLLAMA_API_BASE"})  # fmt: skip
