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
graph: 1 with no output left, 1 whose output is another task's now`. A dropped task with an output of each
kind (one another task's now, one deleted by hand) is said with both, counted by output: `forgot 1 task no
longer in the graph, with 1 output another task's now and 1 gone`.
"""

from __future__ import annotations

from dataclasses import dataclass

from agentmake.errors import plural


@dataclass(frozen=True)
class Leftovers:
    """What `clean --leftovers` removed: `of_tasks` outputs of `tasks` tasks no longer in the graph,
    `renamed` outputs renamed in the Agentfile, and more tasks no longer in the graph that had no output
    left to remove (forgotten all the same), one `forgotten` pair each: how many of its recorded outputs a
    task of the graph makes now (not leftovers: kept), how many are gone."""

    of_tasks: int = 0
    tasks: int = 0
    renamed: int = 0
    forgotten: tuple[tuple[int, int], ...] = ()

    @property
    def emptied(self) -> int:
        """How many tasks were forgotten with no output left to remove."""
        return len(self.forgotten)


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
    """`; forgot 2 tasks no longer in the graph, with no output left` (`other tasks` after some whose
    outputs were removed), `, whose output is another task's now` for those whose outputs a current task
    makes, `, with 1 output another task's now and 1 gone` for those with some of each (counted by output),
    and each kind's count after a colon when there are several kinds; or nothing."""
    if left is None or not left.emptied:
        return ""
    verb = "would forget" if dry else "forgot"
    tasks = f"{plural(left.emptied, 'other task' if left.tasks else 'task')} no longer in the graph"
    empty = sum(1 for handed, _ in left.forgotten if not handed)
    theirs = [handed for handed, gone in left.forgotten if handed and not gone]
    mixed = [(handed, gone) for handed, gone in left.forgotten if handed and gone]
    kinds: list[tuple[int, str]] = []
    if empty:
        kinds.append((empty, "with no output left"))
    if theirs:
        one = sum(theirs) == 1
        kinds.append(
            (
                len(theirs),
                "whose output is another task's now" if one else "whose outputs are other tasks' now",
            )
        )
    if mixed:
        handed = sum(h for h, _ in mixed)
        gone = sum(g for _, g in mixed)
        now = "another task's" if handed == 1 else "other tasks'"
        kinds.append((len(mixed), f"with {plural(handed, 'output')} {now} now and {gone} gone"))
    if len(kinds) == 1:
        return f"; {verb} {tasks}, {kinds[0][1]}"
    return f"; {verb} {tasks}: " + ", ".join(f"{n} {words}" for n, words in kinds)


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
