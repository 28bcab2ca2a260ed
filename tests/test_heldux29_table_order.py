"""(heldux29) The end-of-build table listed its rows in the order the tasks started, and the failures, not
run and interrupted lists below it in the natural order of their ids; the table now uses that order too."""

from __future__ import annotations

from agentmake.display.base import summary_lines
from agentmake.scheduler import BuildResult
from agentmake.scheduler.events import TaskOutcome


def test_the_table_lists_tasks_in_natural_order_not_start_order() -> None:
    started = {"r:10": 1.0, "r:2": 2.0, "b": 3.0, "r:1": 4.0}  # (started in this order)
    outcomes = {t: TaskOutcome(t, "done", at, at + 1.0, 1) for t, at in started.items()}
    lines = summary_lines(BuildResult(1, outcomes, 0.0, 6.0))
    rows = [line.split()[0] for line in lines if line.split() and line.split()[0] in started]
    assert rows == ["b", "r:1", "r:2", "r:10"], lines
