"""Prompt templates and shell command substitution.

Prompts are Jinja templates rendered in a sandbox with strict undefined names; a template error names
the prompt
file (or the Agentfile line of an inline prompt) and the line. Shell commands get each substituted
value quoted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from agentmake import shellwords
from agentmake.errors import AgentfileError, Loc, did_you_mean, read_line
from agentmake.model import Prompt
from agentmake.template_paths import HINT as PATH_HINT
from agentmake.template_paths import path_attribute

_INLINE = "<inline prompt>"


@lru_cache(maxsize=1)
def _env() -> Any:
    from jinja2 import StrictUndefined

    from agentmake.sandbox import Sandbox

    return Sandbox(undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False)


@lru_cache(maxsize=256)
def _compile(text: str, filename: str) -> Any:
    env = _env()
    try:
        code = env.compile(text, name=filename, filename=filename)
    except RecursionError:
        raise _too_deep(text, filename) from None
    return env.template_class.from_code(env, code, env.make_globals(None))


def _parse(text: str, filename: str) -> Any:
    """`text`'s Jinja syntax tree; raises `TemplateSyntaxError`, also for what nests too deeply to parse."""
    try:
        return _env().parse(text, filename, filename)
    except RecursionError:
        raise _too_deep(text, filename) from None


def _too_deep(text: str, filename: str) -> Exception:
    """The syntax error for a template whose brackets nest deeper than Jinja's recursive parser can follow
    (`{{ ((((...)))) }}`: a RecursionError, not a syntax error, out of Jinja), at the line where the nesting
    is deepest."""
    from jinja2 import TemplateSyntaxError

    depth = deepest = 0
    line = where = 1
    for ch in text:
        if ch == "\n":
            line += 1
        elif ch in "([{":
            depth += 1
            if depth > deepest:
                deepest, where = depth, line
        elif ch in ")]}":
            depth = max(depth - 1, 0)
    message = f"brackets nest too deeply ({deepest} levels)"
    return TemplateSyntaxError(message, where, filename, filename)


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
    return _line_of(prompt.text, template_line)


def _line_of(text: str, line: int) -> str | None:
    """Line `line` (1-based) of `text`, None past its end. Lines end at a newline only, as Jinja counts
    them (a form feed or U+2028 does not end one)."""
    lines = text.split("\n")
    return lines[line - 1] if 0 < line <= len(lines) else None


def file_error(what: str, name: str, text: str, line: int, message: str) -> AgentfileError:
    """An error at `line` of the template file `name` (project-relative) whose text is `text`, located (the
    column of the line's first tag) and with that line to show; `what` names the kind of file ("report
    template"): `r.md:3:1: error: report template: MESSAGE`, the location said once."""
    shown = _line_of(text, line)
    return AgentfileError(f"{what}: {message}", Loc(name, line, _column(shown, None) or 1), [], None, shown)


def _error(prompt: Prompt, message: str, template_line: int, name: str | None = None) -> AgentfileError:
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
    return _error(prompt, message, template_line, found.group() if found else None)


def _syntax_error(prompt: Prompt, e: Any) -> AgentfileError:
    """A Jinja `TemplateSyntaxError` of `prompt`, the caret at the first `{{ ... }}` of its line that does not
    parse on its own (where there is one)."""
    line = e.lineno or 1
    return _error(prompt, f"template syntax error: {e.message}", line, _bad_tag(_source_line(prompt, line)))


def _bad_tag(line: str | None) -> str | None:
    from jinja2 import TemplateSyntaxError

    for tag in re.findall(r"\{\{.*?\}\}", line or ""):
        try:
            _parse(tag, _INLINE)
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


def check_syntax(prompt: Prompt) -> None:
    """Compile `prompt` without rendering it; raises AgentfileError located in the prompt on a template syntax
    error. (Undefined names depend on the task, so only `render_prompt` can find them.)"""
    from jinja2 import TemplateSyntaxError

    try:
        _compile(prompt.text, prompt.path or _INLINE)
    except TemplateSyntaxError as e:
        raise _syntax_error(prompt, e) from None


