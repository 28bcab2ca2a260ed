"""Task keys: the canonical encoding of everything that can change a task's result.

A key is ``xxh3_128_hexdigest(canonical_json(parts))`` where `canonical_json` is ``json.dumps(parts,
sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` encoded as UTF-8, over every top-level entry of
`parts` whose name does not start with ``_`` (those are memos kept beside the key, never part of it).

Parts, version ``v`` = 2 (bump `KEY_VERSION` whenever this layout or its meaning changes; every key changes,
so give `Rebuilder` a way to read the records of the version before, as `agentmake.plan.keys_v1` does for
version 1, or every task reruns or restores once)::

    {"v": 2, "kind": "agent" | "shell" | "report",
     "runner": {"command": [...], "model": str | None, "model_flag": str | None, "format": str,
                "env": [names], "url": str (an openai-http runner's `url`, only when set),
                "endpoint": {name: [host, digest]} (only when one is set)} | None,
     "prompt": xxh3 of the rendered prompt (agent, merge report) or of the rendered shell command,
     "inputs": {path: content hash | None}, "outputs": [paths, sorted] | "output_suffix": the suffix of the
     one output of an LLM agent that nothing it is given names (`agentmake.plan.pathless`; a record keyed
     with its path is read by `upgrade._paths_upgraded`),
     "executable": [the inputs with an executable bit, sorted] (a shell agent's, only when there is one),
     "check": {"kind": ..., "command": template, "outputs": [paths, as declared] (a command check)} | None,
     "settings": {...}}                               # anything else that reaches the invocation

    "model" is None when the runner has no `model_flag`: such a model reaches no command line; with no model
    set, the one the CLI takes from the environment (`runners.modelenv.MODEL_ENV`; but first, for claude, an
    ANTHROPIC_MODEL in a settings file's `env` block), else the one it takes from its config files
    (`runners.modelconfig`: claude's project and user settings.json, codex's config.toml, gemini's project and
    user settings.json, llm's default_model.txt), with the memos "_model_from" = [CLI, the file] (for explain)
    and, for every task of a runner whose CLI has such a file, "_cfgmodel" = `keyparts.CFGMODEL` (its record
    keyed the file's model; 1: before llm's aliases, gemini's .env and system files were read, 1 to 3: before
    codex's system and project files were, `upgrade._new_model_upgraded`; none:
    `upgrade._config_model_upgraded` gives one made before the model the file names now). With no such
    file, or no model in it, the key is as it was. An openai-http runner's server is keyed as its `url` when
    the Agentfile names it; the environment's endpoint variables the CLI receives (`modelenv.ENDPOINT_ENV`:
    OPENAI_BASE_URL, ANTHROPIC_BASE_URL, OLLAMA_HOST, ...) are keyed in "endpoint" by the digest of the value
    without the secrets a URL may hold (its user and password, a key in its query: `runners.urlsecrets`), with
    the host for explain, never the value. (A value without them has the digest of the whole value, as the
    keys of format 2 always had; a record keyed with the whole value's digest of one with them is read by
    `upgrade._endpoint_upgraded`, a result cached so that no record names is found by
    `upgrade.endpoint_key_before`.)
    A shell agent's "runner" holds the shell runner's command alone, the other fields at their preset values
    (`shell_runner_parts`). "outputs"
    are sorted: their order reaches the agent only through its prompt or command (``{{ outputs }}``,
    ``{output}``), which "prompt" covers, or through a check's ``{output}``, which keeps them in order.

    report parts add: "title", "template" (content hash of the template file | None), "template_path",
    "summary" (bool), and without `merge` "renderer" (the version of the rendering, `REPORT_RENDERER`),
    "order" (the inputs in section order), "patterns" (the report's `inputs` as written: one that matches no
    file has a section saying so), with a template, "variables" (a secret one's value as its `variable_memo`),
    and with the run summary, "summarised"
    (`summary_digest` of the tasks it covers, each with its dependencies, so a renamed agent renders it
    again; when an agent or a merge report reads the report, `shape_digest` of them instead, with the
    memo "_shape" = 1: a renamed agent changes none of its content then, and is no reason to pay for that
    reader again, `keyparts.read_by_a_task`);
    "prompt"/"runner" describe the merge agent, None for built-in aggregation. A merge report's document is
    its agent's answer alone: its title and summary reach neither the call nor the document (and it has no
    template), so its key holds fixed values, the defaults: "title" = the report's name, "summary" = true,
    "template"/"template_path" = None (the keys merge reports with default settings always had).

Memos (for explain, and the rebuilder's shortcuts): "_render" = {"template": xxh3 of the prompt template's
text, "source": the prompt file | "inline", "variables": {name: `variable_memo` of its value} for each
variable the template reads (absent when it reads none)}, or for a shell agent {"template": xxh3 of its `run`
as written} and "_modes" = 1 (its record keyed "executable": `upgrade._modes_upgraded` gives one
made before the modes the ones the inputs have), "_summarised" = [the task ids a run summary
covers], "_shape" (see "summarised"), "_runner" = the name of an LLM call's runner, "_memo".

Nothing else enters: Agentfile comments and key order, description, priority, retries, timeout, estimate
(they do not change the result), variables a prompt does not use, the name of a prompt file (only its
rendered text reaches the agent), and file timestamps (a touch without a content change keeps the key).
Version 1 (`keys_v1`) also held "prompt_source", the outputs as declared, a model no flag passes, and the
run summary's tasks in full.
"""

