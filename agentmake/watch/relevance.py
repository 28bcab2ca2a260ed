"""What a changed path means to the project: who reads it (`readers`), and whether a set of changes calls
for a reload of the Agentfile and a build (`sort_changes`), telling agentmake's own writes from edits."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from agentmake.graph import Graph
from agentmake.graph.globs import Pattern, PatternError, compile_pattern
from agentmake.model import Agentfile, AgentSpec, ReportSpec
from agentmake.plan import Hasher
from agentmake.store import Store, TaskRecord


@dataclass
class Changes:
    """What a set of changed paths calls for (`sort_changes`)."""

    regraph: bool = False  # the graph may change: load the Agentfile again
    rebuild: bool = False  # something tasks read changed
    maybe_new: bool = False  # a file the graph did not read appeared: rebuild only if it adds a task
    hand_edited: set[str] = field(default_factory=set)  # outputs edited since a build wrote them


def sort_changes(
    root: Path,
    graph: Graph,
    store: Store,
    readers: dict[str, list[str]],
    written: dict[str, str],
    paths: set[str],
) -> Changes:
    """Sort `paths` (changed, project-relative; none of them a file that plans the build). An output is
    agentmake's own write, not a change, when its content is what its task recorded and either this
    session wrote it (`written`: path -> content hash) or every task reading it was built from that content
    (a `touch`); so undoing a hand edit of an output that others were rebuilt from is a change. A directory
    moved or removed changes what was under it."""
    records = store.task_records()
    producer = graph.producer
    hasher = Hasher(root, store)
    out = Changes()
    interesting: set[str] = set()
    for path in paths:
        task_id = producer.get(path)
        if task_id is not None:
            rec = records.get(task_id)
            now = hasher.file_hash(path)
            recorded = rec is not None and rec.outputs.get(path) == now and now is not None
            if recorded and (
                written.get(path) == now
                or all(read_as(records.get(r), path) == now for r in readers.get(path, ()))
            ):
                continue  # agentmake's own write
            out.hand_edited.add(path)  # no longer what this session wrote
            interesting.add(path)
        elif path in readers:
            interesting.add(path)
            out.regraph |= not (root / path).exists()  # a deleted input may drop a fan-out task
        elif (root / path).is_file():
            out.maybe_new = True  # may match a fan-out pattern: re-expand, build only if tasks changed
            out.regraph = True
        else:
            under = read_under(readers, path)
            if not under and not (root / path).is_dir():
                continue  # a path the graph never read that is gone again (an editor's probe file)
            # a directory moved in, out or renamed: its files may add or drop fan-out tasks, and those
            # read under it may be gone or other files now (inotify names only the directory)
            for read in under:  # (one missing now and read by no build is no change: a failed task's)
                now = hasher.file_hash(read)
                if any(read_as(records.get(r), read) != now for r in readers[read]):
                    interesting.add(read)
            out.maybe_new = out.regraph = True
    out.rebuild = bool(interesting)
    return out


def readers(graph: Graph) -> dict[str, list[str]]:
    """Each file a task reads (its inputs, its prompt file, a report's template) -> the ids of those tasks."""
    found: dict[str, list[str]] = {}
    for task in graph.tasks.values():
        spec = task.spec
        prompt = spec.prompt if isinstance(spec, AgentSpec) else spec.merge
        extra = [
            p
            for p in (
                prompt.path if prompt else None,
                spec.template if isinstance(spec, ReportSpec) else None,
            )
            if p
        ]
        for path in dict.fromkeys([*task.inputs, *extra]):
            found.setdefault(path, []).append(task.id)
    return found


def fan_out_patterns(agentfile: Agentfile) -> tuple[Pattern, ...]:
    """The input patterns of the agents and reports that match files (globs, `{wildcard}`s): a file added that
    one of them matches may add a task, or an input to one."""
    found: dict[str, Pattern] = {}
    texts = [t for a in agentfile.agents.values() for t in a.inputs]
    texts += [t for r in agentfile.reports.values() for t in r.inputs]
    for text in texts:
        if text in found:
            continue
        try:
            pattern = compile_pattern(text)
        except PatternError:  # (not in a graph that loaded)
            continue
        if not pattern.is_literal:
            found[text] = pattern
    return tuple(found.values())


def read_under(readers: dict[str, list[str]], directory: str) -> list[str]:
    """The paths tasks read (keys of `readers`) that lie under `directory`."""
    prefix = directory + "/"
    return [p for p in readers if p.startswith(prefix)]


def read_as(rec: TaskRecord | None, path: str) -> str | None:
    """The content hash of `path` that the task of record `rec` was last built from (None: unknown)."""
    if rec is None:
        return None
    inputs = rec.parts.get("inputs")
    return inputs.get(path) if isinstance(inputs, dict) else None