PROMPT_NAMES = frozenset({"input", "inputs", "output", "outputs", "files", "read"})  # see `prompt_context`
_PROMPT_NAME_IS = {  # what each of `PROMPT_NAMES` is, for the error of a variable or a wildcard it hides
    "input": "the task's first input",
    "inputs": "the task's inputs",
    "output": "the task's first output",
    "outputs": "the task's outputs",
    "files": "the task's input files",
    "read": "the function that reads an input",
}


@lru_cache(maxsize=256)
def names_read(text: str) -> frozenset[str]:
    """The names template `text` reads from its context (variables, wildcards, `PROMPT_NAMES`, Jinja
    globals; not those it sets itself); none for a text that does not compile (rendering says why)."""
    from jinja2 import TemplateSyntaxError, meta

    try:
        return frozenset(meta.find_undeclared_variables(_parse(text, _INLINE)))
    except TemplateSyntaxError:
        return frozenset()


def check_names(
    prompt: Prompt, defined: Iterable[str], wildcards: Iterable[str] = (), agent: str = ""
) -> None:
    """Raise AgentfileError, located in `prompt`, at a name it reads that is neither in `defined` (the
    variables and the agent's wildcards), nor a name every prompt sees (`PROMPT_NAMES`), nor a Jinja
    global: rendering would fail on it for every task. Names the template sets itself (`set`, loops) are
    fine. Also at a name it reads that is one of `PROMPT_NAMES` and in `defined`: a variable, or one of
    `wildcards` (those of agent `agent`), that the prompt would never see (`prompt_context` gives it the
    task's value)."""
    from jinja2 import TemplateSyntaxError, meta

    env = _env()
    try:
        ast = _parse(prompt.text, prompt.path or _INLINE)
    except TemplateSyntaxError as e:
        raise _syntax_error(prompt, e) from None
    read = meta.find_undeclared_variables(ast)
    lines = prompt.text.split("\n")  # (as Jinja counts lines: not at a form feed or U+2028)
    hidden = read & PROMPT_NAMES & set(defined)
    if hidden:
        name = min(hidden, key=lambda n: (_first_line(lines, n), n))
        kind = "wildcard" if name in set(wildcards) else "variable"
        whose = f"a wildcard of {agent}" if kind == "wildcard" and agent else f"a {kind}"
        message = (
            f"'{name}' is both {whose} and {_PROMPT_NAME_IS[name]}, which every prompt sees under that"
            f" name: this prompt would never see the {kind}"
        )
        err = _error(prompt, message, _first_line(lines, name), name)
        err.hint = f"rename the {kind}"
        raise err
    attribute = path_attribute(ast, read)
    if attribute is not None:
        shown, attr, line = attribute
        err = _error(prompt, f"'{shown}' is a path (text): it has no '.{attr}'", line, f"{shown}.{attr}")
        err.hint = PATH_HINT
        raise err
    unknown = read - PROMPT_NAMES - set(defined) - set(env.globals)
    if unknown:  # (a name read only where strict undefined allows it, `x is defined`, `x|default(...)`)
        unknown &= _unguarded_names(ast)
    if not unknown:
        return
    where = {n: _first_line(lines, n) for n in unknown}
    name = min(unknown, key=lambda n: (where[n], n))
    err = _error(prompt, f"undefined name: '{name}' is undefined", where[name], name)
    dashed = sorted(d for d in defined if d.startswith(f"{name}-"))  # (`{{ my-var }}` is my minus var)
    if dashed:
        err.hint = f"'{dashed[0]}' has a '-', which a template reads as a minus: name it with '_' instead"
    raise err


_GUARD_TESTS = frozenset({"defined", "undefined"})
_GUARD_FILTERS = frozenset({"default", "d"})


