"""(heldux29) An auth failure hits every parallel call of a runner alike: "failures:" listed it once per task
(five entries of the same message, each with its logs). Tasks that failed alike (one message, as many
attempts) are now one entry naming them, with the first one's logs and prompt; other failures keep their
own entry."""

from __future__ import annotations

from agentmake.display.base import failure_lines
from agentmake.scheduler import BuildResult
from agentmake.scheduler.events import TaskOutcome

AUTH = "claude authentication failed (Not logged in · Please run /login)"


def test_tasks_failed_alike_are_one_entry() -> None:
    outcomes = {
        f"r:{n}": TaskOutcome(f"r:{n}", "failed", 1.0, 2.0, 1, message=AUTH) for n in (10, 2, 1, 3, 4)
    }
    outcomes["other"] = TaskOutcome("other", "failed", 1.0, 2.0, 1, message="exited with code 3")
    outcomes["twice"] = TaskOutcome("twice", "failed", 1.0, 2.0, 2, message=AUTH)  # (not alike: 2 attempts)
    lines = failure_lines(BuildResult(1, outcomes, 0.0, 3.0))
    assert lines == [
        "✗ other: exited with code 3",
        f"✗ r:1, r:2, r:3 and 2 more (5 tasks): {AUTH}",
        f"✗ twice after 2 attempts: {AUTH}",
    ], lines
