"""Offline `security` agent: eval/exec, hardcoded secrets, shell=True, weak hashes, unsafe deserialisation."""

from __future__ import annotations

import ast
import re

from findings import Finding, Source, main

SECRET_NAME = re.compile(r"(secret|passw(or)?d|token|api_?key|private_?key)", re.I)
SECRET_VALUE = re.compile(r"^(sk_live_|sk-|ghp_|AKIA|xox[bp]-)")
UNSAFE_LOADS = {("pickle", "loads"), ("pickle", "load"), ("marshal", "loads"), ("yaml", "load")}


def call_name(node: ast.Call) -> tuple[str | None, str]:
    func = node.func
    if isinstance(func, ast.Name):
        return None, func.id
    if isinstance(func, ast.Attribute):
        owner = func.value.id if isinstance(func.value, ast.Name) else None
        return owner, func.attr
    return None, ""


def check(src: Source) -> list[Finding]:
    out: list[Finding] = []
    for node in ast.walk(src.tree):
        if isinstance(node, ast.Call):
            owner, name = call_name(node)
            if owner is None and name in ("eval", "exec"):
                out.append(
                    Finding(
                        src.path,
                        node.lineno,
                        "high",
                        "eval-injection",
                        f"`{name}()` runs arbitrary code from its argument; parse the value instead "
                        "(e.g. `int()` or `ast.literal_eval`)",
                    )
                )
            if owner == "subprocess" and any(
                k.arg == "shell" and isinstance(k.value, ast.Constant) and k.value.value is True
                for k in node.keywords
            ):
                dynamic = bool(node.args) and not isinstance(node.args[0], ast.Constant)
                out.append(
                    Finding(
                        src.path,
                        node.lineno,
                        "high" if dynamic else "medium",
                        "shell-injection",
                        "`shell=True` with a command built from variables allows shell injection; "
                        "pass an argument list",
                    )
                )
            if owner == "hashlib" and name in ("md5", "sha1"):
                out.append(
                    Finding(
                        src.path,
                        node.lineno,
                        "low",
                        "weak-hash",
                        f"`hashlib.{name}` is broken for integrity checks; use sha256",
                    )
                )
            if (owner, name) in UNSAFE_LOADS:
                out.append(
                    Finding(
                        src.path,
                        node.lineno,
                        "high",
                        "unsafe-deserialisation",
                        f"`{owner}.{name}` can execute code from untrusted data",
                    )
                )
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            value = node.value.value
            for target in node.targets:
                if not isinstance(target, ast.Name) or not isinstance(value, str) or len(value) < 4:
                    continue
                if SECRET_NAME.search(target.id) or SECRET_VALUE.match(value):
                    out.append(
                        Finding(
                            src.path,
                            node.lineno,
                            "high",
                            "hardcoded-secret",
                            f"`{target.id}` holds a secret-looking literal; read it from the "
                            "environment or a secret store and rotate it",
                        )
                    )
    return out


def analyse(sources: list[Source]) -> list[Finding]:
    return [finding for src in sources for finding in check(src)]


if __name__ == "__main__":
    raise SystemExit(main("Security findings", analyse))