def _unguarded_names(ast: Any) -> set[str]:
    """The names `ast` reads where an undefined one fails the render: not as the operand of `is defined`
    (`is undefined`) or `|default(...)` (`|d`), which Jinja's strict undefined allows, nor in the branch
    (or the right of an `and`) that such a test guards: `{% if x is defined %}{{ x }}{% endif %}`."""
    from jinja2 import nodes

    found: set[str] = set()

    def tested(test: Any, positive: bool) -> set[str]:  # the names `test` being true (false) says exist
        if isinstance(test, nodes.Not):
            return tested(test.node, not positive)
        if isinstance(test, nodes.And if positive else nodes.Or):
            return tested(test.left, positive) | tested(test.right, positive)
        if isinstance(test, nodes.Test) and test.name in _GUARD_TESTS and isinstance(test.node, nodes.Name):
            return {test.node.name} if (test.name == "defined") == positive else set()
        return set()

    def walk(node: Any, guarded: frozenset[str]) -> None:
        if isinstance(node, nodes.Name):
            if node.ctx == "load" and node.name not in guarded:
                found.add(node.name)
            return
        if isinstance(node, (nodes.Test, nodes.Filter)) and isinstance(node.node, nodes.Name):
            names = _GUARD_TESTS if isinstance(node, nodes.Test) else _GUARD_FILTERS
            if node.name in names:  # (its operand may be undefined: walk its other arguments alone)
                for child in node.iter_child_nodes(exclude=("node",)):
                    walk(child, guarded)
                return
        if isinstance(node, (nodes.If, nodes.CondExpr)):
            walk(node.test, guarded)
            yes, no = guarded | tested(node.test, True), guarded | tested(node.test, False)
            if isinstance(node, nodes.If):
                for child in [*node.body, *node.elif_, *node.else_]:
                    walk(child, yes if any(child is b for b in node.body) else no)
            else:
                walk(node.expr1, yes)
                if node.expr2 is not None:
                    walk(node.expr2, no)
            return
        if isinstance(node, (nodes.And, nodes.Or)):
            walk(node.left, guarded)
            walk(node.right, guarded | tested(node.left, isinstance(node, nodes.And)))
            return
        for child in node.iter_child_nodes():
            walk(child, guarded)

    walk(ast, frozenset())
    return found


def check_reads(prompt: Prompt, task_id: str, inputs: Iterable[str]) -> None:
    """Raise AgentfileError, located in `prompt`, at a `read('path')` of a literal path that is not one of
    `inputs` (those of task `task_id`): rendering would refuse it for that task, after the tasks before it
    were paid for; and at a `read(input)` of a task with no inputs. Only reads that every render makes
    count (`_reads`). (A path built from names, `read('docs/' ~ name)`, or a read in a branch, is judged
    when it is rendered.)"""
    if "read" not in prompt.text:
        return
    have = set(inputs)
    reads = _reads(prompt.text, prompt.path or _INLINE)
    for path, line in reads:
        if path is not None and _as_input(path) not in have:
            err = _error(prompt, f"read({path!r}): not an input of task {task_id}", line, path)
            err.hint = "add it to the agent's inputs (a prompt reads only what the task's key holds)"
            raise err
    at = None if have else next((line for path, line in reads if path is None), None)
    if at is not None:  # (`input` is '' for a task with no inputs: read('') fails every render)
        err = _error(prompt, f"read(input): task {task_id} has no inputs", at, "read")
        err.hint = "declare the agent's `inputs`, or read none"
        raise err


@lru_cache(maxsize=256)
def _reads(text: str, filename: str) -> tuple[tuple[str | None, int], ...]:
    """(path, template line) of each `read(...)` call in `text` that every render makes and whose argument
    (positional or `path=`) is a literal string, and (None, line) of each such `read(input)`. A call only
    some renders make (in an `{% if %}` branch, a conditional expression, after `and`/`or`, in a loop's
    body or a macro) is left to rendering: the task it would fail may never make it."""
    from jinja2 import nodes

    found: list[tuple[str | None, int]] = []
    for call in _made_by_every_render(_parse(text, filename)):
        if not (isinstance(call, nodes.Call) and isinstance(call.node, nodes.Name)):
            continue
        if call.node.name != "read":
            continue
        named = [kw.value for kw in call.kwargs if kw.key == "path"]
        arg = call.args[0] if call.args else named[0] if named else None
        if isinstance(arg, nodes.Const) and isinstance(arg.value, str):
            found.append((arg.value, call.lineno))
        elif isinstance(arg, nodes.Name) and arg.name == "input":
            found.append((None, call.lineno))
    return tuple(found)


