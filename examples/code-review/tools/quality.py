"""Offline `quality` agent: bare excepts, missing docstrings, mutable defaults, long functions."""

from __future__ import annotations

import ast

from findings import Finding, Source, Unparsed, main

LONG_FUNCTION = 25  # lines


def check(src: Source) -> list[Finding]:
    out: list[Finding] = []
    if ast.get_docstring(src.tree) is None and src.tree.body:
        out.append(Finding(src.path, 1, "low", "missing-docstring", "module has no docstring"))
    for node in ast.walk(src.tree):
        if isinstance(node, ast.ExceptHandler) and node.type is None:
            out.append(
                Finding(
                    src.path,
                    node.lineno,
                    "medium",
                    "bare-except",
                    "bare `except:` also swallows KeyboardInterrupt and hides real errors; "
                    "catch the specific exception",
                )
            )
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            public = not node.name.startswith("_")
            if public and ast.get_docstring(node) is None:
                kind = "class" if isinstance(node, ast.ClassDef) else "function"
                out.append(
                    Finding(
                        src.path,
                        node.lineno,
                        "info",
                        "missing-docstring",
                        f"public {kind} `{node.name}` has no docstring",
                    )
                )
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > LONG_FUNCTION:
                out.append(
                    Finding(
                        src.path,
                        node.lineno,
                        "low",
                        "long-function",
                        f"`{node.name}` is {length} lines long (limit {LONG_FUNCTION})",
                    )
                )
            for default in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
                if isinstance(default, (ast.List, ast.Dict, ast.Set)):
                    out.append(
                        Finding(
                            src.path,
                            default.lineno,
                            "medium",
                            "mutable-default",
                            f"`{node.name}` has a mutable default argument shared between calls",
                        )
                    )
    return out


def syntax_error(bad: Unparsed) -> Finding:
    """A file that does not parse is the first thing to fix: Python cannot import it."""
    return Finding(bad.path, bad.line, "high", "syntax-error", f"does not parse: {bad.reason}")


def analyse(sources: list[Source]) -> list[Finding]:
    return [finding for src in sources for finding in check(src)]


if __name__ == "__main__":
    raise SystemExit(main("Quality findings", analyse, syntax_error))
