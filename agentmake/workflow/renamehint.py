"""The hint for an output renamed in the Agentfile, where the rename still pays: the task's key names its
outputs, so a build calls the agent again for the result it made under the old name; or its key holds no
path (`plan.pathless`: a build restores that result at the new path from the cache) but the cache no longer
has it (`agentmake clean --cache`, trimmed), so a build calls the agent all the same. When that is all that
changed (the task is stale for its outputs alone: `outputs-changed`, `output-missing`), one output renamed,
the old file and the others still holding what agentmake recorded there and the new path free, `-n` and
`status` say how to keep it instead: `mv OLD NEW && agentmake -t TASK` (make -t records the moved file as
built, calling nothing), after a `mkdir -p` of the new directory if it is not there yet; of a fan-out
renamed, the first few and a count. Not for a report agentmake lays out (a build writes it again calling no
agent), nor for one moved to another directory (its links are made relative to its own: the moved file's
would be broken), nor for a new suffix (`a.txt` now `a.html`: a command or an agent writes the format the
name asks for)."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from agentmake.errors import plural
from agentmake.invocation import command_line, from_here, targets
from agentmake.plan.pathless import SUFFIX
from agentmake.safetext import term_safe

if TYPE_CHECKING:
    from agentmake.graph import Graph, Task
    from agentmake.plan import Decision
    from agentmake.store import Store
    from agentmake.workflow import Project

ONLY = frozenset({"outputs-changed", "output-missing"})
SHOWN = 5  # hints said one by one; of more, a count


def rename_hints(project: Project, selected: Graph, decisions: Iterable[Decision], store: Store) -> list[str]:
    """A sentence for each task of `decisions` stale only because one of its outputs was renamed (see the
    module's docstring); reads the records of those tasks alone."""
    from agentmake.plan.leftovers import holds

    hints: list[str] = []
    for d in decisions:
        kinds = {r.kind for r in d.reasons}
        if not d.stale or not kinds <= ONLY or not kinds:
            continue
        task, record = selected.tasks.get(d.task_id), store.task_record(d.task_id)
        if task is None or record is None or record.status != "done":
            continue
        if SUFFIX in record.parts and record.key == d.key:
            if d.action != "run":  # (its key holds no path: the build restores its result at the new path)
                continue
        elif "outputs-changed" not in kinds:
            continue
        gone = [p for p in record.outputs if p not in task.outputs]
        new = [p for p in task.outputs if p not in record.outputs]
        if len(gone) != 1 or len(new) != 1:
            continue
        old, dest = gone[0], new[0]
        if _named_otherwise(store, task, d.task_id, project.agentfile.variables, dest):
            continue  # (of another configuration's build, `lang=es`'s: its outputs are that one's, not moved)
        if PurePosixPath(old).suffix != PurePosixPath(dest).suffix:
            continue  # (another format, a.txt now a.html: what writes it may write another thing there)
        if record.parts.get("kind") == "report" and (
            record.parts.get("prompt") is None or PurePosixPath(old).parent != PurePosixPath(dest).parent
        ):
            continue  # (agentmake writes it, calling no agent; its links are relative to its directory)
        if (project.root / dest).exists() or not all(
            holds(project.root / p, h) for p, h in record.outputs.items()
        ):
            continue  # (another output missing or edited: the move alone does not put back the result made)
        parent = PurePosixPath(dest).parent
        # (the paths as the shell names them, as `command_line`'s -C and -f: `invocation.from_here`)
        mkdir = f"mkdir -p {shlex.quote(from_here(str(parent)))} && "
        made = "" if (project.root / parent).is_dir() else mkdir
        mv = f"mv {shlex.quote(from_here(old))} {shlex.quote(from_here(dest))}"
        move = f"{made}{mv} && {command_line('-t', *targets(d.task_id))}"
        hints.append(
            f"{d.task_id}: its output {old} is now {dest} in the Agentfile, so a build calls its agent again;"
            f" `{move}` keeps the result it made, calling nothing"
        )
    return hints


def say_rename_hints(project: Project, selected: Graph, decisions: Iterable[Decision], store: Store) -> None:
    """`rename_hints`, each on stderr (`agentmake: hint: …`); of a fan-out's, more than `SHOWN`, the first
    `SHOWN` and a line counting the others (a renamed pattern made one for each of its 3,000 tasks); in
    natural order of their tasks (`x:2` before `x:10`), as `-n` lists them."""
    from agentmake.natorder import in_natural_order

    ordered = in_natural_order(decisions, lambda d: d.task_id)
    hints = rename_hints(project, selected, ordered, store)
    for hint in hints[:SHOWN]:
        sys.stderr.write(term_safe(f"agentmake: hint: {hint}") + "\n")
    if len(hints) > SHOWN:
        more = len(hints) - SHOWN
        sys.stderr.write(
            f"agentmake: hint: and {plural(more, 'more task')} with an output renamed so:"
            " the same `mv` and `-t` keep each one's result\n"
        )


def _named_otherwise(store: Store, task: Task, task_id: str, variables: dict[str, str], dest: str) -> bool:
    """Whether `task_id`'s record is another configuration's (`Store.built_otherwise`) whose variables set
    otherwise may name the output `dest` (`build/${lang}/a.md`): the value one has now is in it (or is
    empty). A variable whose value is not in `dest` names no part of it: then the record's other output is
    a rename in the Agentfile (built once with `lang=fr`, which `t` never reads), and its hint is said."""
    names = store.built_otherwise(task_id)
    if not names:
        return False
    from agentmake.model import scope

    values = scope(task.spec, variables)
    return any((value := values.get(name)) is not None and value in dest for name in names)