def _made_by_every_render(node: Any) -> Iterable[Any]:
    """`node` and the nodes under it that every evaluation of `node` evaluates: not the branches of an
    `if` (statement or expression) but its test, not the right of `and`/`or`, not a loop's body (the
    loop may run no step) but what it iterates, not a macro's or a call block's body (run only when
    called)."""
    from jinja2 import nodes

    yield node
    if isinstance(node, (nodes.If, nodes.CondExpr)):
        parts: list[Any] = [node.test]
    elif isinstance(node, (nodes.And, nodes.Or)):
        parts = [node.left]
    elif isinstance(node, nodes.For):
        parts = [node.iter]
    elif isinstance(node, nodes.Macro):
        parts = list(node.defaults)
    elif isinstance(node, nodes.CallBlock):
        parts = [node.call]
    else:
        parts = list(node.iter_child_nodes())
    for part in parts:
        if part is not None:
            yield from _made_by_every_render(part)


def other_templates(text: str) -> list[tuple[str, int]] | None:
    """(tag, template line) of each `{% include %}`, `{% extends %}`, `{% import %}` or `{% from %}` that
    `text` holds as a tag (not as text: in a comment, a string or `{% raw %}`), in order; None if `text`
    does not parse (its syntax error is told where it is compiled)."""
    from jinja2 import TemplateSyntaxError, nodes

    kinds = {nodes.Include: "include", nodes.Extends: "extends", nodes.Import: "import"}
    kinds[nodes.FromImport] = "from"
    try:
        ast = _parse(text, _INLINE)
    except TemplateSyntaxError:
        return None
    found = ast.find_all((nodes.Include, nodes.Extends, nodes.Import, nodes.FromImport))
    return sorted(((kinds[type(node)], node.lineno) for node in found), key=lambda t: t[1])


def _first_line(lines: list[str], name: str) -> int:
    """The 1-based line where the word `name` first appears (1 if nowhere)."""
    word = re.compile(rf"\b{re.escape(name)}\b")
    return next((i for i, line in enumerate(lines, 1) if word.search(line)), 1)


def check_file_syntax(text: str, name: str) -> None:
    """Compile the template file `name` (project-relative) holding `text`; raises AgentfileError at the
    offending line on a template syntax error."""
    from jinja2 import TemplateSyntaxError

    try:
        _compile(text, name)
    except TemplateSyntaxError as e:
        line = e.lineno or 1  # (`name:line:1` says which file and line: the message does not say them again)
        message = f"report template: syntax error: {e.message}"
        raise AgentfileError(message, Loc(name, line, 1), [], None, _line_of(text, line)) from None


def render_prompt(prompt: Prompt, context: Mapping[str, object], task_id: str | None = None) -> str:
    """Render `prompt` with `context` (for task `task_id`); raises AgentfileError located in the prompt file
    on any template error, and on a prompt that renders to nothing but blanks."""
    from jinja2 import TemplateSyntaxError, UndefinedError

    filename = prompt.path or _INLINE
    try:
        template = _compile(prompt.text, filename)
    except TemplateSyntaxError as e:
        raise _syntax_error(prompt, e) from None
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
            err = _error(prompt, f"undefined name: {e}", line, match.group(1) if match else None)
            err.hint = hint or f"available: {', '.join(sorted(names))}"
            if "'str object' has no attribute" in str(e):  # (`{{ input.content }}`, past `check_names`)
                err.hint = PATH_HINT
            raise err from None
        raise _error(prompt, f"{type(e).__name__}: {e}", line) from None
    if not text.strip():  # (as an empty prompt text is: the agent would be sent, and paid for, nothing)
        for_task = f" for task {task_id}" if task_id else ""
        err = _error(prompt, f"the prompt renders empty{for_task}: the agent would be sent nothing", 1)
        err.hint = "make the prompt say something whatever the values it is given"
        raise err
    return text


def read_input(path: Path) -> str:
    """An input's content as a template sees it: its bytes decoded as UTF-8 (an undecodable byte as U+FFFD),
    line endings as they are. Not `read_text()`, whose universal newlines turn CRLF and a lone CR into LF:
    the agent would be sent other text than the file holds."""
    return path.read_bytes().decode("utf-8", errors="replace")


