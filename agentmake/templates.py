"""Prompt templates and shell command substitution: the module the rest of agentmake imports them from.

Prompts are Jinja templates rendered in a sandbox with strict undefined names; a template error names
the prompt file (or the Agentfile line of an inline prompt) and the line. Shell commands get each
substituted value quoted. This module compiles and renders prompts; the rest is in its parts, whose
public names it re-exports: `template_env` (the Jinja environment), `template_errors` (located errors),
`template_reads` (what a template reads, judged without rendering it), `template_context` (what a prompt
sees) and `template_command` (shell commands).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from agentmake.errors import AgentfileError, Loc, did_you_mean
from agentmake.model import Prompt
from agentmake.template_command import command_indices as command_indices
from agentmake.template_command import command_names as command_names
from agentmake.template_command import refuses_some_values as refuses_some_values
from agentmake.template_command import render_command as render_command
from agentmake.template_command import word_start_names as word_start_names
from agentmake.template_context import InputFile as InputFile
from agentmake.template_context import prompt_context as prompt_context
from agentmake.template_context import read_input as read_input
from agentmake.template_env import INLINE
from agentmake.template_env import compiled as _compile  # (the name tests count compilations by)
from agentmake.template_errors import file_error as file_error
from agentmake.template_errors import line_of, prompt_error, syntax_error
from agentmake.template_errors import tag_error as tag_error
from agentmake.template_paths import HINT as PATH_HINT
from agentmake.template_reads import PROMPT_NAMES as PROMPT_NAMES
from agentmake.template_reads import check_names as check_names
from agentmake.template_reads import check_reads as check_reads
from agentmake.template_reads import names_read as names_read
from agentmake.template_reads import other_templates as other_templates


def check_syntax(prompt: Prompt) -> None:
    """Compile `prompt` without rendering it; raises AgentfileError located in the prompt on a template syntax
    error. (Undefined names depend on the task, so only `render_prompt` can find them.)"""
    from jinja2 import TemplateSyntaxError

    try:
        _compile(prompt.text, prompt.path or INLINE)
    except TemplateSyntaxError as e:
        raise syntax_error(prompt, e) from None


def check_file_syntax(text: str, name: str) -> None:
    """Compile the template file `name` (project-relative) holding `text`; raises AgentfileError at the
    offending line on a template syntax error."""
    from jinja2 import TemplateSyntaxError

    try:
        _compile(text, name)
    except TemplateSyntaxError as e:
        line = e.lineno or 1  # (`name:line:1` says which file and line: the message does not say them again)
        message = f"report template: syntax error: {e.message}"
        raise AgentfileError(message, Loc(name, line, 1), [], None, line_of(text, line)) from None


def _why_no_element(index: str) -> str:
    """Why a list of paths has no element `index` (as Jinja's message spells it)."""
    if index.isdigit():
        return "it is past the list's end"
    if index.startswith("-") and index[1:].isdigit():
        return "it counts back from the end to before its start"
    return "an element is found by a whole number"


def render_prompt(prompt: Prompt, context: Mapping[str, object], task_id: str | None = None) -> str:
    """Render `prompt` with `context` (for task `task_id`); raises AgentfileError located in the prompt file
    on any template error, and on a prompt that renders to nothing but blanks."""
    from jinja2 import TemplateSyntaxError, UndefinedError

    filename = prompt.path or INLINE
    try:
        template = _compile(prompt.text, filename)
    except TemplateSyntaxError as e:
        raise syntax_error(prompt, e) from None
    try:
        text = str(template.render(dict(context)))
    except Exception as e:  # any failure inside the template is the prompt author's to fix
        import traceback  # (here: only a failing prompt needs it)

        line = 1
        for frame in traceback.extract_tb(e.__traceback__):
            if frame.filename == filename and frame.lineno:
                line = frame.lineno
        if isinstance(e, UndefinedError):
            names = [k for k in context if not k.startswith("_")]
            match = re.search(r"'([^']+)' is undefined", str(e))
            hint = did_you_mean(match.group(1), names) if match else None
            err = prompt_error(prompt, f"undefined name: {e}", line, match.group(1) if match else None)
            err.hint = hint or f"available: {', '.join(sorted(names))}"
            if "'str object' has no attribute" in str(e):  # (`{{ input.content }}`, past `check_names`)
                err.hint = PATH_HINT
            attr = re.search(r"InputFile object' has no attribute '([^']+)'", str(e))
            if attr:  # (`{{ files[0].contnet }}`: said as the file it is, not as a Python class)
                close = did_you_mean(attr.group(1), ("path", "content"))
                said = f"an input file has no '.{attr.group(1)}'" + (f": {close}" if close else "")
                err = prompt_error(prompt, said, line, attr.group(1))
                err.hint = "an input file has .path and .content"
            element = re.search(r"(?:[\w.]+\.)?(?:Path|Lines)List object has no element (\S+)", str(e))
            if element:  # (`{{ inputs[5] }}` of fewer inputs: said of the list, not of a Python class)
                index = element.group(1)
                said = f"no element {index} in a list of paths: {_why_no_element(index)}"
                err = prompt_error(prompt, said, line, None)
                err.hint = (
                    "inputs, outputs and files count from 0; `{{ inputs|length }}` says how many there are"
                )
            listed = re.search(r"(?:Path|Lines)List object' has no attribute '([^']+)'", str(e))
            if listed:  # (`{{ files.content }}`: said of the list, not of a Python class)
                said = f"inputs, outputs and files are lists: a list has no '.{listed.group(1)}'"
                err = prompt_error(prompt, said, line, listed.group(1))
                err.hint = (
                    "one input's text is {{ files[0].content }} (or {{ read(inputs[0]) }}); every input's"
                    " path and text: {% for f in files %}{{ f.path }} {{ f.content }}{% endfor %}"
                )
            raise err from None
        raise prompt_error(prompt, f"{type(e).__name__}: {e}", line) from None
    if not text.strip():  # (as an empty prompt text is: the agent would be sent, and paid for, nothing)
        for_task = f" for task {task_id}" if task_id else ""
        err = prompt_error(prompt, f"the prompt renders empty{for_task}: the agent would be sent nothing", 1)
        err.hint = "make the prompt say something whatever the values it is given"
        raise err
    return text
