"""What a prompt template reads, found in its syntax tree without rendering it: the names it reads
(`names_read`, judged by `check_names`), its `read(...)` calls (`check_reads`) and the other templates it
names (`other_templates`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from agentmake.errors import did_you_mean
from agentmake.model import Prompt
from agentmake.template_context import as_input
from agentmake.template_env import INLINE, environment, parsed
from agentmake.template_errors import prompt_error, syntax_error
from agentmake.template_paths import HINT as PATH_HINT
from agentmake.template_paths import path_attribute

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
        return frozenset(meta.find_undeclared_variables(parsed(text, INLINE)))
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

    env = environment()
    try:
        ast = parsed(prompt.text, prompt.path or INLINE)
    except TemplateSyntaxError as e:
        raise syntax_error(prompt, e) from None
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
        err = prompt_error(prompt, message, _first_line(lines, name), name)
        err.hint = f"rename the {kind}"
        raise err
    attribute = path_attribute(ast, read)
    if attribute is not None:
        shown, attr, line = attribute
        err = prompt_error(
            prompt, f"'{shown}' is a path (text): it has no '.{attr}'", line, f"{shown}.{attr}"
        )
        err.hint = PATH_HINT
        raise err
    unknown = read - PROMPT_NAMES - set(defined) - set(env.globals)
    if unknown:  # (a name read only where strict undefined allows it, `x is defined`, `x|default(...)`)
        unknown &= _unguarded_names(ast)
    if not unknown:
        return
    where = {n: _first_line(lines, n) for n in unknown}
    name = min(unknown, key=lambda n: (where[n], n))
    err = prompt_error(prompt, f"undefined name: '{name}' is undefined", where[name], name)
    dashed = sorted(d for d in defined if d.startswith(f"{name}-"))  # (`{{ my-var }}` is my minus var)
    if dashed:
        err.hint = f"'{dashed[0]}' has a '-', which a template reads as a minus: name it with '_' instead"
    else:  # (`{{ lnag }}` for lang; else what it may read, as a build rendering it says)
        seen = sorted({n for n in (*PROMPT_NAMES, *defined) if not n.startswith("_")})
        err.hint = did_you_mean(name, seen) or f"available: {', '.join(seen)}"
    raise err


# what a report template sees (`report.template.render_template`): not a prompt's `files`, `read`, `input`...
REPORT_NAMES = frozenset({"title", "inputs", "summary", "variables", "missing", "incomplete", "partial"})


def check_report_names(text: str, name: str, variables: Iterable[str] = ()) -> None:
    """Raise AgentfileError, located in the report template file `name` (project-relative) holding `text`
    (which compiles), at a name it reads that a report template does not see (`REPORT_NAMES`, Jinja's
    globals), where an undefined one fails the render: every build of the report would fail on it, after
    its agents were paid. `variables`: the Agentfile's, which a template reads as `variables.NAME`. Only a
    name every render reads (`_made_by_every_render`): one read in a branch, a loop's body or a macro is
    left to rendering, as `_reads` leaves a `read()` there (a template that renders today is not refused
    for a typo in a branch its builds never take, `{% if partial %}`)."""
    from jinja2 import meta, nodes
    from jinja2.defaults import DEFAULT_NAMESPACE

    from agentmake.template_errors import file_error

    ast = parsed(text, name)
    unknown = set(meta.find_undeclared_variables(ast)) - REPORT_NAMES - set(DEFAULT_NAMESPACE)
    if unknown:
        unknown &= _unguarded_names(ast)
    if unknown:
        every = _made_by_every_render(ast)
        unknown &= {n.name for n in every if isinstance(n, nodes.Name) and n.ctx == "load"}
    if not unknown:
        return
    lines = text.split("\n")
    bad = min(unknown, key=lambda n: (_first_line(lines, n), n))
    err = file_error("report template", name, text, _first_line(lines, bad), f"'{bad}' is undefined", bad)
    hint = did_you_mean(bad, sorted(REPORT_NAMES))
    if bad in set(variables):
        hint = f"a report template reads a variable as {{{{ variables.{bad} }}}}"
    elif bad in PROMPT_NAMES:
        hint = "files, read() and input are a prompt's: a report template reads its inputs as `inputs`"
    err.hint = hint or f"available: {', '.join(sorted(REPORT_NAMES))}"
    raise err


_GUARD_TESTS = frozenset({"defined", "undefined"})


_GUARD_FILTERS = frozenset({"default", "d"})


def _unguarded_names(ast: Any) -> set[str]:
    """The names `ast` reads where an undefined one fails the render: not as the operand of `is defined`
    (`is undefined`) or `|default(...)` (`|d`), which Jinja's strict undefined allows, nor in the branch
    (or the right of an `and`) that such a test guards: `{% if x is defined %}{{ x }}{% endif %}`; nor a
    name the template sets anywhere (`{% set x = x|default(1) %}{{ x }}`, a loop's or a macro's `x`, an
    import's), whose reads Jinja's scopes may resolve to what it set."""
    from jinja2 import nodes

    found: set[str] = set()
    assigned = {n.name for n in ast.find_all(nodes.Name) if n.ctx in ("store", "param")}
    for imp in ast.find_all((nodes.Import, nodes.FromImport)):
        if isinstance(imp, nodes.Import):
            assigned.add(imp.target)
        else:
            assigned.update(n if isinstance(n, str) else n[1] for n in imp.names)

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
    return found - assigned


def check_reads(prompt: Prompt, task_id: str, inputs: Iterable[str]) -> None:
    """Raise AgentfileError, located in `prompt`, at a `read('path')` of a literal path that is not one of
    `inputs` (those of task `task_id`): rendering would refuse it for that task, after the tasks before it
    were paid for; and at a `read(input)` of a task with no inputs. Only reads that every render makes
    count (`_reads`). (A path built from names, `read('docs/' ~ name)`, or a read in a branch, is judged
    when it is rendered.)"""
    if "read" not in prompt.text:
        return
    have = set(inputs)
    reads = _reads(prompt.text, prompt.path or INLINE)
    for path, line in reads:
        if path is not None and as_input(path) not in have:
            err = prompt_error(prompt, f"read({path!r}): not an input of task {task_id}", line, path)
            err.hint = "add it to the agent's inputs (a prompt reads only what the task's key holds)"
            raise err
    at = None if have else next((line for path, line in reads if path is None), None)
    if at is not None:  # (`input` is '' for a task with no inputs: read('') fails every render)
        err = prompt_error(prompt, f"read(input): task {task_id} has no inputs", at, "read")
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
    for call in _made_by_every_render(parsed(text, filename)):
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
        ast = parsed(text, INLINE)
    except TemplateSyntaxError:
        return None
    found = ast.find_all((nodes.Include, nodes.Extends, nodes.Import, nodes.FromImport))
    return sorted(((kinds[type(node)], node.lineno) for node in found), key=lambda t: t[1])


def _first_line(lines: list[str], name: str) -> int:
    """The 1-based line where the word `name` first appears (1 if nowhere)."""
    word = re.compile(rf"\b{re.escape(name)}\b")
    return next((i for i, line in enumerate(lines, 1) if word.search(line)), 1)
