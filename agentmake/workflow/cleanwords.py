"""What `agentmake clean` says it did (or, with -n, would do) in its one summary line: the outputs removed,
with `--leftovers` whose they were and the tasks it forgot with no output left to remove (or whose recorded
output another task of the graph makes now, kept as that task's), and with `--cache` how many cached results
it dropped, whose restore would now call the agent again.

Worked example: `clean --leftovers` after two agents left the Agentfile, one of whose two outputs are there
(the other's deleted by hand), and one output renamed in the Agentfile:
`agentmake: removed 3 leftover outputs (2 of 1 task no longer in the graph; 1 renamed in the Agentfile);
forgot 1 other task no longer in the graph, with no output left`. Counts are of what was removed, never of
what was looked at: `removed 0 leftover outputs; forgot 2 tasks no longer in the graph, with no output left`.
A dropped task whose output a task of the graph makes now (`agent two: outputs = out/2.txt` replacing
copy:2) left nothing to remove either, yet its output is there: `removed 0 leftover outputs; forgot 1 task no
longer in the graph, whose output is another task's now`; both kinds: `forgot 2 tasks no longer in the
graph: 1 with no output left, 1 whose output is another task's now`.
"""

from __future__ import annotations

from dataclasses import dataclass

from agentmake.errors import plural


@dataclass(frozen=True)
class Leftovers:
    """What `clean --leftovers` removed: `of_tasks` outputs of `tasks` tasks no longer in the graph,
    `renamed` outputs renamed in the Agentfile, and `emptied` more tasks no longer in the graph that had no
    output left to remove (forgotten all the same), `handed` of them with a recorded output that a task of
    the graph makes now (not a leftover: kept)."""

    of_tasks: int = 0
    tasks: int = 0
    renamed: int = 0
    emptied: int = 0
    handed: int = 0


def removed_words(removed: int, left: Leftovers | None) -> str:
    """`2 outputs`, or of leftovers (`left`) `3 leftover outputs of 2 tasks no longer in the graph`,
    `1 leftover output (1 renamed in the Agentfile)`, both counts in parentheses when both are."""
    if left is None:
        return plural(removed, "output")
    what = plural(removed, "leftover output")
    of_tasks = f"{plural(left.tasks, 'task')} no longer in the graph"
    if left.of_tasks and left.renamed:
        return f"{what} ({left.of_tasks} of {of_tasks}; {left.renamed} renamed in the Agentfile)"
    if left.renamed:
        return f"{what} ({left.renamed} renamed in the Agentfile)"
    return f"{what} of {of_tasks}" if left.of_tasks else what


def forgot_words(left: Leftovers | None, dry: bool) -> str:
    """`; forgot 2 tasks no longer in the graph, with no output left` (`other tasks` after some whose outputs
    were removed; `, whose output is another task's now` for those whose output a current task makes, and
    both counts after a colon when both are), or nothing."""
    if left is None or not left.emptied:
        return ""
    verb = "would forget" if dry else "forgot"
    tasks = f"{plural(left.emptied, 'other task' if left.tasks else 'task')} no longer in the graph"
    empty = left.emptied - left.handed
    handed = "whose outputs are other tasks' now"
    if left.handed == 1:
        handed = "whose output is another task's now"
    if empty and left.handed:
        return f"; {verb} {tasks}: {empty} with no output left, {left.handed} {handed}"
    return f"; {verb} {tasks}, {handed}" if left.handed else f"; {verb} {tasks}, with no output left"


def cache_words(results: int, dry: bool) -> str:
    """What emptying a cache of `results` cached results costs: `; emptied the cache, dropping 3 cached
    results: a build now calls the agent again where it would have restored one of them`."""
    if dry:
        if not results:
            return "; would empty the cache (it holds no result: no build would pay for one again)"
        return (
            f"; would empty the cache, dropping {plural(results, 'cached result')}: a build would then call"
            " the agent again where it would have restored one of them"
        )
    if not results:
        return "; emptied the cache (it held no result: no build pays for one again)"
    return (
        f"; emptied the cache, dropping {plural(results, 'cached result')}: a build now calls the agent again"
        " where it would have restored one of them"
    )
