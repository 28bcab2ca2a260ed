"""The one summary line every build ends with, in exactly the form scripts read."""

from __future__ import annotations

from agentmake.scheduler import BuildResult, TaskOutcome


def result(*outcomes: TaskOutcome) -> BuildResult:
    return BuildResult(run_id=1, outcomes={o.task_id: o for o in outcomes}, started_at=10.0, ended_at=18.34)


def test_counts_and_wall_time() -> None:
    r = result(
        TaskOutcome("a", "done"),
        TaskOutcome("b", "cached"),
        TaskOutcome("c", "up-to-date"),
        TaskOutcome("d", "failed"),
        TaskOutcome("e", "done"),
    )
    assert r.summary_line() == "agentmake: 2 ran, 1 cached, 1 up to date, 1 failed in 8.3s"


def test_cost_is_appended_when_known_and_a_cheap_run_is_not_zero() -> None:
    assert (
        result(TaskOutcome("a", "done", cost_usd=0.25), TaskOutcome("b", "done", cost_usd=0.17))
        .summary_line()
        .endswith("in 8.3s, $0.42")
    )
    assert result(TaskOutcome("a", "done", cost_usd=0.0007)).summary_line().endswith(", $0.0007")
