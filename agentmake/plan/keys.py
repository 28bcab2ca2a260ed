"""Task keys: the canonical encoding of everything that can change a task's result.

A key is ``xxh3_128_hexdigest(canonical_json(parts))`` where `canonical_json` is ``json.dumps(parts,
sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` encoded as UTF-8, over every top-level entry of
`parts` whose name does not start with ``_`` (those are memos kept beside the key, never part of it).

Parts, version ``v`` = 1 (bump `KEY_VERSION` whenever this layout or its meaning changes; every key changes
and every task reruns or restores once)::

    {"v": 1, "kind": "agent" | "shell" | "report",
     "runner": {"command": [...], "model": str | None, "model_flag": str | None, "format": str,
                "env": [names]} | None,
     "prompt": xxh3 of the rendered prompt (agent, merge report) or of the rendered shell command,
     "prompt_source": prompt file path | "inline" | None,
     "inputs": {path: content hash | None}, "outputs": [paths],
     "check": {"kind": ..., "command": template} | None,
     "settings": {...}}                               # anything else that reaches the invocation

    report parts add: "title", "template" (content hash of the template file | None), "template_path",
    "summary" (bool), and without `merge` "renderer" (the version of the rendering, `REPORT_RENDERER`),
    "order" (the inputs in section order), "patterns" (the report's `inputs` as written: one that matches no
    file has a section saying so), with a template, "variables", and with the run summary, "summarised"
    (the tasks it covers, each with its dependencies: {task id: [task ids]}, so a renamed agent renders it
    again);
    "prompt"/"runner" describe the merge agent, None for built-in aggregation. A merge report's document is
    its agent's answer alone: its title and summary reach neither the call nor the document (and it has no
    template), so its key holds fixed values, the defaults: "title" = the report's name, "summary" = true,
    "template"/"template_path" = None (the keys merge reports with default settings always had).

Nothing else enters: Agentfile comments and key order, description, priority, retries, timeout, estimate
(they do not change the result), variables a prompt does not use, and file timestamps (a touch without a
content change keeps the key).
"""

from __future__ import annotations

import json
from typing import Any

import xxhash

from agentmake.model import RunnerSpec

KEY_VERSION = 1


def canonical_json(parts: dict[str, Any]) -> str:
    public = {k: v for k, v in parts.items() if not k.startswith("_")}
    return json.dumps(public, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def key_of(parts: dict[str, Any]) -> str:
    return xxhash.xxh3_128_hexdigest(canonical_json(parts).encode("utf-8"))


def text_hash(text: str) -> str:
    return xxhash.xxh3_128_hexdigest(text.encode("utf-8"))


def runner_parts(runner: RunnerSpec | None, model: str | None) -> dict[str, Any] | None:
    """The runner's share of a key: what reaches the command line and how the answer is read."""
    if runner is None:
        return None
    return {
        "command": list(runner.command),
        "model": model,
        "model_flag": runner.model_flag,
        "format": runner.format,
        "env": sorted(runner.env),
    }


def short(digest: str | None) -> str:
    """The first 8 hex characters of a digest, for messages ("missing" for None)."""
    return digest[:8] if digest else "missing"
