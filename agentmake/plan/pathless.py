"""Keys without output paths: a task whose result cannot depend on where its output is written is keyed by
its output's suffix alone, so that renaming the output in the Agentfile restores the result from the cache
rather than paying for the call again.

The rule (`path_free`), conservative: only an LLM agent (not a shell agent, not a report) whose answer on
stdout becomes its one output, where nothing the agent is given names that output:

- exactly one output (an agent of several writes them itself, and its prompt names them);
- its prompt template reads neither ``output`` nor ``outputs`` (`templates.names_read`), parses, and
  names no other template (`{% include %}`...: what that one reads is not looked at);
- no `check` (a command check is given the output's path; a failed check's complaint, which names the
  output, is sent to the agent on a retry);
- its agent may write no file (`runners.writing.agent_may_write`, the rule `runners.execute` sets the
  output aside by: one that may could write where it likes, and is kept keyed as it was): neither its
  runner's command (`runners.invocation.may_write_files`) nor its CLI's own settings
  (`runners.writesettings`: claude's ``permissions``, in the files its ``--setting-sources`` leave it
  and what ``--settings`` adds; codex's ``sandbox_mode``, else the trust it gives the project; gemini's
  ``general.defaultApprovalMode``: `ConfigReading.writes`) let it;
- no other task of the whole graph has its prompt text and its inputs (`siblings`): agents alike but for
  their outputs' names (three drafts of one prompt, to pick the best) are each their own sample, keyed with
  their paths as before, so that each keeps its own cache entry (a deleted draft is restored, not asked
  again, and never given another's answer). A record keyed without its path before a sibling came is read
  with it (`plan.upgrade._paths_back`).

The runner's argv, environment and working directory never hold an output path (`runners.invocation`), nor
does the job directory, named by the task id. The suffix stays in the key: a fence of the answer is taken
off when its language fits the output's suffix (`runners.unfence`). Every other task's key holds its
output paths as before, byte for byte.

Such a key's "outputs" is replaced by "output_suffix" (`keyparts.KeyParts._parts`). A result cached under
it names the path it was made at; a task renamed since is given it at its own path (`as_task_output`,
`Decision.moved`). A record keyed with the paths by an older agentmake is read as this one spells it
(`plan.upgrade._paths_upgraded`): a project built before runs nothing after.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from agentmake.graph import Graph, Task
from agentmake.model import AgentSpec, RunnerSpec

__all__ = ["SUFFIX", "as_task_output", "path_free", "pathless_parts", "with_output_paths"]

SUFFIX = "output_suffix"  # the key's entry in place of "outputs"
_READS_OUTPUT = frozenset({"output", "outputs"})
_siblings: dict[int, tuple[Graph, frozenset[str]]] = {}  # (id of the whole graph -> it, its siblings)
_reads_output: dict[str, bool] = {}  # (prompt text -> whether it reads an output path: parsed once)


def path_free(task: Task, runner: RunnerSpec | None, settings_write: bool = False) -> bool:
    """Whether `task`'s result cannot depend on its output's path (see the module's docstring).
    `settings_write`: the CLI's settings files let the agent write files (`ConfigReading.writes`)."""
    spec = task.spec
    if not isinstance(spec, AgentSpec) or spec.is_shell or spec.prompt is None or runner is None:
        return False
    if len(task.outputs) != 1 or spec.check is not None:
        return False
    text = spec.prompt.text
    reads = _reads_output.get(text)
    if reads is None:
        from agentmake.template_reads import names_read, other_templates

        # (a template that does not parse, or names another template, is kept keyed as it was)
        reads = _reads_output[text] = bool(_READS_OUTPUT & names_read(text)) or other_templates(text) != []
    if reads:
        return False
    from agentmake.runners.presets import preset_of
    from agentmake.runners.writing import agent_may_write

    return not agent_may_write(preset_of(runner), list(runner.command), settings_write)


def siblings(graph: Graph) -> frozenset[str]:
    """The tasks of `graph` (the whole graph: a build of some targets keys them as every other build does)
    that share their prompt text and their inputs with another task of one output: agents alike but for
    their outputs' names, which keep their output paths in their keys (see the module's docstring)."""
    whole = graph.whole or graph
    found = _siblings.get(id(whole))
    if found is not None and found[0] is whole:
        return found[1]
    groups: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for task in whole.tasks.values():
        spec = task.spec
        if isinstance(spec, AgentSpec) and spec.prompt is not None and len(task.outputs) == 1:
            groups.setdefault((spec.prompt.text, tuple(task.inputs)), []).append(task.id)
    alike = frozenset(tid for ids in groups.values() if len(ids) > 1 for tid in ids)
    _siblings.clear()  # (one graph at a time: watch replans with a new one)
    _siblings[id(whole)] = (whole, alike)
    return alike


def pathless_parts(parts: dict[str, Any], outputs: list[str]) -> dict[str, Any]:
    """`parts` (keyed with `outputs`, one path) with the output's suffix in place of the paths."""
    new = {k: v for k, v in parts.items() if k != "outputs"}
    new[SUFFIX] = PurePosixPath(outputs[0]).suffix
    return new


def with_output_paths(parts: dict[str, Any], outputs: list[str]) -> dict[str, Any]:
    """`parts` spelt with its output paths (`outputs`, sorted) when it holds its suffix in their place, as
    the key of the same task with a `check` holds them: so that a check added (or removed) is seen as all
    that changed (`judge._only_check_changed`: re-checked in place, no call); `parts` itself otherwise."""
    if SUFFIX not in parts:
        return parts
    spelt = {k: v for k, v in parts.items() if k != SUFFIX}
    spelt["outputs"] = sorted(outputs)
    return spelt


def as_task_output(
    parts: dict[str, Any], found: dict[str, str], outputs: tuple[str, ...]
) -> tuple[dict[str, str], dict[str, str] | None]:
    """A cache entry `found` (path -> digest) of a path-free key (`parts`), at the task's output path, and the
    move that puts it there (cached path -> the task's) when that differs; `found` itself and None for any
    other key, or an entry of another shape."""
    if SUFFIX not in parts or len(found) != 1 or len(outputs) != 1:
        return found, None
    [(path, digest)] = found.items()
    if path == outputs[0]:
        return found, None
    return {outputs[0]: digest}, {path: outputs[0]}