@dataclass(frozen=True, repr=False)
class InputFile:
    """An input as a template sees it in `files`: `.path` and `.content` (read when first used). The project
    root is private (`_root`: the sandbox refuses underscored attributes): a public `Path` would let a
    template read any file through it, unseen by the task's key. It shows as its path, alone and in a list
    (``{{ files }}``): never as the Python repr, which would put the project's absolute path in the prompt."""

    path: str
    _root: Path
    _open: Callable[[str], str] | None = None  # how it is read, if not from the disk (`prompt_context`)

    @property
    def content(self) -> str:
        return self._open(self.path) if self._open else read_input(self._root / self.path)

    def __str__(self) -> str:
        return self.path

    def __repr__(self) -> str:
        return repr(self.path)


def _as_input(path: str) -> str:
    """A path given to `read()` as the task's inputs name it (`./docs/a.md`, `docs//a.md`: `docs/a.md`)."""
    from agentmake.graph.globs import normalize_path

    return normalize_path(path)


def prompt_context(
    root: Path,
    variables: Mapping[str, str],
    wildcards: Mapping[str, str],
    inputs: Sequence[str],
    outputs: Sequence[str],
    opener: Callable[[str], str] | None = None,
) -> dict[str, object]:
    """What a prompt template sees: variables, wildcards, input/inputs, output/outputs, files and read().
    `opener` reads an input's text instead of the disk (a dry run reads an input it would restore from the
    cache: the build renders the prompt after restoring it)."""
    allowed = set(inputs)

    def read(path: str | InputFile) -> str:
        name = path.path if isinstance(path, InputFile) else path  # (an item of `files` names its input)
        if not isinstance(name, str):
            raise ValueError(f"read() takes an input's path or an item of files, not {type(name).__name__}")
        path = _as_input(name)
        if path not in allowed:
            raise ValueError(f"read({name!r}): not an input of this task")
        return opener(path) if opener else read_input(root / path)

    ctx: dict[str, object] = dict(variables)
    ctx.update(wildcards)
    ctx.update(
        input=inputs[0] if inputs else "",
        inputs=list(inputs),
        output=outputs[0] if outputs else "",
        outputs=list(outputs),
        files=[InputFile(p, root, opener) for p in inputs],
        read=read,
    )
    return ctx


_PATH_KEYS = ("input", "inputs", "output", "outputs")
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_INDEXED = re.compile(r"(input|output)s?\[(\d+)\]")  # {outputs[1]}, or Snakemake's {output[1]}


def command_indices(template: str, kind: str) -> list[int]:
    """The indices `template` uses of `kind` ("input" or "output"): `{inputs[2]}` and `{input[2]}` give 2."""
    found = (_INDEXED.fullmatch(m.group(1) or "") for m in _PLACEHOLDER.finditer(template))
    return [int(m.group(2)) for m in found if m is not None and m.group(1) == kind]


