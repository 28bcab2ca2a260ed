"""User report templates: Jinja in a sandbox with strict undefined names; any error names the template file
and line as an AgentfileError."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

import jinja2

from agentmake.errors import AgentfileError
from agentmake.model import ReportSpec
from agentmake.plan.partial import gaps_detail
from agentmake.sandbox import Sandbox
from agentmake.template_context import PathList
from agentmake.template_lists import keep_paths
from agentmake.templates import file_error


def _template_line(exc: BaseException, filename: str) -> int | None:
    lineno = getattr(exc, "lineno", None)
    if isinstance(lineno, int):
        return lineno
    tb: types.TracebackType | None = exc.__traceback__
    found = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            found = tb.tb_lineno
        tb = tb.tb_next
    return found


def _lacking(missing: list[Any]) -> str:
    """What a partial report's template failing at run time is told of its missing inputs (`Gap`s), whose
    `.data` is none and `.content` empty: its error ("'None' has no attribute 'findings'") is most likely
    theirs, and said alone it sends the author to debug the template instead of the task that failed."""
    if not missing:
        return ""
    said = gaps_detail(missing)  # (the first few: a fan-in's 500 failures are not all in one message)
    return (
        f" (this build makes the report partial: missing {said}; a template can test `partial`, `missing`"
        " or an input's `.missing`)"
    )


def render_template(
    path: Path,
    *,
    title: str,
    inputs: list[Any],
    summary: str,
    variables: dict[str, str],
    spec: ReportSpec | None = None,
    missing: list[Any] | None = None,
    incomplete: list[Any] | None = None,
) -> str:
    """Render the template file `path` with `title`, `inputs` (objects with .path, .content, .data), `summary`
    (Markdown) and `variables`; a partial report's template also sees what it lacks: `missing` and
    `incomplete` (objects with .path, .task, .reason; empty lists otherwise) and `partial` (true if either
    is not empty). Errors name the file as `spec` does (project-relative), else as `path`."""
    name = spec.template if spec is not None and spec.template else str(path)
    try:
        source = path.read_text(encoding="utf-8-sig")  # (a BOM would start the document)
    except OSError as exc:
        loc = (spec.key_locs.get("template") or spec.loc) if spec is not None else None
        raise AgentfileError(f"cannot read report template {name}: {exc.strerror or exc}", loc=loc) from None
    missing, incomplete = missing or [], incomplete or []
    env = Sandbox(
        loader=jinja2.FunctionLoader(lambda _: (source, name, lambda: True)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
        trim_blocks=True,
    )
    keep_paths(env.filters)  # (`{{ inputs|sort(attribute='path') }}` prints as `{{ inputs[1:] }}` does)
    try:
        # loaded under the file's name so syntax and runtime errors carry its line numbers
        template = env.get_template(name)
        return template.render(
            title=title, inputs=PathList(inputs), summary=summary, variables=variables,
            missing=missing, incomplete=incomplete, partial=bool(missing or incomplete),
        )  # fmt: skip
    except jinja2.TemplateError as exc:
        line = _template_line(exc, name) or 1
        message = (getattr(exc, "message", None) or str(exc)) + _lacking(missing)
        raise file_error("report template", name, source, line, message) from None
    except Exception as exc:  # any failure inside the template is its author's to fix (as a prompt's is)
        line = _template_line(exc, name) or 1
        message = f"{type(exc).__name__}: {exc}" + _lacking(missing)
        raise file_error("report template", name, source, line, message) from None
