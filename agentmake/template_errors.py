"""Template errors located where a person fixes them: the line of the prompt file, or the Agentfile line of
an inline prompt, the caret at the name or tag at fault (Jinja gives no column).
"""

from __future__ import annotations

import re
from typing import Any

from agentmake.errors import AgentfileError, Loc, read_line
from agentmake.model import Prompt
from agentmake.template_env import INLINE, parsed


def _where(prompt: Prompt, template_line: int) -> Loc:
    if prompt.path is not None:
        return Loc(prompt.path, max(template_line, 1), 1)
    base = prompt.loc
    line = (
        prompt.line_offset + max(template_line, 1) - 1 if prompt.line_offset else (base.line if base else 1)
    )
    return Loc(
        base.file if base else "Agentfile", line, 1 if prompt.line_offset else (base.col if base else 1)
    )


def _source_line(prompt: Prompt, template_line: int) -> str | None:
    return line_of(prompt.text, template_line)


def line_of(text: str, line: int) -> str | None:
    """Line `line` (1-based) of `text`, None past its end. Lines end at a newline only, as Jinja counts
    them (a form feed or U+2028 does not end one)."""
    lines = text.split("\n")
    return lines[line - 1] if 0 < line <= len(lines) else None


def file_error(
    what: str, name: str, text: str, line: int, message: str, at: str | None = None
) -> AgentfileError:
    """An error at `line` of the template file `name` (project-relative) whose text is `text`, located (the
    column of the word `at` in it, else of the line's first tag) and with that line to show; `what` names
    the kind of file ("report template"): `r.md:3:1: error: report template: MESSAGE`, the location said
    once."""
    shown = line_of(text, line)
    return AgentfileError(f"{what}: {message}", Loc(name, line, _column(shown, at) or 1), [], None, shown)


def prompt_error(prompt: Prompt, message: str, template_line: int, name: str | None = None) -> AgentfileError:
    """An error at line `template_line` of `prompt`, its caret at `name` (an undefined name, or the text of
    the tag that does not parse) when the line has it, else at the line's first template tag (`{{`, `{%`):
    Jinja gives no column."""
    loc = _where(prompt, template_line)
    src = _source_line(prompt, template_line) if prompt.path else None
    line = src if prompt.path else read_line(loc.file, loc.line)  # (an inline prompt: its Agentfile line)
    col = _column(line, name)
    if col is not None:
        loc = Loc(loc.file, loc.line, col)
    # the location names the file and the line (a prompt file's, or the Agentfile's line of an inline
    # prompt's line), but for a "..." prompt whose `\n`s make lines the Agentfile does not have
    if prompt.path:
        return AgentfileError(message, loc, [], None, src)
    at = f", line {template_line}" if template_line > 1 and not prompt.line_offset else ""
    return AgentfileError(f"inline prompt{at}: {message}", loc, [], None, src)


def tag_error(prompt: Prompt, message: str, template_line: int, tag: str) -> AgentfileError:
    """An error at the `{% tag %}` on line `template_line` of `prompt` (the caret under it), located and
    worded as every prompt error is: `p.md:3:4: error: MESSAGE`, the location said once."""
    found = re.search(rf"\{{%[-+]?\s*{re.escape(tag)}\b", _source_line(prompt, template_line) or "")
    return prompt_error(prompt, message, template_line, found.group() if found else None)


def syntax_error(prompt: Prompt, e: Any) -> AgentfileError:
    """A Jinja `TemplateSyntaxError` of `prompt`, the caret at the first `{{ ... }}` of its line that does not
    parse on its own (where there is one)."""
    line = e.lineno or 1
    return prompt_error(
        prompt, f"template syntax error: {e.message}", line, _bad_tag(_source_line(prompt, line))
    )


def _bad_tag(line: str | None) -> str | None:
    from jinja2 import TemplateSyntaxError

    for tag in re.findall(r"\{\{.*?\}\}", line or ""):
        try:
            parsed(tag, INLINE)
        except TemplateSyntaxError:
            return str(tag)
    return None


def _column(line: str | None, name: str | None) -> int | None:
    """The 1-based column of the word `name` in `line`, else of its first template tag (None: neither)."""
    if not line:
        return None
    found = None
    if name:  # a name as a whole word; a tag's text as it is
        found = re.search(rf"\b{re.escape(name)}\b" if name.isidentifier() else re.escape(name), line)
    found = found or re.search(r"\{[{%]", line)
    return found.start() + 1 if found else None