def render_command(template: str, values: Mapping[str, str | Sequence[str]], loc: Loc | None = None) -> str:
    """Replace `{input}`, `{inputs}`, `{output}`, `{outputs}`, `{wildcard}` in a shell command template with
    shell-quoted values (a sequence becomes space-separated quoted words); `{outputs[N]}` (or `{output[N]}`)
    is the Nth output alone, from 0, and likewise for inputs. `{{`/`}}` are literal braces.
    A path value starting with `-` gets a `./` prefix; a wildcard value starting with `-` at the start of a
    word (where it would read as an option), an unknown `{name}`, an index past the last path or a lone brace
    is an error."""

    if shellwords.MARK in template:  # (no program can be given one: an argument ends at a NUL)
        raise AgentfileError(f"a NUL character in command {template!r}", loc, [], "remove it")
    where = iter(_places(template))

    def repl(m: re.Match[str]) -> str:
        tok = m.group(0)
        if tok == "{{":
            return "{"
        if tok == "}}":
            return "}"
        name = m.group(1)
        if name is None:
            raise AgentfileError(
                f"unmatched '{tok}' in command {template!r}", loc, [], "write {{ or }} for a literal brace"
            )
        indexed = _INDEXED.fullmatch(name)
        if indexed is not None and indexed.group(1) + "s" in values:
            words = [_nth(name, values[indexed.group(1) + "s"], int(indexed.group(2)), loc)]
        elif name in values:
            val = values[name]
            words = [val] if isinstance(val, str) else list(val)
        else:
            raise AgentfileError(
                f"unknown placeholder '{{{name}}}' in command {template!r}",
                loc,
                sorted(f"{{{k}}}" for k in values),
                did_you_mean(name, values) or "write {{ and }} for literal braces",
            )
        if indexed is not None or name in _PATH_KEYS:  # a path starting with '-' must not read as an option
            words = ["./" + w if w.startswith("-") else w for w in words]
        elif words and words[0].startswith("-") and _starts_word(template, m.start()):
            raise AgentfileError(
                f"wildcard '{{{name}}}' has the value {words[0]!r}, which starts with '-': at the start of a "
                "word of the command it would read as an option",
                loc,
                [],
                f"use it inside a word (a path such as dir/{{{name}}}.txt), or rename the file that gave it",
            )
        place = next(where)
        if place not in (shellwords.WORD, shellwords.SINGLE, shellwords.DOUBLE):
            raise AgentfileError(
                f"placeholder '{{{name}}}' {place}: no quoting of a value there is known to be exact",
                loc,
                [],
                "put it where it is a word of its own, or inside '...' or \"...\" (a file name may hold any "
                "character, $(...) or a quote included)",
            )
        return shellwords.quote(place, words)

    return _PLACEHOLDER.sub(repl, template)


@lru_cache(maxsize=4096)  # (per distinct command of the Agentfile: each task renders its agent's twice)
def _places(template: str) -> tuple[str, ...]:
    """`shellwords.places` of each placeholder of `template`, read as the shell reads it (`{{` and `}}` as
    braces)."""
    mark = shellwords.MARK
    return shellwords.places(_PLACEHOLDER.sub(lambda m: mark if m.group(1) else m.group(0)[0], template))


@lru_cache(maxsize=64)
def refuses_some_values(template: str) -> bool:
    """Whether rendering `template` can refuse a task's values (an `{inputs[N]}` or `{outputs[N]}`, which a
    task's paths may not reach, or a wildcard starting a word, whose value may start with '-')."""
    if command_indices(template, "input") or command_indices(template, "output"):
        return True
    return bool(word_start_names(template) - set(_PATH_KEYS))


def command_names(template: str) -> set[str]:
    """The placeholder names of `template` (`{input}`, `{name}`, `{outputs[1]}`), without literal braces."""
    return {m.group(1) for m in _PLACEHOLDER.finditer(template) if m.group(1)}


def word_start_names(template: str) -> set[str]:
    """The placeholder names of `template` that begin a word of the command (`echo {name}`, not
    `docs/{name}.md`): where a value starting with '-' is refused (see `render_command`)."""
    return {
        m.group(1)
        for m in _PLACEHOLDER.finditer(template)
        if m.group(1) and _starts_word(template, m.start())
    }


def _starts_word(template: str, at: int) -> bool:
    """Whether a placeholder at `at` begins a word of the shell command that a program may take as an
    option: nothing before it but quotes since the start, a blank or an operator (`;`, `|`, `&`, `(`, a
    backquote). The target of a redirection (`> {name}`, `<{name}`, `>| {name}`) is a file name, never an
    option."""
    before = template[:at].rstrip("\"'")
    if before and not (before[-1].isspace() or before[-1] in ";|&()`"):
        return False  # (inside a word, or right after a redirection operator)
    operator = before.rstrip()
    return operator[-1:] not in ("<", ">") and not operator.endswith(">|")


def _nth(name: str, paths: str | Sequence[str], index: int, loc: Loc | None) -> str:
    paths = [paths] if isinstance(paths, str) else paths
    if index < len(paths):
        return paths[index]
    kind = name.split("[")[0].rstrip("s")  # input, output
    have = f"{len(paths)} {kind}" + ("" if len(paths) == 1 else "s")
    raise AgentfileError(
        f"'{{{name}}}' is past the last {kind}: this task has {have}, numbered from 0",
        loc,
        [f"{{{kind}s[{i}]}}" for i in range(len(paths))],
        None if paths else f"remove '{{{name}}}': there is no {kind} to name",
    )
