"""The environment variable each preset's CLI takes its model from when no model flag is given.

shared/RUNNERS.md: `llm` reads LLM_MODEL, which agentmake passes through, as it does AIDER_MODEL (aider
takes every option from an AIDER_ variable). With no model set, that variable names the model asked, so a
task's key holds its value (`runners.presets.env_model`), and so does the build stamp's signature: a module
of its own, so that the stamp's no-op answer imports nothing else.
"""

MODEL_ENV: dict[str, str] = {"llm": "LLM_MODEL", "aider": "AIDER_MODEL"}
