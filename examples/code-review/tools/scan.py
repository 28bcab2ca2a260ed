"""Offline `scan` agent: an inventory of the code base (files, sizes, functions) as Markdown.

Usage: python3 tools/scan.py OUTPUT.md SOURCE.py...
"""

from __future__ import annotations

import ast
import os
import sys

from findings import Unparsed, parse


def functions(tree: ast.Module) -> list[tuple[str, int, int, bool]]:
    """(qualified name, first line, length in lines, has docstring) for every function and method."""
    found = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (child.end_lineno or child.lineno) - child.lineno + 1
                found.append(
                    (prefix + child.name, child.lineno, length, ast.get_docstring(child) is not None)
                )
                visit(child, prefix + child.name + ".")
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")

    visit(tree, "")
    return found


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    # tools/ are listed as inputs so that editing a tool reruns its agent; they are not reviewed.
    output, sources = argv[0], sorted(p for p in argv[1:] if not p.startswith("tools/"))
    rows, details = [], []
    total_lines = 0
    for path in sources:
        text, tree = parse(path)
        lines = len(text.splitlines())
        total_lines += lines
        if isinstance(tree, Unparsed):  # listed, so the reviewers say it was not reviewed, and why
            rows.append(f"| `{path}` | {lines} | - | - | does not parse (line {tree.line}) |")
            continue
        funcs = functions(tree)
        classes = sum(1 for n in ast.walk(tree) if isinstance(n, ast.ClassDef))
        largest = max(funcs, key=lambda f: f[2], default=None)
        rows.append(
            f"| `{path}` | {lines} | {len(funcs)} | {classes} | "
            + (f"`{largest[0]}` ({largest[2]} lines)" if largest else "-")
            + " |"
        )
        details += [
            f"| `{path}` | `{name}` | {line} | {length} | {'yes' if doc else 'no'} |"
            for name, line, length, doc in funcs
        ]
    text = "\n".join(
        [
            "## Code inventory",
            "",
            f"{len(sources)} files, {total_lines} lines, {len(details)} functions.",
            "",
            "| file | lines | functions | classes | largest function |",
            "| --- | --- | --- | --- | --- |",
            *rows,
            "",
            "### Functions",
            "",
            "| file | function | line | lines | docstring |",
            "| --- | --- | --- | --- | --- |",
            *details,
        ]
    )
    os.makedirs(os.path.dirname(output) or ".", exist_ok=True)
    with open(output, "w", encoding="utf-8") as fh:
        fh.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
