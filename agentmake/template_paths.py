"""A prompt that reads an attribute of a path (`{{ input.content }}`, `{{ inputs[0].text }}`): a plausible
guess, since `files` items have `.content`, but `input`, `output` and the items of `inputs` and `outputs`
are paths (text), so rendering fails on it for every task. Found in the template's syntax tree, and said
with what to write instead (`read(input)`)."""

from __future__ import annotations

from typing import Any

PATHS = ("input", "output")  # names whose value is one path
PATH_LISTS = ("inputs", "outputs")  # names whose items are paths

HINT = (
    "input, output and the items of inputs and outputs are paths (text): an input's text is "
    "{{ read(input) }} (or {{ read(inputs[0]) }}); every input's path and text: "
    "{% for f in files %}{{ f.path }} {{ f.content }}{% endfor %}"
)


def path_attribute(ast: Any, read: set[str]) -> tuple[str, str, int] | None:
    """The first `name.attr` (by line) in the template `ast` whose `name` is a path the prompt is given
    (`input`, `inputs[N]`...: among the names it reads from its context, `read`) and `attr` is not one
    of a string's (`{{ input.upper() }}` is fine): (what it reads, the attribute, its template line)."""
    from jinja2 import nodes

    # (a name the template also sets, `{% for input in files %}`, may be anything where it reads it)
    read = read - {n.name for n in ast.find_all(nodes.Name) if n.ctx in ("store", "param")}
    found: list[tuple[int, str, str]] = []
    for node in ast.find_all(nodes.Getattr):
        target = node.node
        if isinstance(target, nodes.Name) and target.name in PATHS and target.name in read:
            shown = target.name
        elif (
            isinstance(target, nodes.Getitem)
            and isinstance(target.node, nodes.Name)
            and target.node.name in PATH_LISTS
            and target.node.name in read
        ):
            index = target.arg.value if isinstance(target.arg, nodes.Const) else "…"
            shown = f"{target.node.name}[{index}]"
        else:
            continue
        if not hasattr(str, node.attr):
            found.append((node.lineno, shown, node.attr))
    if not found:
        return None
    line, shown, attr = min(found)
    return shown, attr, line
