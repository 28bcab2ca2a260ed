"""Offline `perf` agent: quadratic patterns (nested loops, loops calling looping functions, list membership
inside loops) and string building with `+=` in a loop."""

from __future__ import annotations

import ast

from findings import Finding, Source, main

LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.comprehension)


def has_loop(node: ast.AST) -> bool:
    return any(
        isinstance(
            n, (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.DictComp, ast.SetComp, ast.GeneratorExp)
        )
        for n in ast.walk(node)
        if n is not node
    )


def looping_functions(sources: list[Source]) -> set[str]:
    """Names of functions and methods whose body loops over something."""
    return {
        n.name
        for src in sources
        for n in ast.walk(src.tree)
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and has_loop(n)
    }


def list_names(func: ast.AST) -> set[str]:
    """Local names bound to a list literal in `func`."""
    return {
        t.id
        for n in ast.walk(func)
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.List)
        for t in n.targets
        if isinstance(t, ast.Name)
    }


def str_names(func: ast.AST) -> set[str]:
    return {
        t.id
        for n in ast.walk(func)
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)
        for t in n.targets
        if isinstance(t, ast.Name)
    }


def check_function(
    path: str, func: ast.FunctionDef | ast.AsyncFunctionDef, loopers: set[str]
) -> list[Finding]:
    out: list[Finding] = []
    lists, strings = list_names(func), str_names(func)
    for loop in (n for n in ast.walk(func) if isinstance(n, (ast.For, ast.AsyncFor, ast.While))):
        body = ast.Module(body=loop.body, type_ignores=[])
        inner = next((n for n in ast.walk(body) if isinstance(n, (ast.For, ast.AsyncFor))), None)
        if inner is not None:
            out.append(
                Finding(
                    path,
                    inner.lineno,
                    "medium",
                    "nested-loop",
                    f"nested loop in `{func.name}` is O(n·m); index the inner collection with a dict or set",
                )
            )
        for node in ast.walk(body):
            if isinstance(node, ast.Call):
                called = (
                    node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                )
                if called in loopers and called != func.name:
                    out.append(
                        Finding(
                            path,
                            node.lineno,
                            "medium",
                            "quadratic-call",
                            f"`{func.name}` calls `{called}()` (which loops) inside a loop: "
                            "O(n²) overall; compute once outside the loop",
                        )
                    )
            if isinstance(node, ast.Compare) and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops):
                right = node.comparators[-1]
                if isinstance(right, ast.Name) and right.id in lists:
                    out.append(
                        Finding(
                            path,
                            node.lineno,
                            "low",
                            "list-membership",
                            f"`in {right.id}` scans a list on every iteration; use a set",
                        )
                    )
            if (
                isinstance(node, ast.AugAssign)
                and isinstance(node.op, ast.Add)
                and isinstance(node.target, ast.Name)
                and node.target.id in strings
            ):
                out.append(
                    Finding(
                        path,
                        node.lineno,
                        "low",
                        "string-concat",
                        f"`{node.target.id} +=` in a loop copies the string each time; "
                        "collect parts and `''.join` them",
                    )
                )
    return out


def analyse(sources: list[Source]) -> list[Finding]:
    loopers = looping_functions(sources)
    out: list[Finding] = []
    for src in sources:
        for node in ast.walk(src.tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                out += check_function(src.path, node, loopers)
    unique = {(f.file, f.line, f.rule): f for f in out}  # a loop nested in a loop is visited twice
    return list(unique.values())


if __name__ == "__main__":
    raise SystemExit(main("Performance findings", analyse))