from __future__ import annotations

import json
from typing import Any

import xxhash

from agentmake.model import Check, RunnerSpec

KEY_VERSION = 2


# (the encoder `json.dumps` would build for these arguments at each call, built once)
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def canonical_json(parts: dict[str, Any]) -> str:
    public = {k: v for k, v in parts.items() if not k.startswith("_")}
    return _CANONICAL(public)


def key_of(parts: dict[str, Any]) -> str:
    return xxhash.xxh3_128_hexdigest(canonical_json(parts).encode("utf-8"))


def text_hash(text: str) -> str:
    return xxhash.xxh3_128_hexdigest(text.encode("utf-8"))


def runner_parts(
    runner: RunnerSpec | None, model: str | None, endpoint: dict[str, list[str]] | None = None
) -> dict[str, Any] | None:
    """The runner's share of a key: what reaches the command line and how the answer is read (a model only
    with a `model_flag` to pass it with), and the endpoint variables its CLI receives that are set
    (`runners.presets.env_endpoint`: name -> [host, digest]). The environment variables it passes are a
    set: a name listed twice passes it once."""
    if runner is None:
        return None
    parts: dict[str, Any] = {
        "command": list(runner.command),
        "model": model if runner.model_flag is not None else None,
        "model_flag": runner.model_flag,
        "format": runner.format,
        "env": sorted(set(runner.env)),
    }
    if runner.url is not None:  # (only when set: the keys of every other runner stay as they were)
        parts["url"] = runner.url
    if endpoint:  # (the same: a key of a CLI that receives no endpoint variable is as it was)
        parts["endpoint"] = endpoint
    return parts


def shell_runner_parts(runner: RunnerSpec | None) -> dict[str, Any] | None:
    """The `shell` runner's share of a shell agent's key: its command alone reaches the call (`sh -c`
    by default). A shell agent inherits the whole environment, writes its outputs itself and is given no
    model, so the runner's `env`, `format`, `model` and `model_flag` are keyed as the preset has them
    (the default shell runner's parts are unchanged): setting them reruns nothing."""
    if runner is None:
        return None
    return {"command": list(runner.command), "model": None, "model_flag": None, "format": "text", "env": []}


def check_parts(check: Check | None, outputs: tuple[str, ...]) -> dict[str, Any] | None:
    """A check's share of a key. A command check sees the outputs in their declared order (``{output}`` is
    the first), so it keeps that order; the key's "outputs" are sorted."""
    if check is None:
        return None
    parts: dict[str, Any] = {"kind": check.kind, "command": check.command}
    if check.kind == "command":
        parts["outputs"] = list(outputs)
    return parts


def summary_digest(summarised: dict[str, list[str]]) -> str:
    """The key's share of the tasks a run summary covers (task id -> its dependencies): a digest, not the
    JSON of them all (a fan-in of 10,000 tasks would put some hundred KB in every decision and record). As
    in the canonical JSON, the order of the tasks does not count; that of each one's dependencies does."""
    h = xxhash.xxh3_128()
    for task_id, deps in sorted(summarised.items()):
        h.update(json.dumps([task_id, deps], ensure_ascii=False).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def shape_digest(summarised: dict[str, list[str]], outputs: dict[str, tuple[str, ...]]) -> str:
    """The key's share of a run summary read by a task (`keyparts.KeyParts._parts`): the shape of the graph
    it draws, not the names in it. Each task covered, in the order given, as its outputs (sorted) and the
    positions of its dependencies in that order: renaming an agent (its outputs the same) keeps the digest,
    a task added, removed or depending on another one changes it.

    Example: ``{"up:a": [], "up:b": [], "inner": ["up:a", "up:b"]}`` has the shape of ``{"upper:a": [],
    "upper:b": [], "inner": ["upper:a", "upper:b"]}`` (with the same outputs)."""
    position = {task_id: i for i, task_id in enumerate(summarised)}
    h = xxhash.xxh3_128()
    for task_id, deps in summarised.items():
        shape = [sorted(outputs.get(task_id, ())), [position.get(d, -1) for d in deps]]
        h.update(json.dumps(shape, ensure_ascii=False).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def variable_memo(value: str, *, secret: bool = False) -> str | list[str]:
    """A variable's value as a memo keeps it: itself when short and on one line (explain shows it), else
    ``["xxh3", digest]`` (a long shared text is not copied into every task's record), as is a `secret`
    one (`runners.redact.SecretValues`: never kept, nor shown)."""
    if len(value) <= 80 and "\n" not in value and not secret:
        return value
    return ["xxh3", text_hash(value)]


def short(digest: str | None) -> str:
    """The first 8 hex characters of a digest, for messages ("missing" for None)."""
    return digest[:8] if digest else "missing"
