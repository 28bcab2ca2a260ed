"""Prompt templates and shell command substitution (contract stub: to be implemented).

Prompts are Jinja templates rendered in a sandbox with strict undefined names; a template error names the prompt
file (or the Agentfile line of an inline prompt) and the line. Shell commands get each substituted value quoted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from agentmake.model import Prompt


def render_prompt(prompt: Prompt, context: Mapping[str, object]) -> str:
    """Render `prompt` with `context`; raises AgentfileError located in the prompt file on any template error."""
    raise NotImplementedError


def render_command(template: str, values: Mapping[str, str | Sequence[str]]) -> str:
    """Replace `{input}`, `{inputs}`, `{output}`, `{outputs}`, `{wildcard}` in a shell command template with
    shell-quoted values (a sequence becomes space-separated quoted words). `{{`/`}}` are literal braces."""
    raise NotImplementedError
